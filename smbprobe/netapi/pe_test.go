package netapi

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"debug/pe"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"github.com/scan445/scan445/smbprobe/internal/utf16le"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
)

var record = flag.Bool("record", false, "re-record testdata/*.ranges from the real PE files named in them")

// rangeReader serves only recorded byte ranges of a file and fails any other read: it proves
// the parser fetches just what it needs, and lets real bytes live in testdata without the file.
type rangeReader struct {
	size   int64
	ranges map[int64][]byte
}

func (r *rangeReader) ReadAt(p []byte, off int64) (int, error) {
	for o, b := range r.ranges {
		if off >= o && off+int64(len(p)) <= o+int64(len(b)) {
			return copy(p, b[off-o:]), nil
		}
	}
	return 0, fmt.Errorf("read of %d bytes at %d was not recorded", len(p), off)
}

// recordingReader logs what the parser reads.
type recordingReader struct {
	r      io.ReaderAt
	mu     sync.Mutex
	ranges map[int64][]byte
	bytes  int
}

func (r *recordingReader) ReadAt(p []byte, off int64) (int, error) {
	n, err := r.r.ReadAt(p, off)
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.ranges == nil {
		r.ranges = map[int64][]byte{}
	}
	r.ranges[off] = append([]byte(nil), p[:n]...)
	r.bytes += n
	return n, err
}

type rangesFile struct {
	source, sha string
	size        int64
	want        FileVersion
	wantString  string
	rr          *rangeReader
}

// loadRanges reads testdata/NAME.ranges: "# key: value" headers, then "offset hex" lines.
func loadRanges(t testing.TB, path string) rangesFile {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rf := rangesFile{rr: &rangeReader{ranges: map[int64][]byte{}}}
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if k, v, ok := strings.Cut(strings.TrimPrefix(line, "# "), ": "); ok && strings.HasPrefix(line, "# ") {
			switch k {
			case "source":
				rf.source = v
			case "sha256":
				rf.sha = v
			case "size":
				rf.size, _ = strconv.ParseInt(v, 10, 64)
			case "want":
				if _, err := fmt.Sscanf(v, "%d.%d.%d.%d", &rf.want.Major, &rf.want.Minor, &rf.want.Build, &rf.want.Revision); err != nil {
					t.Fatalf("%s: want %q: %v", path, v, err)
				}
			case "want-string":
				rf.wantString = v
			}
			continue
		}
		if strings.HasPrefix(line, "#") || strings.TrimSpace(line) == "" {
			continue
		}
		o, h, _ := strings.Cut(line, " ")
		off, err := strconv.ParseInt(o, 10, 64)
		if err != nil {
			t.Fatalf("%s: %q", path, line)
		}
		b, err := hex.DecodeString(h)
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		rf.rr.ranges[off] = b
	}
	rf.rr.size = rf.size
	return rf
}

