package ntlmssp

import (
	"bytes"
	"errors"
	"testing"
	"time"

	"github.com/scan445/scan445/internal/testpeer"
)

func pairsOf(t *testing.T, c *Challenge) AvPairs {
	t.Helper()
	p, err := c.AvPairs()
	if err != nil {
		t.Fatalf("AvPairs: %v", err)
	}
	return p
}

// Real server CHALLENGEs: version, flags, names, timestamp, and a byte-exact re-encoding.
func TestParseChallengeReal(t *testing.T) {
	tests := []struct {
		file            string
		flags           Flags
		version         Version
		target          string
		nbComputer      string
		nbDomain        string
		dnsComputer     string
		dnsDomain       string
		dnsTree         string
		timestamp       time.Time // zero: none
		serverChallenge string
	}{
		{"xp_server_challenge_f20.hex", 0x628a0205, Version{Major: 5, Minor: 1, Build: 2600, Revision: 15}, "TEST-F7DFBC3FE9",
			"TEST-F7DFBC3FE9", "TEST-F7DFBC3FE9", "test-f7dfbc3fe9", "test-f7dfbc3fe9", "", time.Time{}, "ccc0bad0f47e17f0"},
		{"xpsp3_server_challenge_f8.hex", 0xa28a8205, Version{Major: 5, Minor: 1, Build: 2600, Revision: 15}, "NONE-B91CFA7B93",
			"NONE-B91CFA7B93", "NONE-B91CFA7B93", "none-b91cfa7b93", "none-b91cfa7b93", "", time.Time{}, "06e0c9e39224fafd"},
		{"win81_9600_server_challenge_arkime_f19.hex", 0xe28a8215, Version{Major: 6, Minor: 3, Build: 9600, Revision: 15}, "SCV",
			"SCV", "SCV", "SCV", "SCV", "", time.Date(2016, 10, 16, 8, 9, 24, 37986100, time.UTC), "88bc9b5834be370d"},
		{"win10_14393_server_challenge_attack_f6.hex", 0xe2898215, Version{Major: 10, Minor: 0, Build: 14393, Revision: 15}, "3B",
			"01566S-WIN16-IR", "3B", "01566s-win16-ir.threebeesco.com", "threebeesco.com", "threebeesco.com",
			time.Date(2020, 7, 24, 10, 7, 39, 461536900, time.UTC), "a2cce5d65c5fc02f"},
		{"samba417_server_challenge_lab_f9.hex", 0xa28a0205, Version{Major: 6, Minor: 1, Build: 0, Revision: 15}, "PEERLABNT1",
			"PEERLABNT1", "PEERLABNT1", "vm", "", "", time.Date(2026, 11, 27, 14, 35, 28, 747957000, time.UTC), "76129d9dfddf07fe"},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			raw := testpeer.Fixture(t, tt.file)
			c, err := DecodeChallenge(raw)
			if err != nil {
				t.Fatal(err)
			}
			if c.Flags != tt.flags || c.Version != tt.version || c.TargetName != tt.target {
				t.Errorf("got flags %#x version %v target %q", uint32(c.Flags), c.Version, c.TargetName)
			}
			if got := testpeer.Unhex(t, tt.serverChallenge); !bytes.Equal(c.ServerChallenge[:], got) {
				t.Errorf("server challenge % x", c.ServerChallenge)
			}
			p := pairsOf(t, c)
			for id, want := range map[AvID]string{AvNbComputerName: tt.nbComputer, AvNbDomainName: tt.nbDomain,
				AvDNSComputerName: tt.dnsComputer, AvDNSDomainName: tt.dnsDomain, AvDNSTreeName: tt.dnsTree} {
				if got := p.String(id); got != want {
					t.Errorf("AV %d = %q, want %q", id, got, want)
				}
			}
			_, ts, ok := p.Timestamp()
			if ok != !tt.timestamp.IsZero() || !ts.Equal(tt.timestamp) {
				t.Errorf("timestamp %v %v, want %v", ts, ok, tt.timestamp)
			}
			if got := c.Encode(); !bytes.Equal(got, raw) {
				t.Errorf("re-encoding differs:\n got % x\nwant % x", got, raw)
			}
		})
	}
}

