package p2p

import (
	"bytes"
	"errors"
	"testing"

	"github.com/scan445/scan445/internal/testpeer"
)

// Hellos sent by nmap 7.93's p2p-conficker (captured on lo with tshark, and through the
// responder's Log hook in TestNmapInterop): an independent implementation's bytes.
const (
	nmapUDPHello = `
		9e583363 // key1 0x6333589e (clear)
		65493c56 // key2 0x563c4965 (clear)
		3d71     // flags, enciphered (0x8001: MODE|ENCODED)
		50e34611 // checksum, enciphered`
	nmapUDPHello2 = `fed2ca32 50cdfd41 fd71 b8b64200`
	nmapTCPHello  = `
		0e00     // frame length 14 (clear, uint16 LE)
		292c827c // key1 0x7c822c29
		8d3a4c1b // key2 0x1b4c3a8d
		57c8     // flags, enciphered (0x8005: MODE|IS_TCP|ENCODED)
		2cc80514 // checksum, enciphered`
)

func TestParseNmapHellos(t *testing.T) {
	for _, tc := range []struct {
		name  string
		hex   string
		tcp   bool
		flags uint16
	}{
		{"udp", nmapUDPHello, false, FlagMode | FlagEncoded},
		{"udp2", nmapUDPHello2, false, FlagMode | FlagEncoded},
		{"tcp", nmapTCPHello, true, FlagMode | FlagIsTCP | FlagEncoded},
	} {
		t.Run(tc.name, func(t *testing.T) {
			wire := testpeer.Unhex(t, tc.hex)
			body := wire
			if tc.tcp {
				if int(wire[0])|int(wire[1])<<8 != len(wire)-2 {
					t.Fatalf("frame length mismatch")
				}
				body = wire[2:]
			}
			p, err := DecodePacket(body)
			if err != nil {
				t.Fatal(err)
			}
			if p.Flags != tc.flags {
				t.Errorf("flags 0x%04x, want 0x%04x", p.Flags, tc.flags)
			}
			if !p.ChecksumOK() {
				t.Errorf("checksum 0x%08x, computed 0x%08x", p.Checksum, p.ComputedChecksum)
			}
			if len(p.Noise) != 0 || p.SysInfo != nil || p.Data != nil {
				t.Errorf("unexpected optional content: %+v", p)
			}
			// Re-encoding nmap's keys reproduces nmap's bytes exactly: golden bytes from an
			// independent encoder.
			h := NewHello(p.Key1, p.Key2, tc.tcp)
			enc, err := h.Encode(nil)
			if err != nil {
				t.Fatal(err)
			}
			if tc.tcp {
				enc, _ = AppendFrame(nil, enc)
			}
			if !bytes.Equal(enc, wire) {
				t.Errorf("encode:\n got %x\nwant %x", enc, wire)
			}
		})
	}
}

// Checksums computed by hand from the definition in docs/checks.md §4b.
func TestChecksumGolden(t *testing.T) {
	for _, tc := range []struct {
		in   []byte
		want uint32
	}{
		{nil, 0},
		{[]byte{0x00}, 0x00000002},       // h=1; t=1; rotl -> 2
		{[]byte{0xFF}, 0x000001FC},       // h=1; t=0xFE; rotl -> 0x1FC
		{[]byte{0x01, 0x02}, 0x00000008}, // h=2; t=3 -> 6; t=6^2=4 -> 8
		{make([]byte, 32), 0x00000020},   // h=32 rotated 32 times
		{make([]byte, 31), 0x8000000F},   // h=31 rotated 31 times: bit 0 wrapped into bit 31
	} {
		if got := Checksum(tc.in); got != tc.want {
			t.Errorf("Checksum(%x) = 0x%08x, want 0x%08x", tc.in, got, tc.want)
		}
	}
}

func TestCryptRoundTrip(t *testing.T) {
	for _, keys := range [][2]uint32{{0, 0}, {1, 0}, {0xFFFFFFFF, 0}, {0xFFFFFFFF, 0xFFFFFFFF}, {0x6333589e, 0x563c4965}} {
		plain := make([]byte, 300)
		for i := range plain {
			plain[i] = byte(i * 7)
		}
		buf := append([]byte(nil), plain...)
		Crypt(keys[0], keys[1], buf)
		if keys == [2]uint32{} {
			if !bytes.Equal(buf, plain) {
				t.Errorf("key 0:0 changed the data")
			}
		} else if bytes.Equal(buf, plain) {
			t.Errorf("key %x did not encipher", keys)
		}
		Crypt(keys[0], keys[1], buf)
		if !bytes.Equal(buf, plain) {
			t.Errorf("key %x: round trip failed", keys)
		}
	}
}

