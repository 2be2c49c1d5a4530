package testpeer

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

func TestDecodeHex(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want []byte // nil: an error is expected
	}{
		{"plain", "00ff10", []byte{0x00, 0xff, 0x10}},
		{"spaces and tabs", " 00 ff\t10 ", []byte{0x00, 0xff, 0x10}},
		{"slash comments", "0102 // StructureSize\n  0304 // Flags: 0x0403 // again\n", []byte{1, 2, 3, 4}},
		{"hash comments", "0102 # MaxCount\n0304 # Offset", []byte{1, 2, 3, 4}},
		{"both markers", "01 # a // b\n02 // c # d", []byte{1, 2}},
		{"comment-only lines", "// header\n# another\n\n0a", []byte{0x0a}},
		{"upper case", "ABcd", []byte{0xab, 0xcd}},
		{"byte split across lines", "0\n1", []byte{0x01}},
		{"empty", "", []byte{}},
		{"odd digit count", "012", nil},
		{"stray letter", "01zz", nil},
		{"0x prefix is not hex", "0x01", nil},
		{"single slash is not a comment", "01 / 02", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := DecodeHex(tt.in)
			if tt.want == nil {
				if err == nil {
					t.Fatalf("DecodeHex(%q) = % x, want an error", tt.in, got)
				}
				return
			}
			if err != nil || !bytes.Equal(got, tt.want) {
				t.Fatalf("DecodeHex(%q) = % x, %v; want % x", tt.in, got, err, tt.want)
			}
		})
	}
}

// recorder stands in for a test so that Need's skip and fail paths can be observed.
type recorder struct {
	testing.TB
	skipped, failed bool
}

// Only what Need and LookPath call is overridden; the embedded nil TB is never reached.
func (r *recorder) Helper()               {}
func (r *recorder) Skipf(string, ...any)  { r.skipped = true }
func (r *recorder) Fatalf(string, ...any) { r.failed = true }
func (r *recorder) Fatal(...any)          { r.failed = true }

func TestNeed(t *testing.T) {
	tests := []struct {
		env                string
		ok                 bool
		wantSkip, wantFail bool
	}{
		{"", true, false, false},
		{"1", true, false, false},
		{"", false, true, false},
		{"0", false, true, false},
		{"1", false, false, true},
	}
	for _, tt := range tests {
		t.Setenv(RequireEnv, tt.env)
		r := &recorder{}
		Need(r, "thing", tt.ok)
		if r.skipped != tt.wantSkip || r.failed != tt.wantFail {
			t.Errorf("env %q ok %t: skipped %t failed %t, want %t %t", tt.env, tt.ok, r.skipped, r.failed, tt.wantSkip, tt.wantFail)
		}
	}
	t.Setenv(RequireEnv, "")
	r := &recorder{}
	if p := LookPath(r, "scan445-no-such-tool", "/nonexistent/scan445-tool"); p != "" || !r.skipped {
		t.Errorf("LookPath of a missing tool: %q, skipped %t", p, r.skipped)
	}
	r = &recorder{}
	if p := LookPath(r, "scan445-no-such-tool", "/bin/sh"); p != "/bin/sh" || r.skipped || r.failed {
		t.Errorf("LookPath fallback: %q, skipped %t failed %t", p, r.skipped, r.failed)
	}
}

func FuzzDecodeHex(f *testing.F) {
	f.Add("0102 // StructureSize\n0304 # Flags\n")
	f.Add("05000b03 10000000 4800")
	f.Fuzz(func(t *testing.T, s string) {
		b, err := DecodeHex(s)
		if err != nil {
			return
		}
		// Re-encoding the bytes as plain hex must decode to the same bytes.
		var sb bytes.Buffer
		for _, c := range b {
			sb.WriteString("0123456789abcdef"[c>>4 : c>>4+1])
			sb.WriteString("0123456789abcdef"[c&15 : c&15+1])
		}
		again, err := DecodeHex(sb.String())
		if err != nil || !bytes.Equal(again, b) {
			t.Fatalf("round trip of % x: % x, %v", b, again, err)
		}
	})
}

func TestReadHexFiles(t *testing.T) {
	dir := t.TempDir()
	files := map[string]string{"a.hex": "0102 // StructureSize\n", "b.hex": "ff\n", "c.txt": "zz"}
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got := ReadHexFiles(t, filepath.Join(dir, "*.hex"))
	if len(got) != 2 || !bytes.Equal(got["a.hex"], []byte{1, 2}) || !bytes.Equal(got["b.hex"], []byte{0xff}) {
		t.Errorf("ReadHexFiles = %x", got)
	}
	r := &recorder{}
	ReadHexFiles(r, filepath.Join(dir, "*.none"))
	if !r.failed {
		t.Error("an empty match did not fail")
	}
	r = &recorder{}
	ReadHex(r, filepath.Join(dir, "c.txt"))
	if !r.failed {
		t.Error("a malformed fixture did not fail")
	}
}
