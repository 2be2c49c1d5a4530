package capture

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"
)

// EtherType values the sensor reads.
const (
	EtherTypeIPv4 uint16 = 0x0800
	EtherTypeARP  uint16 = 0x0806
	EtherTypeVLAN uint16 = 0x8100
)

// TCP flag bits (RFC 9293 §3.1).
const (
	TCPFlagFIN uint8 = 0x01
	TCPFlagSYN uint8 = 0x02
	TCPFlagRST uint8 = 0x04
	TCPFlagACK uint8 = 0x10
)

// Header lengths.
const (
	EthernetLen = 14
	VLANTagLen  = 4
	IPv4MinLen  = 20
	TCPMinLen   = 20
	ARPIPv4Len  = 28
)

// ErrTruncated means a header claims more bytes than the frame holds.
var ErrTruncated = errors.New("capture: truncated header")

// ErrMalformed means a header field has a value no valid packet carries.
var ErrMalformed = errors.New("capture: malformed header")

var be = binary.BigEndian

func truncated(what string, need, have int) error {
	return fmt.Errorf("%w: %s needs %d bytes, frame has %d", ErrTruncated, what, need, have)
}

// Ethernet is an Ethernet II header, with the 802.1Q tag if there was one.
type Ethernet struct {
	Dst, Src  [6]byte
	VLAN      uint16 // VLAN id (12 bits) when Tagged
	Tagged    bool
	EtherType uint16 // of the payload (the inner one when tagged)
	Payload   []byte
}

// DecodeEthernet decodes an Ethernet II header and at most one 802.1Q tag. Frames that carry
// a length instead of a type (802.3, EtherType < 0x0600) are refused: no IPv4 rides on them.
func DecodeEthernet(b []byte) (Ethernet, error) {
	if len(b) < EthernetLen {
		return Ethernet{}, truncated("Ethernet header", EthernetLen, len(b))
	}
	var e Ethernet
	copy(e.Dst[:], b[0:6])
	copy(e.Src[:], b[6:12])
	e.EtherType = be.Uint16(b[12:14])
	off := EthernetLen
	if e.EtherType == EtherTypeVLAN {
		if len(b) < EthernetLen+VLANTagLen {
			return Ethernet{}, truncated("802.1Q tag", EthernetLen+VLANTagLen, len(b))
		}
		e.Tagged = true
		e.VLAN = be.Uint16(b[14:16]) & 0x0FFF
		e.EtherType = be.Uint16(b[16:18])
		off += VLANTagLen
	}
	if e.EtherType < 0x0600 {
		return Ethernet{}, fmt.Errorf("%w: 802.3 length field %d, not an EtherType", ErrMalformed, e.EtherType)
	}
	e.Payload = b[off:]
	return e, nil
}

// IPv4 is the part of an IPv4 header the sensor reads.
type IPv4 struct {
	HeaderLen      int // IHL × 4: options included
	TotalLen       int
	Protocol       uint8
	MoreFragments  bool
	FragmentOffset uint16 // in 8-byte units
	Src, Dst       netip.Addr
	Payload        []byte // up to TotalLen (a capture may hold less: snap length, padding cut)
}

// IsFragment says whether the packet is one piece of a fragmented datagram.
func (ip IPv4) IsFragment() bool { return ip.MoreFragments || ip.FragmentOffset != 0 }

// DecodeIPv4 decodes an IPv4 header, options skipped by IHL. The payload ends at Total Length
// or at the end of b, whichever comes first (Ethernet pads short frames; a capture may be cut).
func DecodeIPv4(b []byte) (IPv4, error) {
	if len(b) < IPv4MinLen {
		return IPv4{}, truncated("IPv4 header", IPv4MinLen, len(b))
	}
	if v := b[0] >> 4; v != 4 {
		return IPv4{}, fmt.Errorf("%w: IP version %d", ErrMalformed, v)
	}
	ip := IPv4{HeaderLen: int(b[0]&0x0F) * 4, TotalLen: int(be.Uint16(b[2:4])), Protocol: b[9]}
	if ip.HeaderLen < IPv4MinLen {
		return IPv4{}, fmt.Errorf("%w: IHL %d words", ErrMalformed, ip.HeaderLen/4)
	}
	if len(b) < ip.HeaderLen {
		return IPv4{}, truncated("IPv4 options", ip.HeaderLen, len(b))
	}
	if ip.TotalLen < ip.HeaderLen {
		return IPv4{}, fmt.Errorf("%w: total length %d below header length %d", ErrMalformed, ip.TotalLen, ip.HeaderLen)
	}
	frag := be.Uint16(b[6:8])
	ip.MoreFragments = frag&0x2000 != 0
	ip.FragmentOffset = frag & 0x1FFF
	ip.Src = netip.AddrFrom4([4]byte(b[12:16]))
	ip.Dst = netip.AddrFrom4([4]byte(b[16:20]))
	end := min(ip.TotalLen, len(b))
	ip.Payload = b[ip.HeaderLen:end]
	return ip, nil
}