// Key stream by hand for key2:key1 = 0:1 (rotate left, take low byte, add it back):
// k=2 (key1 2->4), k=8 (8->16), k=32 (32->64), k=128 (128->256), k=0 (512), ...
func TestCryptKeystream(t *testing.T) {
	b := make([]byte, 6)
	Crypt(1, 0, b)
	want := []byte{0x02, 0x08, 0x20, 0x80, 0x00, 0x00}
	if !bytes.Equal(b, want) {
		t.Errorf("keystream %x, want %x", b, want)
	}
	// Carry from key1 into key2: key1 0x80000000 rotates into key2 bit 0 and back.
	b = make([]byte, 2)
	Crypt(0x80000000, 0, b) // rot: key2=1 key1=0, k=0; rot: key2=2, key1=0, k=0
	if !bytes.Equal(b, []byte{0, 0}) {
		t.Errorf("keystream %x", b)
	}
	b = make([]byte, 1)
	Crypt(0, 0x80000000, b) // rot: key1=1 (bit 63 wraps to bit 0), k=1
	if b[0] != 1 {
		t.Errorf("bit 63 did not wrap: %x", b)
	}
}

func fullPacket() Packet {
	si := XPSP3()
	si.PRNGSample = 0xdeadbeef
	return Packet{
		Key1: 0x11223344, Key2: 0x55667788,
		Flags: FlagEncoded | FlagIPIncluded | FlagUnknown0 | FlagUnknown1 | FlagIsTCP,
		IP:    0x0100007f, Port: 0x3930, Unknown0: 7, Unknown1: 9,
		DataFlags: 3, Data: []byte("hello"), SysInfo: &si, Noise: []byte{1, 2, 3},
	}
}

func TestPacketRoundTrip(t *testing.T) {
	for _, p := range []Packet{NewHello(1, 2, false), NewHello(0, 0, true), fullPacket(), {Key1: 5, Data: []byte{}}} {
		in := p
		b, err := in.Encode(nil)
		if err != nil {
			t.Fatal(err)
		}
		got, err := DecodePacket(b)
		if err != nil {
			t.Fatalf("%x: %v", b, err)
		}
		if !got.ChecksumOK() || got.Checksum != in.Checksum {
			t.Errorf("checksum: %+v", got)
		}
		wantFlags := in.Flags
		if in.Data != nil {
			wantFlags |= FlagData
		}
		if in.SysInfo != nil {
			wantFlags |= FlagSysInfo
		}
		if got.Flags != wantFlags || got.IP != in.IP || got.Port != in.Port || got.Unknown0 != in.Unknown0 ||
			got.Unknown1 != in.Unknown1 || got.DataFlags != in.DataFlags || !bytes.Equal(got.Data, in.Data) ||
			!bytes.Equal(got.Noise, in.Noise) || (got.SysInfo == nil) != (in.SysInfo == nil) ||
			(got.SysInfo != nil && *got.SysInfo != *in.SysInfo) {
			t.Errorf("round trip:\n got %+v\nwant %+v", got, in)
		}
	}
}

// Golden bytes for a reply with every optional field: plaintext by field, then enciphered.
func TestEncodeGoldenFull(t *testing.T) {
	plain := testpeer.Unhex(t, `
		44332211 88776655 // key1, key2
		fc80              // flags 0x80fc: ENCODED|SYSINFO|DATA|UNKNOWN1|UNKNOWN0|IP_INCLUDED|IS_TCP
		7f000001 3039     // ip (raw 0x0100007f), port (raw 0x3930)
		07000000          // unknown0
		09000000          // unknown1
		03 0500 68656c6c6f // data flags, data length 5, "hello"
		0000 05 01 280a 03 00 0904 efbeadde 0000 0000 00000000 0000 0000 // sysinfo: XP 5.1.2600 SP3.0, translation 0x0409, prng sample
	`)
	sum := Checksum(plain)
	p := fullPacket()
	got, err := p.Encode(nil)
	if err != nil {
		t.Fatal(err)
	}
	want := append(append([]byte(nil), plain...), byte(sum), byte(sum>>8), byte(sum>>16), byte(sum>>24), 1, 2, 3)
	Crypt(0x11223344, 0x55667788, want[8:])
	if !bytes.Equal(got, want) {
		t.Errorf("encode:\n got %x\nwant %x", got, want)
	}
}

