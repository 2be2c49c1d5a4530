package smblab

import (
	"net/netip"
	"path/filepath"
	"testing"
	"time"
)

// fuzzPersonalities are the models the dispatcher fuzzer rotates through.
var fuzzPersonalities = []string{"xp-sp2", "win7-sp1", "w2012r2-nosmb1", "xp-basic-only-conficker", "xp-sp3-conficker-d", "honeypot-xp", "vista-sp1"}

// frameMessages encodes messages as [uint16 LE length][bytes]..., the fuzz input format.
func frameMessages(msgs [][]byte) []byte {
	var b []byte
	for _, m := range msgs {
		if len(m) > 0xFFFF {
			m = m[:0xFFFF]
		}
		b = le.AppendUint16(b, uint16(len(m)))
		b = append(b, m...)
	}
	return b
}

// FuzzHandle feeds arbitrary client messages to the request dispatcher of several
// personalities: it must never panic, and a crash may only come from an unpatched model.
func FuzzHandle(f *testing.F) {
	msgs, err := readTranscript(filepath.Join("testdata", "transcript-xp-sp2-smb1.hex"), '>')
	if err != nil {
		f.Fatal(err)
	}
	for i := range fuzzPersonalities {
		f.Add(byte(i), frameMessages(msgs))
	}
	f.Add(byte(0), frameMessages(msgs[:1]))
	// Real third-party client bytes: impacket's SMB2 and basic-security SMB1 sessions.
	for _, seed := range []struct {
		file string
		pers byte
	}{
		{"transcript-impacket-vista-sp1-smb2.hex", 6},
		{"transcript-impacket-xp-basic-smb1.hex", 3},
	} {
		m, err := readTranscript(filepath.Join("testdata", seed.file), '>')
		if err != nil {
			f.Fatal(err)
		}
		f.Add(seed.pers, frameMessages(m))
	}
	f.Add(byte(2), frameMessages([][]byte{[]byte("\xfeSMB@\x00\x00\x00\x00\x00\x00\x00\x00\x00")}))
	ps := DefaultPersonalities()
	byName := map[string]Personality{}
	for _, p := range ps {
		byName[p.Name] = p
	}
	f.Fuzz(func(t *testing.T, which byte, data []byte) {
		p := byName[fuzzPersonalities[int(which)%len(fuzzPersonalities)]]
		s := newSession(&p, netip.MustParseAddr("127.0.0.2"), time.Now)
		for len(data) >= 2 {
			n := int(le.Uint16(data))
			data = data[2:]
			if n > len(data) {
				n = len(data)
			}
			msg := data[:n]
			data = data[n:]
			replies, act := s.handle(msg)
			for _, r := range replies {
				if len(r) < 4 || len(r) > maxFrame*2 {
					t.Fatalf("reply of %d bytes", len(r))
				}
			}
			if act.crash != "" && p.Srvsvc != SrvsvcUnpatched {
				t.Fatalf("%s crashed: %s", p.Name, act.crash)
			}
			if act.close || act.crash != "" {
				return
			}
		}
	})
}
