package srvsvc

import (
	"bytes"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/scan445/scan445/internal/testpeer"
	"github.com/scan445/scan445/smbprobe/dcerpc"
)

const goldenServerGetInfoRequest = `
00 00 02 00                 // ServerName: referent id
0f 00 00 00 00 00 00 00     // MaxCount 15, Offset 0
0f 00 00 00                 // ActualCount 15
31 00 39 00 32 00 2e 00 31 00 36 00 38 00 2e 00 32 00 34 00 2e 00 31 00 30 00 30 00 00 00 // "192.168.24.100" NUL
00 00                       // pad to 4
65 00 00 00                 // Level 101
`

func TestServerGetInfoRequest(t *testing.T) {
	r := ServerGetInfoRequest{ServerName: StringPtr("192.168.24.100"), Level: 101}
	got, err := r.Encode()
	if err != nil {
		t.Fatal(err)
	}
	if want := testpeer.Unhex(t, goldenServerGetInfoRequest); !bytes.Equal(got, want) {
		t.Fatalf("\n got %x\nwant %x", got, want)
	}
	// Byte for byte what the XP SP3 client sent (frame 1754).
	if real := realStub(t, "xp-client-netrservergetinfo101-request.hex"); !bytes.Equal(got, real) {
		t.Errorf("differs from XP client:\n got %x\nreal %x", got, real)
	}
	// impacket sends a NULL ServerName.
	null, _ := ServerGetInfoRequest{Level: 101}.Encode()
	if real := realStub(t, "impacket-client-netrservergetinfo101-request.hex"); !bytes.Equal(null, real) {
		t.Errorf("NULL ServerName %x, impacket %x", null, real)
	}
	for _, stub := range [][]byte{got, null} {
		back, err := DecodeRequest(OpNetrServerGetInfo, stub)
		if err != nil {
			t.Fatal(err)
		}
		if g := back.(ServerGetInfoRequest); g.Level != 101 {
			t.Errorf("decoded %+v", g)
		}
	}
	if back, _ := DecodeServerGetInfoRequest(got); back.ServerName == nil || *back.ServerName != "192.168.24.100" {
		t.Errorf("ServerName %v", back.ServerName)
	}
}

func TestServerGetInfoResponseReal(t *testing.T) {
	tests := []struct {
		file      string
		want      ServerInfo101
		reencodes bool // Samba's referent ids are 0x00020000+, like ours; XP's are heap addresses
	}{
		{"xp-server-netrservergetinfo101-response.hex", ServerInfo101{PlatformID: 500, Name: "192.168.24.100", VersionMajor: 5, VersionMinor: 1, Type: 0x00001003, Comment: ""}, false},
		{"samba-server-netrservergetinfo101-response.hex", ServerInfo101{PlatformID: 500, Name: "PEERLABNT1", VersionMajor: 6, VersionMinor: 1, Type: 0x00809a03, Comment: "peer lab nt1"}, true},
	}
	for _, tt := range tests {
		stub := realStub(t, tt.file)
		r, err := DecodeServerGetInfoResponse(stub)
		if err != nil {
			t.Fatalf("%s: %v", tt.file, err)
		}
		if r.Level != 101 || r.Status != WerrOK || r.Info101 == nil || *r.Info101 != tt.want {
			t.Errorf("%s: %+v %+v", tt.file, r, r.Info101)
		}
		again, err := r.Encode()
		if err != nil {
			t.Fatal(err)
		}
		if tt.reencodes && !bytes.Equal(again, stub) {
			t.Errorf("%s: re-encode\n got %x\nwant %x", tt.file, again, stub)
		}
		if back, err := DecodeServerGetInfoResponse(again); err != nil || !reflect.DeepEqual(back, r) {
			t.Errorf("%s: round trip %+v %v", tt.file, back, err)
		}
	}
	// The error form: discriminant, NULL pointer, status.
	e, _ := ServerGetInfoResponse{Level: 102, Status: WerrInvalidLevel}.Encode()
	if want := testpeer.Unhex(t, "66000000 00000000 7c000000"); !bytes.Equal(e, want) {
		t.Errorf("error response %x", e)
	}
	if back, err := DecodeServerGetInfoResponse(e); err != nil || back.Info101 != nil || back.Status != WerrInvalidLevel {
		t.Errorf("error response decode %+v %v", back, err)
	}
	if _, err := DecodeServerGetInfoResponse(testpeer.Unhex(t, "66000000 00000200 00000000")); !errors.Is(err, ErrUnsupportedLevel) {
		t.Errorf("level 102 data: %v", err)
	}
	if _, err := (ServerGetInfoResponse{Level: 100, Info101: &ServerInfo101{}}).Encode(); !errors.Is(err, ErrUnsupportedLevel) {
		t.Errorf("level 100 with 101 data: %v", err)
	}
}

