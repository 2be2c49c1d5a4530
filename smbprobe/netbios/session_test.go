package netbios

import (
	"bytes"
	"encoding/hex"
	"errors"
	"net/netip"
	"os"
	"strings"
	"testing"
)

// The called name *SMBSERVER<20> encodes to the well-known CKFDENECFDEFFCFGEFFCCACACACACACA
// (it appears verbatim in every port 139 capture); the golden file holds the whole request.
func TestSessionRequestGolden(t *testing.T) {
	got, err := SessionRequest(SMBServerName, "SCAN445")
	if err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile("testdata/session_request_smbserver.hex")
	if err != nil {
		t.Fatal(err)
	}
	var h strings.Builder
	for _, line := range strings.Split(string(raw), "\n") {
		if !strings.HasPrefix(line, "#") {
			h.WriteString(strings.TrimSpace(line))
		}
	}
	want, err := hex.DecodeString(h.String())
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("session request\n got %x\nwant %x", got, want)
	}
	if !bytes.Contains(got, []byte("CKFDENECFDEFFCFGEFFCCACACACACACA")) {
		t.Fatal("called name is not the canonical *SMBSERVER encoding")
	}
}

func TestEncodeNameRejects(t *testing.T) {
	for _, name := range []string{"", "SIXTEEN_CHARS_XX", "BAD\x00NAME", "caf\xc3\xa9"} {
		if _, err := EncodeName(name, SuffixServer); !errors.Is(err, ErrBadName) {
			t.Errorf("EncodeName(%q) = %v, want ErrBadName", name, err)
		}
	}
	a, _ := EncodeName("xp-host", SuffixServer)
	b, _ := EncodeName("XP-HOST", SuffixServer)
	if !bytes.Equal(a, b) || len(a) != 34 {
		t.Fatalf("names are upper-cased and 34 bytes: %x %x", a, b)
	}
}

func TestDecodeSessionResponse(t *testing.T) {
	cases := []struct {
		name    string
		typ     byte
		payload []byte
		want    SessionResponse
		bad     bool
	}{
		{"positive", TypePositiveResponse, nil, SessionResponse{Type: TypePositiveResponse}, false},
		{"positive with body", TypePositiveResponse, []byte{0}, SessionResponse{}, true},
		{"negative", TypeNegativeResponse, []byte{CalledNameNotPresent}, SessionResponse{Type: TypeNegativeResponse, Code: CalledNameNotPresent}, false},
		{"negative empty", TypeNegativeResponse, nil, SessionResponse{}, true},
		{"retarget", TypeRetargetResponse, []byte{127, 0, 139, 9, 0x01, 0xbd},
			SessionResponse{Type: TypeRetargetResponse, Retarget: netip.MustParseAddrPort("127.0.139.9:445")}, false},
		{"retarget short", TypeRetargetResponse, []byte{127, 0, 0, 1, 0}, SessionResponse{}, true},
		{"session message", TypeSessionMessage, []byte{0xff, 'S', 'M', 'B'}, SessionResponse{}, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := DecodeSessionResponse(tc.typ, tc.payload)
			if tc.bad {
				if !errors.Is(err, ErrBadResponse) {
					t.Fatalf("err = %v, want ErrBadResponse", err)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("got %+v, %v; want %+v", got, err, tc.want)
			}
		})
	}
}

func FuzzDecodeSessionResponse(f *testing.F) {
	f.Add(byte(0x82), []byte{})
	f.Add(byte(0x83), []byte{0x82})
	f.Add(byte(0x84), []byte{127, 0, 0, 1, 0, 139})
	f.Add(byte(0x00), []byte("\xffSMB"))
	f.Fuzz(func(t *testing.T, typ byte, payload []byte) {
		r, err := DecodeSessionResponse(typ, payload)
		if err != nil {
			if !errors.Is(err, ErrBadResponse) {
				t.Fatalf("unexpected error class: %v", err)
			}
			return
		}
		if r.Type != typ {
			t.Fatalf("type %02x parsed as %02x", typ, r.Type)
		}
		_ = CodeText(r.Code)
	})
}

func TestDecodeSessionRequestRoundTrip(t *testing.T) {
	for _, tc := range []struct{ called, calling string }{
		{SMBServerName, "SCAN445"}, {"XPSP2", "X"}, {"FIFTEEN_CHARS_X", "a b"},
	} {
		pkt, err := SessionRequest(tc.called, tc.calling)
		if err != nil {
			t.Fatal(err)
		}
		called, calling, err := DecodeSessionRequest(pkt[HeaderLen:])
		if err != nil || called != strings.ToUpper(tc.called) || calling != strings.ToUpper(tc.calling) {
			t.Errorf("%+v: got %q %q %v", tc, called, calling, err)
		}
	}
	good, _ := SessionRequest(SMBServerName, "SCAN445")
	for name, b := range map[string][]byte{
		"short":    good[HeaderLen : HeaderLen+33],
		"trailing": append(append([]byte{}, good[HeaderLen:]...), 0),
		"scope":    append([]byte{32}, bytes.Repeat([]byte("CA"), 16)...),
		"bad char": append(append([]byte{32}, bytes.Repeat([]byte("ZZ"), 16)...), 0),
	} {
		if _, _, err := DecodeSessionRequest(b); !errors.Is(err, ErrBadName) {
			t.Errorf("%s: err = %v, want ErrBadName", name, err)
		}
	}
}

func FuzzDecodeSessionRequest(f *testing.F) {
	good, _ := SessionRequest(SMBServerName, "SCAN445")
	f.Add(good[HeaderLen:])
	f.Add([]byte{32})
	f.Fuzz(func(t *testing.T, payload []byte) {
		called, calling, err := DecodeSessionRequest(payload)
		if err != nil {
			if !errors.Is(err, ErrBadName) {
				t.Fatalf("unexpected error class: %v", err)
			}
			return
		}
		if len(called) > 15 || len(calling) > 15 {
			t.Fatalf("names too long: %q %q", called, calling)
		}
	})
}