// NewChallenge fed the client's real NEGOTIATE and the server's identity
// reproduces the server's real CHALLENGE byte for byte.
func TestNewChallengeMatchesCaptures(t *testing.T) {
	tests := []struct {
		neg, chal    string
		domainJoined bool
	}{
		{"xp_client_negotiate_f19.hex", "xp_server_challenge_f20.hex", false},
		{"xpsp3_client_negotiate_f7.hex", "xpsp3_server_challenge_f8.hex", false},
		{"win10_client_negotiate_attack_f5.hex", "win81_9600_server_challenge_arkime_f19.hex", false},
		{"win10_client_negotiate_attack_f5.hex", "win10_14393_server_challenge_attack_f6.hex", true},
		{"impacket_client_negotiate_lab_f8.hex", "samba417_server_challenge_lab_f9.hex", false},
	}
	for _, tt := range tests {
		t.Run(tt.chal, func(t *testing.T) {
			neg, err := DecodeNegotiate(testpeer.Fixture(t, tt.neg))
			if err != nil {
				t.Fatal(err)
			}
			raw := testpeer.Fixture(t, tt.chal)
			real, err := DecodeChallenge(raw)
			if err != nil {
				t.Fatal(err)
			}
			p := pairsOf(t, real)
			_, ts, _ := p.Timestamp()
			avFlags, _ := p.Flags()
			info := ServerInfo{
				NetBIOSComputer: p.String(AvNbComputerName), NetBIOSDomain: p.String(AvNbDomainName),
				DNSComputer: p.String(AvDNSComputerName), DNSDomain: p.String(AvDNSDomainName),
				DNSTree: p.String(AvDNSTreeName), DomainJoined: tt.domainJoined,
				Version: real.Version, Timestamp: ts, AvFlags: avFlags,
			}
			got := NewChallenge(neg, info, real.ServerChallenge).Encode()
			if !bytes.Equal(got, raw) {
				t.Errorf("NewChallenge:\n got % x\nwant % x", got, raw)
			}
		})
	}
}

func TestNegotiateGoldenAndReal(t *testing.T) {
	// Windows 10 build 10586's NEGOTIATE, as in both the arkime and PCAP-ATTACK captures.
	golden := testpeer.Unhex(t, `
		4e544c4d53535000 # Signature "NTLMSSP\0"
		01000000         # MessageType 1
		978208e2         # NegotiateFlags 0xe2088297
		0000 0000 00000000 # DomainNameFields (empty, offset 0)
		0000 0000 00000000 # WorkstationFields (empty, offset 0)
		0a 00 5a29 000000 0f # Version 10.0.10586, revision 15`)
	m := NewNegotiate(DefaultClientFlags)
	m.Version = Version{Major: 10, Build: 10586, Revision: NTLMRevisionCurrent}
	if got := m.Encode(); !bytes.Equal(got, golden) {
		t.Errorf("got % x", got)
	}
	if real := testpeer.Fixture(t, "win10_client_negotiate_attack_f5.hex"); !bytes.Equal(real, golden) {
		t.Errorf("golden does not match capture")
	}
	for _, f := range []string{"xp_client_negotiate_f19.hex", "xpsp3_client_negotiate_f7.hex",
		"impacket_client_negotiate_lab_f8.hex", "win10_client_negotiate_attack_f5.hex"} {
		raw := testpeer.Fixture(t, f)
		n, err := DecodeNegotiate(raw)
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		if got := n.Encode(); !bytes.Equal(got, raw) {
			t.Errorf("%s re-encoding:\n got % x\nwant % x", f, got, raw)
		}
	}
	// OEM names in the payload.
	m = &Negotiate{Flags: FlagOEMDomainSupplied | FlagOEMWorkstationSupplied, Domain: "DOM", Workstation: "WS"}
	want := testpeer.Unhex(t, `
		4e544c4d53535000 01000000
		00300000                     # NegotiateFlags: OEM domain + workstation supplied
		0300 0300 20000000           # DomainNameFields: 3 bytes at 32
		0200 0200 23000000           # WorkstationFields: 2 bytes at 35
		444f4d 5753                  # "DOM" "WS"`)
	if got := m.Encode(); !bytes.Equal(got, want) {
		t.Errorf("OEM names: got % x", got)
	}
	back, err := DecodeNegotiate(want)
	if err != nil || back.Domain != "DOM" || back.Workstation != "WS" {
		t.Errorf("OEM names back: %+v %v", back, err)
	}
}

