package capture

import (
	"bytes"
	"encoding/hex"
	"errors"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/scan445/scan445/internal/testpeer"
	"golang.org/x/net/bpf"
)

func fixture(t testing.TB, name string) []byte {
	t.Helper()
	return testpeer.ReadHex(t, filepath.Join("testdata", name))
}

// arpReply is an ARP reply 10.9.0.7 is-at 02:00:00:00:00:07, to 10.9.0.1 (no capture of ours
// holds one; the layout is RFC 826's).
const arpReply = `
	ffffffffffff 020000000007 0806   # Ethernet: broadcast, src, ARP
	0001 0800 06 04 0002             # Ethernet/IPv4, lengths 6/4, op 2 (reply)
	020000000007 0a090007            # sender MAC, 10.9.0.7
	020000000001 0a090001            # target MAC, 10.9.0.1
`

// withIPOptions returns the untagged frame b with n 4-byte IPv4 options (NOPs) inserted and
// IHL and Total Length adjusted.
func withIPOptions(b []byte, n int) []byte {
	out := slices.Clone(b[:EthernetLen+IPv4MinLen])
	for range n * 4 {
		out = append(out, 0x01) // NOP
	}
	out = append(out, b[EthernetLen+IPv4MinLen:]...)
	ip := out[EthernetLen:]
	ip[0] = 0x40 | byte(5+n)
	be.PutUint16(ip[2:4], be.Uint16(ip[2:4])+uint16(4*n))
	return out
}

// withFrag sets the IPv4 flags/fragment-offset field of the untagged frame b.
func withFrag(b []byte, v uint16) []byte {
	out := slices.Clone(b)
	be.PutUint16(out[EthernetLen+6:], v)
	return out
}

func TestDecodeFrame(t *testing.T) {
	syn := fixture(t, "xpsp2_syn_445.hex")
	synack := fixture(t, "w2k_synack_445.hex")
	vlan := fixture(t, "xpsp3_vlan120_syn_445.hex")
	a := netip.MustParseAddr
	xpSYN := Frame{Kind: KindSYN, Src: a("10.24.64.228"), Dst: a("10.24.8.44"), SrcPort: 1227, DstPort: 445, Seq: 0x1cd0a614}
	tests := []struct {
		name    string
		frame   []byte
		want    Frame
		wantErr error
	}{
		{"XP SYN to 445", syn, xpSYN, nil},
		{"2000 SYN-ACK from 445", synack, Frame{Kind: KindSYNACK, Src: a("10.24.8.44"), Dst: a("10.24.64.228"), SrcPort: 445, DstPort: 1227, Seq: 0xa8ffaebb}, nil},
		{"XP SYN on VLAN 120", vlan, Frame{Kind: KindSYN, Src: a("192.168.202.115"), Dst: a("192.168.24.100"), SrcPort: 3049, DstPort: 445, Seq: 0xc3fcfa08, VLAN: 120}, nil},
		{"IPv4 options (IHL 6) skipped", withIPOptions(syn, 1), xpSYN, nil},
		{"IPv4 options (IHL 15) skipped", withIPOptions(syn, 10), xpSYN, nil},
		{"first fragment ignored", withFrag(syn, 0x2000), Frame{Kind: KindOther, Src: a("10.24.64.228"), Dst: a("10.24.8.44")}, nil},
		{"later fragment ignored", withFrag(syn, 0x0004), Frame{Kind: KindOther, Src: a("10.24.64.228"), Dst: a("10.24.8.44")}, nil},
		{"ARP reply", testpeer.Unhex(t, arpReply), Frame{Kind: KindARPReply, Src: a("10.9.0.7"), Dst: a("10.9.0.1")}, nil},
		{"ARP request is not an answer", func() []byte { b := testpeer.Unhex(t, arpReply); b[21] = 1; return b }(), Frame{}, nil},
		{"IPv6 ignored", func() []byte { b := slices.Clone(syn); be.PutUint16(b[12:], 0x86dd); return b }(), Frame{}, nil},
		{"UDP ignored", func() []byte { b := slices.Clone(syn); b[EthernetLen+9] = 17; return b }(), Frame{Kind: KindOther, Src: a("10.24.64.228"), Dst: a("10.24.8.44")}, nil},
		{"RST is neither", func() []byte { b := slices.Clone(syn); b[EthernetLen+IPv4MinLen+13] = TCPFlagRST; return b }(), Frame{Kind: KindOther, Src: a("10.24.64.228"), Dst: a("10.24.8.44"), SrcPort: 1227, DstPort: 445, Seq: 0x1cd0a614}, nil},
		{"Ethernet cut", syn[:13], Frame{}, ErrTruncated},
		{"VLAN tag cut", vlan[:16], Frame{}, ErrTruncated},
		{"IPv4 header cut", syn[:EthernetLen+19], Frame{}, ErrTruncated},
		{"IPv4 options cut", withIPOptions(syn, 10)[:EthernetLen+40], Frame{}, ErrTruncated},
		{"TCP header cut", syn[:EthernetLen+IPv4MinLen+19], Frame{}, ErrTruncated},
		{"total length cuts TCP", func() []byte { b := slices.Clone(syn); be.PutUint16(b[EthernetLen+2:], 30); return b }(), Frame{}, ErrTruncated},
		{"IHL 4", func() []byte { b := slices.Clone(syn); b[EthernetLen] = 0x44; return b }(), Frame{}, ErrMalformed},
		{"IP version 6 in an IPv4 frame", func() []byte { b := slices.Clone(syn); b[EthernetLen] = 0x65; return b }(), Frame{}, ErrMalformed},
		{"total length below IHL", func() []byte { b := slices.Clone(syn); be.PutUint16(b[EthernetLen+2:], 16); return b }(), Frame{}, ErrMalformed},
		{"TCP data offset 4", func() []byte { b := slices.Clone(syn); b[EthernetLen+IPv4MinLen+12] = 0x40; return b }(), Frame{}, ErrMalformed},
		{"802.3 length", func() []byte { b := slices.Clone(syn); be.PutUint16(b[12:], 0x05dc); return b }(), Frame{}, ErrMalformed},
		{"ARP for another hardware", func() []byte { b := testpeer.Unhex(t, arpReply); b[15] = 6; return b }(), Frame{}, ErrMalformed},
		{"ARP cut", testpeer.Unhex(t, arpReply)[:EthernetLen+27], Frame{}, ErrTruncated},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := DecodeFrame(tc.frame)
			if !errors.Is(err, tc.wantErr) || (err == nil) != (tc.wantErr == nil) {
				t.Fatalf("err = %v, want %v", err, tc.wantErr)
			}
			if got != tc.want {
				t.Errorf("got %+v\nwant %+v", got, tc.want)
			}
		})
	}
}