func writeRanges(t *testing.T, path string, rf rangesFile, rec *recordingReader) {
	var buf bytes.Buffer
	fmt.Fprintf(&buf, "# Byte ranges of a real PE file that ParseVersionInfo reads; re-record with go test -run TestRealPE -record.\n")
	fmt.Fprintf(&buf, "# Expected values come from `strings -el` (FileVersion) and `objdump -p` of the file, not from our parser.\n")
	fmt.Fprintf(&buf, "# source: %s\n# sha256: %s\n# size: %d\n# want: %s\n# want-string: %s\n", rf.source, rf.sha, rf.size, rf.want, rf.wantString)
	offs := make([]int64, 0, len(rec.ranges))
	for o := range rec.ranges {
		offs = append(offs, o)
	}
	sort.Slice(offs, func(i, j int) bool { return offs[i] < offs[j] })
	for _, o := range offs {
		fmt.Fprintf(&buf, "%d %x\n", o, rec.ranges[o])
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

// Real files: distlib's Windows launchers (MSVC-built, PE32 and PE32+), as shipped with pip.
func TestRealPE(t *testing.T) {
	paths, _ := filepath.Glob("testdata/*.ranges")
	if len(paths) == 0 {
		t.Fatal("no testdata/*.ranges")
	}
	for _, path := range paths {
		t.Run(filepath.Base(path), func(t *testing.T) {
			rf := loadRanges(t, path)
			if *record {
				raw, err := os.ReadFile(rf.source)
				if err != nil {
					t.Fatal(err)
				}
				if fmt.Sprintf("%x", sha256.Sum256(raw)) != rf.sha {
					t.Fatalf("%s changed", rf.source)
				}
				rec := &recordingReader{r: bytes.NewReader(raw)}
				if _, err := ParseVersionInfo(rec, int64(len(raw))); err != nil {
					t.Fatal(err)
				}
				writeRanges(t, path, rf, rec)
				rf = loadRanges(t, path)
			}
			vi, err := ParseVersionInfo(rf.rr, rf.size)
			if err != nil {
				t.Fatal(err)
			}
			if vi.File != rf.want || vi.FileVersionString != rf.wantString {
				t.Errorf("got %s %q, want %s %q", vi.File, vi.FileVersionString, rf.want, rf.wantString)
			}
			total := 0
			for _, b := range rf.rr.ranges {
				total += len(b)
			}
			if total > 4096 || int64(total)*10 > rf.size {
				t.Errorf("read %d of %d bytes", total, rf.size)
			}
		})
	}
}

func TestBuildTestPERoundTrip(t *testing.T) {
	for _, v := range []FileVersion{{5, 1, 2600, 5694}, {6, 0, 6001, 22288}, {0, 0, 0, 0}, {65535, 65535, 65535, 65535}} {
		for _, s := range []string{"", "x", v.String(), "5.1.2600.5694 (xpsp_sp3_gdr.080814-1236)", "日本語ê"} {
			img := BuildTestPEString(v, s)
			rec := &recordingReader{r: bytes.NewReader(img)}
			vi, err := ParseVersionInfo(rec, int64(len(img)))
			if err != nil {
				t.Fatalf("%s %q: %v", v, s, err)
			}
			if vi.File != v || vi.Product != v || vi.FileVersionString != s {
				t.Errorf("%s %q: got %+v", v, s, vi)
			}
			if len(rec.ranges) > 12 {
				t.Errorf("%d reads", len(rec.ranges))
			}
			// The standard library's PE reader accepts the image and finds the resource.
			f, err := pe.NewFile(bytes.NewReader(img))
			if err != nil {
				t.Fatalf("debug/pe: %v", err)
			}
			oh, ok := f.OptionalHeader.(*pe.OptionalHeader32)
			if !ok || f.Machine != pe.IMAGE_FILE_MACHINE_I386 || f.Characteristics&pe.IMAGE_FILE_DLL == 0 ||
				len(f.Sections) != 1 || f.Sections[0].Name != ".rsrc" ||
				oh.DataDirectory[pe.IMAGE_DIRECTORY_ENTRY_RESOURCE].VirtualAddress != f.Sections[0].VirtualAddress {
				t.Errorf("debug/pe view: %+v", f.FileHeader)
			}
			data, err := f.Sections[0].Data()
			if err != nil || !bytes.Contains(data, utf16le.Encode("VS_VERSION_INFO")) {
				t.Errorf("no VS_VERSION_INFO in .rsrc: %v", err)
			}
			f.Close()
		}
	}
	if v, err := ParseVersion(bytes.NewReader(BuildTestPE(FileVersion{5, 2, 3790, 4392})), 1536); err != nil || v != (FileVersion{5, 2, 3790, 4392}) {
		t.Errorf("ParseVersion: %v %v", v, err)
	}
}

// Golden layout of the generated image's key fields (offsets from the PE/COFF spec).
func TestBuildTestPEGolden(t *testing.T) {
	img := BuildTestPE(FileVersion{5, 1, 2600, 5694})
	for _, tc := range []struct {
		off  int
		hex  string
		what string
	}{
		{0x00, "4d5a", "e_magic MZ"},
		{0x3C, "40000000", "e_lfanew 0x40"},
		{0x40, "50450000", "PE signature"},
		{0x44, "4c010100", "Machine i386, NumberOfSections 1"},
		{0x54, "e0000221", "SizeOfOptionalHeader 224, Characteristics 0x2102"},
		{0x58, "0b01", "Magic PE32"},
		{0x58 + 92, "10000000", "NumberOfRvaAndSizes 16"},
		{0x58 + 96 + 16, "00100000", "DataDirectory[2].VirtualAddress 0x1000"},
		{0x138, "2e72737263000000", "section name .rsrc"},
		{0x138 + 12, "0010000000040000" + "00020000", "VirtualAddress 0x1000, SizeOfRawData 0x400, PointerToRawData 0x200"},
		{0x200 + 0x10, "1000000018000080", "root entry: RT_VERSION -> subdir 0x18"},
		{0x200 + 0x40, "0904000048000000", "language 0x0409 -> data entry 0x48"},
		{0x200 + 0x48, "58100000", "data entry RVA 0x1058"},
		{0x200 + 0x58 + 2, "34000000" + "560053005f00", "wValueLength 52, wType 0, szKey VS_..."},
		{0x200 + 0x58 + 40, "bd04effe" + "00000100" + "01000500" + "3e16280a", "dwSignature, dwStrucVersion, dwFileVersionMS 5.1, LS 2600.5694"},
	} {
		want, _ := hex.DecodeString(tc.hex)
		if got := img[tc.off : tc.off+len(want)]; !bytes.Equal(got, want) {
			t.Errorf("%s at 0x%x: %x, want %x", tc.what, tc.off, got, want)
		}
	}
	if len(img) != 0x600 { // 0x200 of headers, 0x318 of resources padded to 0x400
		t.Errorf("image of %d bytes", len(img))
	}
}

func TestParseVersionErrors(t *testing.T) {
	good := BuildTestPE(FileVersion{5, 1, 2600, 5694})
	mut := func(f func(b []byte) []byte) []byte { return f(append([]byte(nil), good...)) }
	put32 := func(b []byte, off int, v uint32) {
		b[off], b[off+1], b[off+2], b[off+3] = byte(v), byte(v>>8), byte(v>>16), byte(v>>24)
	}
	for _, tc := range []struct {
		name string
		in   []byte
		want error
	}{
		{"empty", nil, ErrTruncated},
		{"dos only", good[:64], ErrTruncated},
		{"not MZ", mut(func(b []byte) []byte { b[0] = 'X'; return b }), ErrMalformed},
		{"lfanew huge", mut(func(b []byte) []byte { put32(b, 0x3C, 0x7FFFFFFF); return b }), ErrMalformed},
		{"lfanew past end", mut(func(b []byte) []byte { put32(b, 0x3C, 0x5F0); return b }), ErrTruncated},
		{"no PE sig", mut(func(b []byte) []byte { b[0x40] = 'X'; return b }), ErrMalformed},
		{"zero sections", mut(func(b []byte) []byte { b[0x46] = 0; return b }), ErrMalformed},
		{"bad magic", mut(func(b []byte) []byte { b[0x58] = 0x0c; return b }), ErrMalformed},
		{"no rsrc dir", mut(func(b []byte) []byte { put32(b, 0x58+96+16, 0); return b }), ErrNoVersion},
		{"rsrc RVA in no section", mut(func(b []byte) []byte { put32(b, 0x58+96+16, 0x9000); return b }), ErrMalformed},
		{"no RT_VERSION", mut(func(b []byte) []byte { b[0x210] = 3; return b }), ErrNoVersion},
		{"too many entries", mut(func(b []byte) []byte { b[0x20E], b[0x20F] = 0xFF, 0xFF; return b }), ErrNoVersion},
		{"entries past end", mut(func(b []byte) []byte { b[0x20E] = 200; b[0x210] = 3; return b }), ErrTruncated},
		{"type not a dir", mut(func(b []byte) []byte { b[0x217] = 0; return b }), ErrMalformed},
		{"dir offset beyond", mut(func(b []byte) []byte { put32(b, 0x214, 0x8000FFF0); return b }), ErrMalformed},
		{"data RVA outside", mut(func(b []byte) []byte { put32(b, 0x248, 0x1F00); return b }), ErrMalformed},
		{"data huge", mut(func(b []byte) []byte { put32(b, 0x24C, 0x100000); return b }), ErrMalformed},
		{"data beyond raw", mut(func(b []byte) []byte { put32(b, 0x24C, 0x1000); return b }), ErrMalformed},
		{"bad signature", mut(func(b []byte) []byte { b[0x258+40] = 0; return b }), ErrMalformed},
		{"bad root key", mut(func(b []byte) []byte { b[0x258+6] = 'X'; return b }), ErrMalformed},
		{"wLength too big", mut(func(b []byte) []byte { b[0x259] = 0x40; return b }), ErrMalformed},
		{"no fixed info", mut(func(b []byte) []byte { b[0x25A] = 0; return b }), ErrNoVersion},
		{"cut in rsrc", good[:0x260], ErrTruncated},
	} {
		_, err := ParseVersionInfo(bytes.NewReader(tc.in), int64(len(tc.in)))
		if !errors.Is(err, tc.want) {
			t.Errorf("%s: err %v, want %v", tc.name, err, tc.want)
		}
	}
	// A size larger than what the reader holds surfaces as truncation, not a panic.
	if _, err := ParseVersionInfo(bytes.NewReader(good[:0x250]), int64(len(good))); !errors.Is(err, ErrTruncated) {
		t.Errorf("short reader: %v", err)
	}
	// A broken StringFileInfo keeps the fixed version.
	b := mut(func(b []byte) []byte {
		i := bytes.Index(b, utf16le.Encode("StringFileInfo"))
		b[i-6], b[i-5] = 0xFF, 0x7F // its wLength
		return b
	})
	vi, err := ParseVersionInfo(bytes.NewReader(b), int64(len(b)))
	if err != nil || vi.File != (FileVersion{5, 1, 2600, 5694}) || vi.FileVersionString != "" {
		t.Errorf("broken StringFileInfo: %+v %v", vi, err)
	}
}

func TestUTF16z(t *testing.T) {
	for _, tc := range []struct {
		in   []byte
		want string
		n    int
	}{
		{nil, "", 0},
		{[]byte{'A', 0, 0, 0}, "A", 4},
		{[]byte{'A', 0, 'B', 0}, "AB", 4},              // no NUL
		{[]byte{'A', 0, 'B'}, "A", 3},                  // odd trailing byte
		{[]byte{0x3d, 0xd8, 0x00, 0xde, 0, 0}, "😀", 6}, // surrogate pair
		{[]byte{0x3d, 0xd8, 0, 0}, "\uFFFD", 4},        // lone surrogate
	} {
		s, n := utf16le.DecodeZ(tc.in)
		if s != tc.want || n != tc.n {
			t.Errorf("utf16le.DecodeZ(%x) = %q %d, want %q %d", tc.in, s, n, tc.want, tc.n)
		}
	}
}

func FuzzParseVersion(f *testing.F) {
	f.Add(BuildTestPE(FileVersion{5, 1, 2600, 5694}))
	f.Add(BuildTestPEString(FileVersion{6, 0, 6001, 18157}, "6.0.6001.18157 (vistasp1_gdr.081017-1520)"))
	// Real bytes: the recorded ranges of the distlib launchers, laid out at their offsets (the
	// rest zero), trimmed to the recorded extent.
	paths, _ := filepath.Glob("testdata/*.ranges")
	for _, p := range paths {
		rf := loadRanges(f, p)
		var end int64
		for o, b := range rf.rr.ranges {
			end = max(end, o+int64(len(b)))
		}
		img := make([]byte, end)
		for o, b := range rf.rr.ranges {
			copy(img[o:], b)
		}
		f.Add(img)
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		vi, err := ParseVersionInfo(bytes.NewReader(in), int64(len(in)))
		if err != nil {
			if !errors.Is(err, ErrTruncated) && !errors.Is(err, ErrMalformed) && !errors.Is(err, ErrNoVersion) {
				t.Fatalf("unexpected error: %v", err)
			}
			return
		}
		_ = Judge(vi.File)
	})
}