func TestParseAuthenticateReal(t *testing.T) {
	tests := []struct {
		file          string
		user, dom, ws string
		anonymous     bool
		hasMIC        bool
		lmLen, ntLen  int
		version       Version
		byteExact     bool
	}{
		{"xp_client_authenticate_f22.hex", "test", "TEST-F7DFBC3FE9", "BABYBOOK", false, true, 24, 258, Version{Major: 6, Minor: 1, Build: 7600, Reserved: [3]byte{15}}, true},
		{"xpsp3_client_authenticate_f9.hex", "whitecell", "NONE-B91CFA7B93", "", false, false, 24, 24, Version{Major: 5, Minor: 1, Build: 2600, Revision: 15}, false},
		{"win10_client_authenticate_attack_f7.hex", "lgreen", "3B", "", false, true, 24, 362, Version{Major: 10, Build: 10586, Revision: 15}, true},
		{"win10_client_anonymous_authenticate_arkime_f20.hex", "", "", "DESKTOP-V1FA0UQ", true, true, 1, 0, Version{Major: 10, Build: 10586, Revision: 15}, true},
		{"impacket_client_anonymous_authenticate_lab_f10.hex", "", "", "", true, false, 1, 0, Version{}, false},
		{"nmap_client_authenticate_lab_f13.hex", "guest", "PEERLABNT1", "nmap", false, false, 24, 8, Version{}, false},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			raw := testpeer.Fixture(t, tt.file)
			a, err := DecodeAuthenticate(raw)
			if err != nil {
				t.Fatal(err)
			}
			if a.UserName != tt.user || a.DomainName != tt.dom || (tt.ws != "" && a.Workstation != tt.ws) {
				t.Errorf("names %q %q %q", a.UserName, a.DomainName, a.Workstation)
			}
			if a.IsAnonymous() != tt.anonymous || (a.MIC != nil) != tt.hasMIC || a.Version != tt.version {
				t.Errorf("anonymous %v MIC %x version %v", a.IsAnonymous(), a.MIC, a.Version)
			}
			if len(a.LmChallengeResponse) != tt.lmLen || len(a.NtChallengeResponse) != tt.ntLen {
				t.Errorf("LM %d NT %d", len(a.LmChallengeResponse), len(a.NtChallengeResponse))
			}
			enc := a.Encode()
			if tt.byteExact && !bytes.Equal(enc, raw) {
				t.Errorf("re-encoding differs:\n got % x\nwant % x", enc, raw)
			}
			back, err := DecodeAuthenticate(enc)
			if err != nil || !bytes.Equal(back.Encode(), enc) {
				t.Errorf("round trip: %v", err)
			}
		})
	}
}

// Windows 10 signs even its null session: the MIC in the capture verifies
// with ExportedSessionKey = RC4(Z(16), EncryptedRandomSessionKey).
func TestWindowsAnonymousMIC(t *testing.T) {
	neg := testpeer.Fixture(t, "win10_client_negotiate_attack_f5.hex") // identical to arkime frame 18
	chal := testpeer.Fixture(t, "win81_9600_server_challenge_arkime_f19.hex")
	raw := testpeer.Fixture(t, "win10_client_anonymous_authenticate_arkime_f20.hex")
	a, err := DecodeAuthenticate(raw)
	if err != nil {
		t.Fatal(err)
	}
	key, err := AnonymousExportedSessionKey(a)
	if err != nil {
		t.Fatal(err)
	}
	if err := VerifyMIC(key, neg, chal, raw); err != nil {
		t.Errorf("VerifyMIC: %v", err)
	}
	if err := VerifyMIC([16]byte{1}, neg, chal, raw); !errors.Is(err, ErrLogonFailure) {
		t.Errorf("wrong key: %v", err)
	}
	if _, err := VerifyNTLMv2(a, [8]byte{}, Account{}); !errors.Is(err, ErrAnonymous) {
		t.Errorf("VerifyNTLMv2 on anonymous: %v", err)
	}
}

// Our anonymous AUTHENTICATE is impacket's (which Samba 4.17 accepted in the
// lab capture) except that it also sets NTLMSSP_ANONYMOUS as Windows does.
func TestAnonymousAuthenticateGolden(t *testing.T) {
	chal, err := DecodeChallenge(testpeer.Fixture(t, "samba417_server_challenge_lab_f9.hex"))
	if err != nil {
		t.Fatal(err)
	}
	want := testpeer.Unhex(t, `
		4e544c4d53535000 03000000
		0100 0100 40000000   # LmChallengeResponseFields: Z(1) at 64
		0000 0000 41000000   # NtChallengeResponseFields: empty
		0000 0000 40000000   # DomainNameFields: empty
		0000 0000 40000000   # UserNameFields: empty
		0000 0000 40000000   # WorkstationFields: empty
		0000 0000 41000000   # EncryptedRandomSessionKeyFields: empty
		050a88a0             # NegotiateFlags 0xa0880a05 (impacket: 0xa0880205, no ANONYMOUS)
		00                   # LmChallengeResponse Z(1)`)
	a := NewAnonymousAuthenticate(chal, false)
	got := a.Encode()
	if !bytes.Equal(got, want) {
		t.Errorf("got  % x\nwant % x", got, want)
	}
	imp := testpeer.Fixture(t, "impacket_client_anonymous_authenticate_lab_f10.hex")
	got[61] &^= byte(FlagAnonymous >> 8)
	if !bytes.Equal(got, imp) {
		t.Errorf("differs from impacket beyond the ANONYMOUS flag:\n% x\n% x", got, imp)
	}
	empty := NewAnonymousAuthenticate(chal, true)
	if !empty.IsAnonymous() || len(empty.Encode()) != authMinSize {
		t.Errorf("empty-LM form: %+v", empty)
	}
}

