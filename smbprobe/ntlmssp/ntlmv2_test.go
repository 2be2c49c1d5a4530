package ntlmssp

import (
	"bytes"
	"errors"
	"testing"
	"time"

	"github.com/scan445/scan445/internal/testpeer"
)

// MS-NLMP 4.2.4: User "User", UserDom "Domain", Passwd "Password", server
// challenge 0123456789abcdef, client challenge aa*8, time 0, RandomSessionKey 55*16.
func TestNTLMv2SpecVectors(t *testing.T) {
	hash := NTHash("Password")
	if want := testpeer.Unhex(t, "a4f49c406510bdcab6824ee7c30fd852"); !bytes.Equal(hash[:], want) {
		t.Errorf("NTOWFv1 % x", hash)
	}
	key := NTOWFv2(hash, "User", "Domain")
	if want := testpeer.Unhex(t, "0c868a403bfd7a93a3001ef22ef02e3f"); !bytes.Equal(key[:], want) {
		t.Errorf("NTOWFv2 % x", key)
	}
	sc := [8]byte{0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef}
	cc := [8]byte{0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa}
	pairs := AvPairs{AvString(AvNbDomainName, "Domain"), AvString(AvNbComputerName, "Server")}
	blob := ClientChallengeBlob(0, cc, pairs.Encode())
	wantTemp := testpeer.Unhex(t, `
		01 01 0000 00000000          # RespType, HiRespType, Reserved1, Reserved2
		0000000000000000             # TimeStamp 0
		aaaaaaaaaaaaaaaa             # ChallengeFromClient
		00000000                     # Reserved3
		0200 0c00 44006f006d00610069006e00  # MsvAvNbDomainName "Domain"
		0100 0c00 530065007200760065007200 # MsvAvNbComputerName "Server"
		0000 0000                    # MsvAvEOL
		00000000                     # Z(4)`)
	if !bytes.Equal(blob, wantTemp) {
		t.Errorf("temp\n got % x\nwant % x", blob, wantTemp)
	}
	r := ComputeNTLMv2(key, sc, blob)
	checks := []struct {
		name string
		got  []byte
		want string
	}{
		{"NTProofStr", r.NTProofStr[:], "68cd0ab851e51c96aabc927bebef6a1c"},
		{"LMv2", r.LmResponse, "86c35097ac9cec102554764a57cccc19aaaaaaaaaaaaaaaa"},
		{"SessionBaseKey", r.SessionBaseKey[:], "8de40ccadbc14a82f15cb0ad0de95ca3"},
		{"EncryptedRandomSessionKey", EncryptSessionKey(r.SessionBaseKey, [16]byte{
			0x55, 0x55, 0x55, 0x55, 0x55, 0x55, 0x55, 0x55, 0x55, 0x55, 0x55, 0x55, 0x55, 0x55, 0x55, 0x55}),
			"c5dad2544fc9799094ce1ce90bc9d03e"},
	}
	for _, c := range checks {
		if want := testpeer.Unhex(t, c.want); !bytes.Equal(c.got, want) {
			t.Errorf("%s: got % x want % x", c.name, c.got, want)
		}
	}
	if !bytes.Equal(r.NtResponse[16:], blob) || !bytes.Equal(r.NtResponse[:16], r.NTProofStr[:]) {
		t.Errorf("NtResponse layout")
	}
}

type fixedReader byte

func (f fixedReader) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = byte(f)
	}
	return len(p), nil
}