// TCP is the part of a TCP header the sensor reads.
type TCP struct {
	SrcPort, DstPort uint16
	Seq              uint32
	Flags            uint8 // the low 8 flag bits (CWR … FIN)
}

// IsSYN says whether the segment opens a connection: SYN set, ACK clear.
func (t TCP) IsSYN() bool { return t.Flags&(TCPFlagSYN|TCPFlagACK) == TCPFlagSYN }

// IsSYNACK says whether the segment accepts a connection: SYN and ACK set.
func (t TCP) IsSYNACK() bool { return t.Flags&(TCPFlagSYN|TCPFlagACK) == TCPFlagSYN|TCPFlagACK }

// DecodeTCP decodes the fixed part of a TCP header; the data offset is checked, options are
// not read.
func DecodeTCP(b []byte) (TCP, error) {
	if len(b) < TCPMinLen {
		return TCP{}, truncated("TCP header", TCPMinLen, len(b))
	}
	if off := int(b[12]>>4) * 4; off < TCPMinLen {
		return TCP{}, fmt.Errorf("%w: TCP data offset %d words", ErrMalformed, off/4)
	}
	return TCP{SrcPort: be.Uint16(b[0:2]), DstPort: be.Uint16(b[2:4]), Seq: be.Uint32(b[4:8]), Flags: b[13]}, nil
}

// ARP operation codes.
const (
	ARPRequest uint16 = 1
	ARPReply   uint16 = 2
)

// ARP is an ARP packet for IPv4 over Ethernet.
type ARP struct {
	Op                  uint16
	SenderIP, TargetIP  netip.Addr
	SenderMAC, TargetHW [6]byte
}

// DecodeARP decodes an ARP packet for IPv4 over Ethernet (hardware type 1, protocol 0x0800,
// lengths 6 and 4); any other kind is refused.
func DecodeARP(b []byte) (ARP, error) {
	if len(b) < ARPIPv4Len {
		return ARP{}, truncated("ARP packet", ARPIPv4Len, len(b))
	}
	if htype, ptype := be.Uint16(b[0:2]), be.Uint16(b[2:4]); htype != 1 || ptype != EtherTypeIPv4 || b[4] != 6 || b[5] != 4 {
		return ARP{}, fmt.Errorf("%w: ARP for hardware %d protocol 0x%04x lengths %d/%d", ErrMalformed, htype, ptype, b[4], b[5])
	}
	a := ARP{Op: be.Uint16(b[6:8])}
	copy(a.SenderMAC[:], b[8:14])
	a.SenderIP = netip.AddrFrom4([4]byte(b[14:18]))
	copy(a.TargetHW[:], b[18:24])
	a.TargetIP = netip.AddrFrom4([4]byte(b[24:28]))
	return a, nil
}

// Kind says what a frame is to the sensor.
type Kind int

// The kinds of frame DecodeFrame reports.
const (
	KindOther    Kind = iota // anything the sensor does not use
	KindSYN                  // a TCP connection attempt
	KindSYNACK               // a TCP connection accepted: its source is live
	KindARPReply             // an ARP reply: its sender is live
)

// Frame is one frame as the sensor reads it.
type Frame struct {
	Kind             Kind
	Src, Dst         netip.Addr // IPv4 addresses (ARP: sender and target)
	SrcPort, DstPort uint16
	Seq              uint32
	VLAN             uint16
}

// DecodeFrame decodes an Ethernet frame down to what the sensor needs. Fragments (any piece,
// the first included: a SYN is never fragmented, so a fragmented one is crafted) and
// protocols other than TCP and ARP come back as KindOther with no error; a header that does
// not fit or makes no sense is an error.
func DecodeFrame(b []byte) (Frame, error) {
	eth, err := DecodeEthernet(b)
	if err != nil {
		return Frame{}, err
	}
	f := Frame{VLAN: eth.VLAN}
	switch eth.EtherType {
	case EtherTypeARP:
		a, err := DecodeARP(eth.Payload)
		if err != nil {
			return Frame{}, err
		}
		if a.Op == ARPReply {
			f.Kind, f.Src, f.Dst = KindARPReply, a.SenderIP, a.TargetIP
		}
		return f, nil
	case EtherTypeIPv4:
	default:
		return f, nil
	}
	ip, err := DecodeIPv4(eth.Payload)
	if err != nil {
		return Frame{}, err
	}
	f.Src, f.Dst = ip.Src, ip.Dst
	if ip.Protocol != 6 || ip.IsFragment() {
		return f, nil
	}
	tcp, err := DecodeTCP(ip.Payload)
	if err != nil {
		return Frame{}, err
	}
	f.SrcPort, f.DstPort, f.Seq = tcp.SrcPort, tcp.DstPort, tcp.Seq
	switch {
	case tcp.IsSYN():
		f.Kind = KindSYN
	case tcp.IsSYNACK():
		f.Kind = KindSYNACK
	}
	return f, nil
}