func TestDecodeErrors(t *testing.T) {
	chal := testpeer.Fixture(t, "xp_server_challenge_f20.hex")
	auth := testpeer.Fixture(t, "xp_client_authenticate_f22.hex")
	mut := func(b []byte, f func([]byte)) []byte {
		c := append([]byte(nil), b...)
		f(c)
		return c
	}
	tests := []struct {
		name  string
		parse func([]byte) error
		in    []byte
		want  error
	}{
		{"empty", parseC, nil, ErrTruncated},
		{"bad signature", parseC, mut(chal, func(b []byte) { b[0] = 'X' }), ErrMalformed},
		{"wrong type", parseC, mut(chal, func(b []byte) { b[8] = 3 }), ErrMalformed},
		{"challenge short header", parseC, chal[:31], ErrTruncated},
		{"target name beyond end", parseC, chal[:100], ErrTruncated},
		{"target name offset in header", parseC, mut(chal, func(b []byte) { b[16] = 20 }), ErrMalformed},
		{"target info huge offset", parseC, mut(chal, func(b []byte) { b[47] = 0xff }), ErrTruncated},
		{"auth short", parseA, auth[:63], ErrTruncated},
		{"auth NT beyond end", parseA, auth[:300], ErrTruncated},
		{"auth user offset in header", parseA, mut(auth, func(b []byte) { b[40] = 8 }), ErrMalformed},
		{"negotiate short", parseN, []byte("NTLMSSP\x00\x01\x00\x00\x00\x01"), ErrTruncated},
		{"negotiate domain beyond", parseN, testpeer.Unhex(t, "4e544c4d5353500001000000 00000000 0500 0500 20000000 0000 0000 00000000 4142"), ErrTruncated},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.parse(tt.in); !errors.Is(err, tt.want) {
				t.Errorf("got %v, want %v", err, tt.want)
			}
		})
	}
	// Every prefix of every real message must decode or fail cleanly.
	for name, raw := range testpeer.ReadHexFiles(t, "testdata/*.hex") {
		for n := range len(raw) {
			parseN(raw[:n])
			parseC(raw[:n])
			parseA(raw[:n])
			DecodeAvPairs(raw[:n])
			DecodeNTLMv2Response(raw[:n])
		}
		_ = name
	}
}

func parseN(b []byte) error { _, err := DecodeNegotiate(b); return err }
func parseC(b []byte) error { _, err := DecodeChallenge(b); return err }
func parseA(b []byte) error { _, err := DecodeAuthenticate(b); return err }

// Short CHALLENGEs from pre-2003 servers have no TargetInfo or VERSION.
func TestChallengeShortHeaders(t *testing.T) {
	short := testpeer.Unhex(t, `
		4e544c4d53535000 02000000
		0800 0800 30000000   # TargetNameFields: 8 bytes at 48
		05820000             # NegotiateFlags: UNICODE, REQUEST_TARGET, NTLM, ALWAYS_SIGN
		0123456789abcdef     # ServerChallenge
		0000000000000000     # Context (old layout)
		0000000000000000     # would be TargetInfoFields; the payload starts at 48
		44004f004d00         # "DOM"
		0000                 # a NUL terminator some servers add`)
	c, err := DecodeChallenge(short)
	if err != nil {
		t.Fatal(err)
	}
	if c.TargetName != "DOM" || c.TargetInfo != nil || !c.Version.IsZero() {
		t.Errorf("%+v", c)
	}
	min32 := testpeer.Unhex(t, "4e544c4d53535000 02000000 0000 0000 00000000 01020000 0123456789abcdef")
	if c, err := DecodeChallenge(min32); err != nil || c.ServerChallenge[0] != 0x01 {
		t.Errorf("32-byte challenge: %v", err)
	}
}
