package ntlmssp

import (
	"bytes"
	"testing"

	"github.com/scan445/scan445/internal/testpeer"
)

func seed(f *testing.F) {
	for _, b := range testpeer.ReadHexFiles(f, "testdata/*.hex") {
		f.Add(b)
	}
}

// Decoders never panic, and whatever decodes re-encodes to a stable form.
func FuzzParseNegotiate(f *testing.F) {
	seed(f)
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := ParseNegotiate(b)
		if err != nil {
			return
		}
		enc := m.Marshal()
		m2, err := ParseNegotiate(enc)
		if err != nil || !bytes.Equal(m2.Marshal(), enc) {
			t.Fatalf("unstable: %v", err)
		}
	})
}

func FuzzParseChallenge(f *testing.F) {
	seed(f)
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := ParseChallenge(b)
		if err != nil {
			return
		}
		m.AvPairs()
		enc := m.Marshal()
		m2, err := ParseChallenge(enc)
		if err != nil || !bytes.Equal(m2.Marshal(), enc) {
			t.Fatalf("unstable: %v", err)
		}
	})
}

func FuzzParseAuthenticate(f *testing.F) {
	seed(f)
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := ParseAuthenticate(b)
		if err != nil {
			return
		}
		m.IsAnonymous()
		ParseNTLMv2Response(m.NtChallengeResponse)
		enc := m.Marshal()
		m2, err := ParseAuthenticate(enc)
		if err != nil || !bytes.Equal(m2.Marshal(), enc) {
			t.Fatalf("unstable: %v", err)
		}
	})
}

func FuzzParseAvPairs(f *testing.F) {
	for _, name := range []string{"xp_server_challenge_f20.hex", "win10_14393_server_challenge_attack_f6.hex",
		"samba417_server_challenge_lab_f9.hex"} {
		c, err := ParseChallenge(testpeer.Fixture(f, name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(c.TargetInfo)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := ParseAvPairs(b)
		if err != nil {
			return
		}
		p.Timestamp()
		p.Flags()
		p.String(AvNbComputerName)
		enc := p.Marshal()
		p2, err := ParseAvPairs(enc)
		if err != nil || !bytes.Equal(p2.Marshal(), enc) {
			t.Fatalf("unstable: %v", err)
		}
	})
}

func FuzzParseNTLMv2Response(f *testing.F) {
	for _, name := range []string{"xp_client_authenticate_f22.hex", "win10_client_authenticate_attack_f7.hex"} {
		a, err := ParseAuthenticate(testpeer.Fixture(f, name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(a.NtChallengeResponse)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		ParseNTLMv2Response(b)
	})
}
