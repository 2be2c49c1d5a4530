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
		m, err := DecodeNegotiate(b)
		if err != nil {
			return
		}
		enc := m.Encode()
		m2, err := DecodeNegotiate(enc)
		if err != nil || !bytes.Equal(m2.Encode(), enc) {
			t.Fatalf("unstable: %v", err)
		}
	})
}

func FuzzParseChallenge(f *testing.F) {
	seed(f)
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := DecodeChallenge(b)
		if err != nil {
			return
		}
		m.AvPairs()
		enc := m.Encode()
		m2, err := DecodeChallenge(enc)
		if err != nil || !bytes.Equal(m2.Encode(), enc) {
			t.Fatalf("unstable: %v", err)
		}
	})
}

func FuzzParseAuthenticate(f *testing.F) {
	seed(f)
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := DecodeAuthenticate(b)
		if err != nil {
			return
		}
		m.IsAnonymous()
		DecodeNTLMv2Response(m.NtChallengeResponse)
		enc := m.Encode()
		m2, err := DecodeAuthenticate(enc)
		if err != nil || !bytes.Equal(m2.Encode(), enc) {
			t.Fatalf("unstable: %v", err)
		}
	})
}

func FuzzParseAvPairs(f *testing.F) {
	for _, name := range []string{"xp_server_challenge_f20.hex", "win10_14393_server_challenge_attack_f6.hex",
		"samba417_server_challenge_lab_f9.hex"} {
		c, err := DecodeChallenge(testpeer.Fixture(f, name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(c.TargetInfo)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := DecodeAvPairs(b)
		if err != nil {
			return
		}
		p.Timestamp()
		p.Flags()
		p.String(AvNbComputerName)
		enc := p.Encode()
		p2, err := DecodeAvPairs(enc)
		if err != nil || !bytes.Equal(p2.Encode(), enc) {
			t.Fatalf("unstable: %v", err)
		}
	})
}

func FuzzParseNTLMv2Response(f *testing.F) {
	for _, name := range []string{"xp_client_authenticate_f22.hex", "win10_client_authenticate_attack_f7.hex"} {
		a, err := DecodeAuthenticate(testpeer.Fixture(f, name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(a.NtChallengeResponse)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		DecodeNTLMv2Response(b)
	})
}