// TestFilter runs the kernel filter in x/net/bpf's VM over the same frames: it keeps exactly
// the SYNs to a watched port, the SYN-ACKs from one and ARP replies, tagged or not, whatever
// the IPv4 header length.
func TestFilter(t *testing.T) {
	syn := fixture(t, "xpsp2_syn_445.hex")
	synack := fixture(t, "w2k_synack_445.hex")
	vlan := fixture(t, "xpsp3_vlan120_syn_445.hex")
	port := func(b []byte, off int, p uint16) []byte { b = slices.Clone(b); be.PutUint16(b[off:], p); return b }
	tcpOff := EthernetLen + IPv4MinLen
	tests := []struct {
		name  string
		ports []uint16
		frame []byte
		keep  bool
	}{
		{"SYN to 445", []uint16{445, 139}, syn, true},
		{"SYN to 445, watching 139 only", []uint16{139}, syn, false},
		{"SYN to 139", []uint16{445, 139}, port(syn, tcpOff+2, 139), true},
		{"SYN to 80", []uint16{445, 139}, port(syn, tcpOff+2, 80), false},
		{"SYN from 445 to 80", []uint16{445}, port(port(syn, tcpOff+2, 80), tcpOff, 445), false},
		{"SYN-ACK from 445", []uint16{445}, synack, true},
		{"SYN-ACK to 445 (from 80)", []uint16{445}, port(port(synack, tcpOff, 80), tcpOff+2, 445), false},
		{"VLAN SYN to 445", []uint16{445}, vlan, true},
		{"VLAN SYN to 80", []uint16{445}, port(vlan, tcpOff+VLANTagLen+2, 80), false},
		{"IPv4 options, SYN to 445", []uint16{445}, withIPOptions(syn, 10), true},
		{"IPv4 options, SYN to 80", []uint16{445}, port(withIPOptions(syn, 10), tcpOff+40+2, 80), false},
		{"fragment", []uint16{445}, withFrag(syn, 0x2000), false},
		{"later fragment", []uint16{445}, withFrag(syn, 0x0010), false},
		{"ACK to 445", []uint16{445}, func() []byte { b := slices.Clone(syn); b[tcpOff+13] = TCPFlagACK; return b }(), false},
		{"SYN+FIN to 445 (still a SYN without ACK)", []uint16{445}, func() []byte { b := slices.Clone(syn); b[tcpOff+13] = TCPFlagSYN | TCPFlagFIN; return b }(), true},
		{"UDP to 445", []uint16{445}, func() []byte { b := slices.Clone(syn); b[EthernetLen+9] = 17; return b }(), false},
		{"ARP reply", []uint16{445}, testpeer.Unhex(t, arpReply), true},
		{"ARP request", []uint16{445}, func() []byte { b := testpeer.Unhex(t, arpReply); b[21] = 1; return b }(), false},
		{"cut frame", []uint16{445}, syn[:EthernetLen+IPv4MinLen+2], false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			vm := newVM(t, tc.ports)
			n, err := vm.Run(tc.frame)
			if err != nil {
				t.Fatal(err)
			}
			if keep := n > 0; keep != tc.keep {
				t.Errorf("filter kept = %v, want %v", keep, tc.keep)
			}
		})
	}
}