// The two Conficker hook probes of docs/checks.md §4a, ServerName "a".
const goldenConfickerDotDot = `
00 00 02 00                 // ServerName: referent id
02 00 00 00 00 00 00 00     // MaxCount 2, Offset 0
02 00 00 00                 // ActualCount 2
61 00 00 00                 // "a" NUL
05 00 00 00 00 00 00 00     // PathName: MaxCount 5, Offset 0
05 00 00 00                 // ActualCount 5
5c 00 2e 00 2e 00 5c 00 00 00 // "\..\" NUL
00 00                       // pad to 4
02 00 00 00                 // OutbufLen 2
02 00 00 00 00 00 00 00     // Prefix: MaxCount 2, Offset 0
02 00 00 00                 // ActualCount 2
5c 00 00 00                 // "\" NUL
01 00 00 00                 // PathType 1
01 00 00 00                 // Flags 1
`

const goldenConfickerBackslash = `
00 00 02 00                 // ServerName: referent id
02 00 00 00 00 00 00 00     // MaxCount 2, Offset 0
02 00 00 00                 // ActualCount 2
61 00 00 00                 // "a" NUL
02 00 00 00 00 00 00 00     // PathName: MaxCount 2, Offset 0
02 00 00 00                 // ActualCount 2
5c 00 00 00                 // "\" NUL
02 00 00 00                 // OutbufLen 2
02 00 00 00 00 00 00 00     // Prefix: MaxCount 2, Offset 0
02 00 00 00                 // ActualCount 2
5c 00 00 00                 // "\" NUL
01 00 00 00                 // PathType 1
01 00 00 00                 // Flags 1
`