// Client and server halves agree, including key exchange and the MIC, and a
// wrong password, user or challenge is refused.
func TestClientServerNTLMv2(t *testing.T) {
	negMsg := NewNegotiate(DefaultClientFlags)
	negMsg.Version = Version{Major: 6, Minor: 1, Build: 7601, Revision: 15}
	neg := negMsg.Encode()
	sc := [8]byte{1, 2, 3, 4, 5, 6, 7, 8}
	info := ServerInfo{NetBIOSComputer: "LABXP", NetBIOSDomain: "WORKGROUP", DNSComputer: "labxp",
		Version: Version{Major: 5, Minor: 1, Build: 2600, Revision: 15}}
	acct := Account{User: "Administrator", Domain: "LABXP", Hash: NTHash("s3cret!")}
	for _, withTime := range []bool{false, true} {
		if withTime {
			info.Timestamp = time.Date(2009, 1, 16, 0, 0, 0, 0, time.UTC)
		}
		chal := NewChallenge(mustNeg(t, neg), info, sc).Encode()
		for _, hashed := range []bool{false, true} {
			cred := Credentials{User: "administrator", Domain: "labxp", Workstation: "SCANNER", Hash: NTHash("s3cret!")}
			if hashed {
				h, err := ParseNTHash("aad3b435b51404eeaad3b435b51404ee:" + hexOf(acct.Hash[:]))
				if err != nil {
					t.Fatal(err)
				}
				cred.Hash = h
			}
			res, err := NewAuthenticateNTLMv2(cred, neg, chal, AuthOptions{Rand: fixedReader(7),
				Now: func() time.Time { return time.Unix(1231000000, 0) }})
			if err != nil {
				t.Fatal(err)
			}
			auth, err := DecodeAuthenticate(res.Message)
			if err != nil {
				t.Fatal(err)
			}
			if (auth.MIC != nil) != withTime {
				t.Errorf("MIC present %v with timestamp %v", auth.MIC != nil, withTime)
			}
			v, err := VerifyNTLMv2(auth, sc, acct)
			if err != nil {
				t.Fatalf("verify (time %v hash %v): %v", withTime, hashed, err)
			}
			if v.SessionBaseKey != res.SessionBaseKey || v.ExportedSessionKey != res.ExportedSessionKey || v.MICRequired != withTime {
				t.Errorf("keys differ or MICRequired %v", v.MICRequired)
			}
			if withTime {
				if err := VerifyMIC(v.ExportedSessionKey, neg, chal, res.Message); err != nil {
					t.Errorf("MIC: %v", err)
				}
				tampered := append([]byte(nil), res.Message...)
				tampered[60] ^= 0x10 // flip NTLMSSP_NEGOTIATE_SIGN after the fact
				if err := VerifyMIC(v.ExportedSessionKey, neg, chal, tampered); !errors.Is(err, ErrLogonFailure) {
					t.Errorf("tampered flags passed MIC: %v", err)
				}
			}
			for name, a := range map[string]Account{
				"password": {User: acct.User, Hash: NTHash("wrong")},
				"user":     {User: "guest", Hash: acct.Hash},
			} {
				if _, err := VerifyNTLMv2(auth, sc, a); !errors.Is(err, ErrLogonFailure) {
					t.Errorf("wrong %s accepted: %v", name, err)
				}
			}
			if _, err := VerifyNTLMv2(auth, [8]byte{9}, acct); !errors.Is(err, ErrLogonFailure) {
				t.Errorf("wrong challenge accepted: %v", err)
			}
		}
	}
}

func mustNeg(t *testing.T, b []byte) *Negotiate {
	t.Helper()
	n, err := DecodeNegotiate(b)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func hexOf(b []byte) string {
	const digits = "0123456789abcdef"
	out := make([]byte, 0, 2*len(b))
	for _, c := range b {
		out = append(out, digits[c>>4], digits[c&15])
	}
	return string(out)
}

func TestParseNTHash(t *testing.T) {
	for _, tt := range []struct {
		in string
		ok bool
	}{
		{"a4f49c406510bdcab6824ee7c30fd852", true},
		{"aad3b435b51404eeaad3b435b51404ee:a4f49c406510bdcab6824ee7c30fd852", true},
		{"a4f49c406510bdcab6824ee7c30fd85", false},
		{"z4f49c406510bdcab6824ee7c30fd852", false},
	} {
		h, err := ParseNTHash(tt.in)
		if (err == nil) != tt.ok || (tt.ok && h != NTHash("Password")) {
			t.Errorf("%q: %x %v", tt.in, h, err)
		}
	}
}

func TestAvPairs(t *testing.T) {
	golden := testpeer.Unhex(t, `
		0100 0600 410042004300   # MsvAvNbComputerName "ABC"
		0600 0400 02000000       # MsvAvFlags MIC present
		0700 0800 0080d43dae77c901 # MsvAvTimestamp
		0000 0000                # MsvAvEOL`)
	ts := FileTimeToTime(0x01c977ae3dd48000)
	p := AvPairs{AvString(AvNbComputerName, "ABC"), AvFlagsPair(AvFlagMICPresent), AvFileTime(TimeToFileTime(ts))}
	if got := p.Encode(); !bytes.Equal(got, golden) {
		t.Errorf("got % x", got)
	}
	back, err := DecodeAvPairs(append(golden, 0xde, 0xad)) // bytes after EOL are ignored
	if err != nil || back.String(AvNbComputerName) != "ABC" {
		t.Fatalf("%v %v", back, err)
	}
	if f, ok := back.Flags(); !ok || f != AvFlagMICPresent {
		t.Errorf("flags %v %v", f, ok)
	}
	if _, got, ok := back.Timestamp(); !ok || !got.Equal(ts) {
		t.Errorf("timestamp %v", got)
	}
	bad := []struct {
		name string
		in   string
		want error
	}{
		{"no EOL", "0100 0200 4100", ErrTruncated},
		{"value beyond end", "0100 0800 4100", ErrTruncated},
		{"EOL with length", "0000 0200 0000", ErrMalformed},
		{"half header", "01", ErrTruncated},
	}
	for _, b := range bad {
		if _, err := DecodeAvPairs(testpeer.Unhex(t, b.in)); !errors.Is(err, b.want) {
			t.Errorf("%s: %v", b.name, err)
		}
	}
	// UTF-16 oddities: NUL terminator, odd byte count, surrogate pair.
	for _, u := range []struct{ in, want string }{
		{"41004200 0000", "AB"}, {"410042", "A\uFFFD"}, {"3dd8 00de", "\U0001F600"}, {"", ""},
	} {
		if got := decodeUTF16(testpeer.Unhex(t, u.in)); got != u.want {
			t.Errorf("decodeUTF16(%s) = %q", u.in, got)
		}
	}
}