func TestFilterPortBounds(t *testing.T) {
	for _, n := range []int{0, 17} {
		if _, err := Filter(make([]uint16, n)); err == nil {
			t.Errorf("%d ports: no error", n)
		}
	}
	many := make([]uint16, 16)
	for i := range many {
		many[i] = uint16(1000 + i)
	}
	if _, err := AssembleFilter(many); err != nil {
		t.Errorf("16 ports: %v", err)
	}
}

func newVM(t testing.TB, ports []uint16) *bpf.VM {
	t.Helper()
	prog, err := Filter(ports)
	if err != nil {
		t.Fatal(err)
	}
	vm, err := bpf.NewVM(prog)
	if err != nil {
		t.Fatal(err)
	}
	return vm
}

func seedFrames(f *testing.F) {
	for _, name := range []string{"xpsp2_syn_445.hex", "w2k_synack_445.hex", "xpsp3_vlan120_syn_445.hex"} {
		b := fixture(f, name)
		f.Add(b)
	}
	f.Add(withIPOptions(fixture(f, "xpsp2_syn_445.hex"), 3))
	f.Add(testpeer.Unhex(f, arpReply))
}

// FuzzDecodeFrame: no input panics the decoders, and whatever Go reads as a SYN to 445, a
// SYN-ACK from it or an ARP reply, the kernel filter keeps (the filter may keep more: Go is
// the stricter reader).
func FuzzDecodeFrame(f *testing.F) {
	seedFrames(f)
	vm := newVM(f, []uint16{445})
	f.Fuzz(func(t *testing.T, b []byte) {
		fr, err := DecodeFrame(b)
		if err != nil {
			return
		}
		use := fr.Kind == KindSYN && fr.DstPort == 445 || fr.Kind == KindSYNACK && fr.SrcPort == 445 || fr.Kind == KindARPReply
		if !use {
			return
		}
		n, err := vm.Run(b)
		if err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			t.Errorf("Go reads %+v but the kernel filter drops it", fr)
		}
	})
}

// FuzzDecodeIPv4 checks the header decoder's bounds on its own input.
func FuzzDecodeIPv4(f *testing.F) {
	f.Add(fixture(f, "xpsp2_syn_445.hex")[EthernetLen:])
	f.Fuzz(func(t *testing.T, b []byte) {
		ip, err := DecodeIPv4(b)
		if err != nil {
			return
		}
		if ip.HeaderLen < IPv4MinLen || ip.HeaderLen > len(b) || len(ip.Payload) > len(b)-ip.HeaderLen {
			t.Errorf("header %d, payload %d of %d bytes", ip.HeaderLen, len(ip.Payload), len(b))
		}
	})
}

// FuzzDecodeARP checks the ARP decoder on its own input.
func FuzzDecodeARP(f *testing.F) {
	f.Add(testpeer.Unhex(f, arpReply)[EthernetLen:])
	f.Fuzz(func(t *testing.T, b []byte) {
		if a, err := DecodeARP(b); err == nil && !a.SenderIP.Is4() {
			t.Errorf("sender %v", a.SenderIP)
		}
	})
}

// TestFixturesAreCaptureFrames: each fixture is the whole frame its header names, as tshark
// reads it from testdata/pcaps (the SMB fixtures' check in internal/repocheck compares TCP
// payloads only; these are headers).
func TestFixturesAreCaptureFrames(t *testing.T) {
	tshark := testpeer.LookPath(t, "tshark", "/usr/bin/tshark")
	header := regexp.MustCompile(`^#\s*(\S+\.pcap(?:ng)?) frame (\d+)\b`)
	paths, _ := filepath.Glob(filepath.Join("testdata", "*.hex"))
	if len(paths) < 3 {
		t.Fatalf("%d fixtures", len(paths))
	}
	for _, p := range paths {
		raw, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		first, _, _ := strings.Cut(string(raw), "\n")
		m := header.FindStringSubmatch(first)
		if m == nil {
			t.Errorf("%s: the first line names no capture frame", p)
			continue
		}
		out, err := exec.Command(tshark, "-r", filepath.Join("..", "..", "testdata", "pcaps", m[1]), "-Y", "frame.number=="+m[2], "-x").Output()
		if err != nil {
			t.Fatalf("tshark %s: %v", m[1], err)
		}
		var frame []byte
		for _, line := range strings.Split(string(out), "\n") {
			// "0010  00 30 0d 1e ...   ascii": the offset, then up to 16 hex bytes.
			f := strings.Fields(line)
			if len(f) < 2 || len(f[0]) != 4 {
				continue
			}
			for _, h := range f[1:] {
				b, err := hex.DecodeString(h)
				if err != nil || len(b) != 1 {
					break
				}
				frame = append(frame, b[0])
			}
		}
		if want := fixture(t, filepath.Base(p)); !bytes.Equal(frame, want) {
			t.Errorf("%s is not %s frame %s:\n got %x\nwant %x", p, m[1], m[2], want, frame)
		}
	}
}