func TestParsePacketErrors(t *testing.T) {
	hello, _ := (&Packet{Key1: 0, Key2: 0, Flags: FlagMode}).Encode(nil)
	full := fullPacket()
	fb, _ := full.Encode(nil)
	noNoise := fb[:len(fb)-3]
	for _, tc := range []struct {
		name string
		in   []byte
	}{
		{"empty", nil},
		{"13 bytes", hello[:13]},
		{"keys only", hello[:8]},
		{"full cut in sysinfo", noNoise[:len(noNoise)-10]},
		{"full cut in checksum", noNoise[:len(noNoise)-1]},
		{"full cut in data", noNoise[:25]},
	} {
		if _, err := DecodePacket(tc.in); !errors.Is(err, ErrTruncated) {
			t.Errorf("%s: err %v, want ErrTruncated", tc.name, err)
		}
	}
	// A flipped bit in the checksum still parses: the "possibly infected" case.
	bad := append([]byte(nil), hello...)
	bad[len(bad)-1] ^= 0x80
	p, err := DecodePacket(bad)
	if err != nil || p.ChecksumOK() {
		t.Errorf("bad checksum: err %v ok %v", err, p.ChecksumOK())
	}
	if _, err := (&Packet{Flags: FlagSysInfo}).Encode(nil); !errors.Is(err, ErrMalformed) {
		t.Errorf("SYSINFO flag without SysInfo: %v", err)
	}
	if _, err := AppendFrame(nil, make([]byte, 0x10000)); !errors.Is(err, ErrMalformed) {
		t.Errorf("oversized frame: %v", err)
	}
}

func TestSysInfoOS(t *testing.T) {
	for _, tc := range []struct {
		si   SysInfo
		want string
	}{
		{XPSP3(), "Windows XP SP3"},
		{SysInfo{OSMajor: 5, OSMinor: 0, OSBuild: 2195, SPMajor: 4}, "Windows 2000 SP4"},
		{SysInfo{OSMajor: 5, OSMinor: 2, OSBuild: 3790, SPMajor: 2}, "Windows Server 2003 SP2"},
		{SysInfo{OSMajor: 6, OSMinor: 0, OSBuild: 6001, SPMajor: 1}, "Windows Vista/2008 SP1"},
		{SysInfo{OSMajor: 5, OSMinor: 1, OSBuild: 2600}, "Windows XP"},
		{SysInfo{OSMajor: 9, OSMinor: 9, OSBuild: 1, SPMajor: 1, SPMinor: 2}, "Windows 9.9 build 1 SP1.2"},
	} {
		if got := tc.si.OS(); got != tc.want {
			t.Errorf("%+v: %q, want %q", tc.si, got, tc.want)
		}
	}
}

func FuzzParsePacket(f *testing.F) {
	for _, s := range []string{nmapUDPHello, nmapUDPHello2} {
		f.Add(testpeer.Unhex(f, s))
	}
	f.Add(testpeer.Unhex(f, nmapTCPHello)[2:])
	fp := fullPacket()
	b, _ := fp.Encode(nil)
	f.Add(b)
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, in []byte) {
		orig := append([]byte(nil), in...)
		p, err := DecodePacket(in)
		if !bytes.Equal(in, orig) {
			t.Fatal("DecodePacket modified its input")
		}
		if err != nil {
			if !errors.Is(err, ErrTruncated) && !errors.Is(err, ErrMalformed) {
				t.Fatalf("unexpected error type: %v", err)
			}
			return
		}
		// What parses re-encodes to the same bytes when the checksum verified.
		if p.ChecksumOK() {
			q := p
			out, err := q.Encode(nil)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(out, in) {
				t.Fatalf("re-encode differs:\n in %x\nout %x", in, out)
			}
		}
	})
}