func confickerProbe(path string) PathCanonicalizeRequest {
	return PathCanonicalizeRequest{ServerName: StringPtr("a"), PathName: path, OutbufLen: 2, Prefix: `\`, PathType: 1, Flags: 1}
}

func TestConfickerProbes(t *testing.T) {
	for _, tt := range []struct {
		path, golden, impacket string
		pads                   []int // offsets of impacket's 0xbf padding in its (NULL ServerName) stub
	}{
		{`\..\`, goldenConfickerDotDot, "impacket-client-netprpathcanonicalize-dotdot.hex", []int{26, 27}},
		{`\`, goldenConfickerBackslash, "impacket-client-netprpathcanonicalize-backslash.hex", nil},
	} {
		r := confickerProbe(tt.path)
		got, err := r.Encode()
		if err != nil {
			t.Fatal(err)
		}
		if want := testpeer.Unhex(t, tt.golden); !bytes.Equal(got, want) {
			t.Errorf("%q\n got %x\nwant %x", tt.path, got, want)
		}
		for _, p := range r.Paths() {
			if PathReachesOverflow(p) {
				t.Errorf("Conficker probe %q carries overflowing path %q", tt.path, p)
			}
		}
		// The same call with a NULL ServerName is what impacket sent Samba, apart from padding.
		r.ServerName = nil
		null, _ := r.Encode()
		real := realStub(t, tt.impacket)
		for _, off := range tt.pads {
			if real[off] != 0xbf {
				t.Fatalf("%s: no impacket padding at %d", tt.impacket, off)
			}
			real[off] = 0
		}
		if !bytes.Equal(null, real) {
			t.Errorf("%q vs impacket:\n got %x\nreal %x", tt.path, null, real)
		}
		back, err := DecodePathCanonicalizeRequest(realStub(t, tt.impacket))
		if err != nil || !reflect.DeepEqual(back, r) {
			t.Errorf("decode impacket %q: %+v %v", tt.path, back, err)
		}
	}
	// impacket's `\AAAA\..\n` (OutbufLen 100, Flags 0) is a one-level collapse: it reaches.
	r, err := DecodePathCanonicalizeRequest(realStub(t, "impacket-client-netprpathcanonicalize-aaaa-dotdot-n.hex"))
	if err != nil || r.PathName != `\AAAA\..\n` || r.OutbufLen != 100 || r.ServerName != nil {
		t.Fatalf("decoded %+v %v", r, err)
	}
	if !PathReachesOverflow(r.PathName) {
		t.Error(`\AAAA\..\n not flagged`)
	}
}

// The intrusive MS08-067 probe of docs/checks.md §3c, ServerName 127.0.0.1.
const goldenMS08067Compare = `
00 00 02 00                 // ServerName: referent id
0a 00 00 00 00 00 00 00     // MaxCount 10, Offset 0
0a 00 00 00                 // ActualCount 10
31 00 32 00 37 00 2e 00 30 00 2e 00 30 00 2e 00 31 00 00 00 // "127.0.0.1" NUL
2e 00 00 00 00 00 00 00     // PathName1: MaxCount 46, Offset 0
2e 00 00 00                 // ActualCount 46
5c 00                       // "\"
41 00 41 00 41 00 41 00 41 00 41 00 41 00 41 00 41 00 41 00 // 39 x "A"
41 00 41 00 41 00 41 00 41 00 41 00 41 00 41 00 41 00 41 00
41 00 41 00 41 00 41 00 41 00 41 00 41 00 41 00 41 00 41 00
41 00 41 00 41 00 41 00 41 00 41 00 41 00 41 00 41 00
5c 00 2e 00 2e 00 5c 00 6e 00 00 00 // "\..\n" NUL
03 00 00 00 00 00 00 00     // PathName2: MaxCount 3, Offset 0
03 00 00 00                 // ActualCount 3
5c 00 6e 00 00 00           // "\n" NUL
00 00                       // pad to 4
01 00 00 00                 // PathType 1
00 00 00 00                 // Flags 0
`

func ms08067Compare() PathCompareRequest {
	return PathCompareRequest{ServerName: StringPtr("127.0.0.1"), PathName1: `\` + strings.Repeat("A", 39) + `\..\n`, PathName2: `\n`, PathType: 1, Flags: 0}
}

func TestMS08067PathCompare(t *testing.T) {
	r := ms08067Compare()
	got, err := r.Encode()
	if err != nil {
		t.Fatal(err)
	}
	if want := testpeer.Unhex(t, goldenMS08067Compare); !bytes.Equal(got, want) {
		t.Fatalf("\n got %x\nwant %x", got, want)
	}
	if !PathReachesOverflow(r.PathName1) {
		t.Error("the intrusive path is not flagged")
	}
	reaches := false
	for _, p := range r.Paths() {
		reaches = reaches || PathReachesOverflow(p)
	}
	if !reaches {
		t.Error("Paths() hides the intrusive path")
	}
	// impacket's identical call (NULL ServerName, 0xbf padding) against Samba.
	real := realStub(t, "impacket-client-netprpathcompare-ms08-067.hex")
	back, err := DecodeRequest(OpNetprPathCompare, real)
	if err != nil {
		t.Fatal(err)
	}
	want := r
	want.ServerName = nil
	if !reflect.DeepEqual(back, want) {
		t.Errorf("decoded impacket %+v", back)
	}
	null, _ := want.Encode()
	real[len(real)-10], real[len(real)-9] = 0, 0 // impacket's padding after PathName2
	if !bytes.Equal(null, real) {
		t.Errorf("vs impacket:\n got %x\nreal %x", null, real)
	}
	for _, st := range []WERROR{0, WerrInvalidName, WerrInvalidParameter} {
		b, _ := PathCompareResponse{Status: st}.Encode()
		if back, err := DecodePathCompareResponse(b); err != nil || back.Status != st || len(b) != 4 {
			t.Errorf("status %v: %x %v", st, b, err)
		}
	}
}

func TestPathCanonicalizeResponse(t *testing.T) {
	tests := []struct {
		name    string
		hex     string
		path    string
		canPath uint32
		status  WERROR
	}{
		{"clean backslash", "02000000 5c00 0000 01000000 00000000", `\`, 0x0000005c, WerrOK},
		{"Conficker D/E", "02000000 5c00 455c 01000000 00000000", `\`, 0x5c45005c, WerrOK},
		{"patched dotdot", "02000000 0000 0000 01000000 7b000000", ``, 0, WerrInvalidName},
		{"Conficker A/B/C", "02000000 0000 455c 01000000 57000000", ``, 0x5c450000, WerrInvalidParameter},
	}
	for _, tt := range tests {
		stub := testpeer.Unhex(t, tt.hex)
		w, err := DecodePathCanonicalizeWords(stub)
		if err != nil || w.MaxCount != 2 || w.CanPath != tt.canPath || w.PathType != 1 || w.Status != tt.status {
			t.Errorf("%s: words %+v %v", tt.name, w, err)
		}
		r, err := DecodePathCanonicalizeResponse(stub)
		if err != nil || r.Path() != tt.path || r.Status != tt.status || len(r.Outbuf) != 2 {
			t.Errorf("%s: %+v %v", tt.name, r, err)
		}
		again, _ := r.Encode()
		if back, _ := DecodePathCanonicalizeResponse(again); !reflect.DeepEqual(back, r) || len(again) != 16 {
			t.Errorf("%s: round trip %x", tt.name, again)
		}
	}
	if _, err := DecodePathCanonicalizeWords(make([]byte, 12)); !errors.Is(err, ErrMalformed) {
		t.Errorf("12-byte words: %v", err)
	}
	// A longer buffer: odd length, no NUL.
	r := PathCanonicalizeResponse{Outbuf: []byte{0x5c, 0, 0x41, 0, 0x42}, PathType: 0x1002, Status: 0}
	b, _ := r.Encode()
	if want := testpeer.Unhex(t, "05000000 5c00410042 000000 02100000 00000000"); !bytes.Equal(b, want) {
		t.Errorf("odd outbuf %x", b)
	}
	if back, _ := DecodePathCanonicalizeResponse(b); back.Path() != `\A` {
		t.Errorf("odd outbuf path %q", back.Path())
	}
}

const goldenRemoteTODResponse = `
00 00 02 00                 // BufferPtr referent (XP SP3 fingerprint)
80 3b 63 4f                 // tod_elapsedt 1331903360
e8 03 00 00                 // tod_msecs 1000
0e 00 00 00 27 00 00 00     // tod_hours 14, tod_mins 39
23 00 00 00 05 00 00 00     // tod_secs 35, tod_hunds 5
c4 ff ff ff                 // tod_timezone -60
10 27 00 00                 // tod_tinterval 10000
10 00 00 00 03 00 00 00     // tod_day 16, tod_month 3
dc 07 00 00 05 00 00 00     // tod_year 2012, tod_weekday 5
00 00 00 00                 // return value
`

func TestRemoteTOD(t *testing.T) {
	req, _ := RemoteTODRequest{ServerName: StringPtr("a")}.Encode()
	if want := testpeer.Unhex(t, "00000200 02000000 00000000 02000000 61000000"); !bytes.Equal(req, want) {
		t.Errorf("request %x", req)
	}
	if back, err := DecodeRequest(OpNetrRemoteTOD, req); err != nil || *back.(RemoteTODRequest).ServerName != "a" {
		t.Errorf("request decode %+v %v", back, err)
	}
	info := &TimeOfDayInfo{Elapsedt: 1331903360, Msecs: 1000, Hours: 14, Mins: 39, Secs: 35, Hunds: 5, Timezone: -60, Tinterval: 10000, Day: 16, Month: 3, Year: 2012, Weekday: 5}
	resp := RemoteTODResponse{Info: info}
	got, _ := resp.Encode()
	if want := testpeer.Unhex(t, goldenRemoteTODResponse); !bytes.Equal(got, want) {
		t.Fatalf("\n got %x\nwant %x", got, want)
	}
	back, err := DecodeRemoteTODResponse(got)
	if err != nil || back.Referent != 0x00020000 || !reflect.DeepEqual(back.Info, info) {
		t.Errorf("decode %+v %v", back, err)
	}
	resp.Referent = 0x0015a1c8
	got, _ = resp.Encode()
	if back, _ := DecodeRemoteTODResponse(got); back.Referent != 0x0015a1c8 {
		t.Errorf("referent kept? %x", got[:4])
	}
	null, _ := RemoteTODResponse{Status: WerrAccessDenied}.Encode()
	if back, err := DecodeRemoteTODResponse(null); err != nil || back.Info != nil || back.Status != WerrAccessDenied || len(null) != 8 {
		t.Errorf("NULL response %x %v", null, err)
	}
}

func TestNameCanonicalize(t *testing.T) {
	r := NameCanonicalizeRequest{ServerName: StringPtr("a"), Name: "SRV", OutbufLen: 64001, NameType: 4, Flags: 0x80000000}
	got, _ := r.Encode()
	want := testpeer.Unhex(t, `
		00 00 02 00  02 00 00 00  00 00 00 00  02 00 00 00  61 00 00 00 // ServerName "a"
		04 00 00 00  00 00 00 00  04 00 00 00                          // Name: MaxCount 4, Offset 0, ActualCount 4
		53 00 52 00 56 00 00 00                                       // "SRV" NUL
		01 fa 00 00                                                   // OutbufLen 64001
		04 00 00 00                                                   // NameType 4
		00 00 00 80                                                   // Flags 0x80000000
	`)
	if !bytes.Equal(got, want) {
		t.Fatalf("\n got %x\nwant %x", got, want)
	}
	if back, err := DecodeRequest(OpNetprNameCanonicalize, got); err != nil || !reflect.DeepEqual(back, r) {
		t.Errorf("decode %+v %v", back, err)
	}
	resp := NameCanonicalizeResponse{Outbuf: []uint16{'S', 'R', 'V', 0, 0}, Status: 0}
	b, _ := resp.Encode()
	if want := testpeer.Unhex(t, "05000000 5300 5200 5600 0000 0000 0000 00000000"); !bytes.Equal(b, want) {
		t.Errorf("response %x", b)
	}
	if back, err := DecodeNameCanonicalizeResponse(b); err != nil || back.Name() != "SRV" || !reflect.DeepEqual(back, resp) {
		t.Errorf("response decode %+v %v", back, err)
	}
}

func TestDecodeRobustness(t *testing.T) {
	tests := []struct {
		name  string
		opnum uint16
		hex   string
		want  error
	}{
		{"empty", OpNetrServerGetInfo, "", ErrTruncated},
		{"referent only", OpNetrServerGetInfo, "00000200", ErrTruncated},
		{"ActualCount > MaxCount", OpNetrServerGetInfo, "00000200 01000000 00000000 02000000 6100 0000 65000000", ErrMalformed},
		{"Offset not 0", OpNetrServerGetInfo, "00000200 02000000 01000000 01000000 6100 0000 65000000", ErrMalformed},
		{"ActualCount beyond buffer", OpNetrServerGetInfo, "00000200 ffffffff 00000000 ffffffff 6100", ErrTruncated},
		{"missing level", OpNetrServerGetInfo, "00000000", ErrTruncated},
		{"padding missing", OpNetprPathCompare, "00000000 01000000 00000000 01000000 5c00", ErrTruncated},
		{"unknown opnum", 30, "00000000", ErrUnknownOpnum},
	}
	for _, tt := range tests {
		if _, err := DecodeRequest(tt.opnum, testpeer.Unhex(t, tt.hex)); !errors.Is(err, tt.want) {
			t.Errorf("%s: err = %v, want %v", tt.name, err, tt.want)
		}
	}
	// A string without its NUL decodes to its characters; embedded NULs cut it, as wcscpy would.
	s, err := DecodeServerGetInfoRequest(testpeer.Unhex(t, "00000200 02000000 00000000 02000000 6100 6200 65000000"))
	if err != nil || *s.ServerName != "ab" {
		t.Errorf("no NUL: %+v %v", s, err)
	}
	s, err = DecodeServerGetInfoRequest(testpeer.Unhex(t, "00000200 03000000 00000000 03000000 6100 0000 6200 0000 65000000"))
	if err != nil || *s.ServerName != "a" {
		t.Errorf("embedded NUL: %+v %v", s, err)
	}
	// Unpaired surrogates become U+FFFD rather than failing.
	s, err = DecodeServerGetInfoRequest(testpeer.Unhex(t, "00000200 02000000 00000000 02000000 00d8 0000 65000000"))
	if err != nil || *s.ServerName != "\uFFFD" {
		t.Errorf("surrogate: %q %v", *s.ServerName, err)
	}
	if _, err := (ServerGetInfoRequest{ServerName: StringPtr("a\x00b")}).Encode(); !errors.Is(err, ErrInvalidString) {
		t.Errorf("NUL in string: %v", err)
	}
	if _, err := DecodePathCanonicalizeResponse(testpeer.Unhex(t, "ffffff7f 00")); !errors.Is(err, ErrTruncated) {
		t.Errorf("huge Outbuf: %v", err)
	}
	if _, err := DecodeNameCanonicalizeResponse(testpeer.Unhex(t, "ffffffff 00")); !errors.Is(err, ErrTruncated) {
		t.Errorf("huge WCHAR Outbuf: %v", err)
	}
	if WerrInvalidName.String() != "0x0000007b (WERR_INVALID_NAME)" || WerrNerrBufTooSmall.Name() != "NERR_BufTooSmall" || WERROR(0x1234).String() != "0x00001234" {
		t.Error("WERROR names")
	}
}

func TestInterface(t *testing.T) {
	if got := Interface().String(); got != "4b324fc8-1670-01d3-1278-5a47bf6ee188 v3.0" {
		t.Errorf("Interface() = %s", got)
	}
	b, _ := dcerpc.NewBind(1, Interface()).Encode()
	if !bytes.Contains(b, testpeer.Unhex(t, "c84f324b7016d30112785a47bf6ee188 03000000")) {
		t.Errorf("bind %x", b)
	}
}
