package p2p

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math/bits"
)

// Sentinel errors; every decoding error wraps one of them.
var (
	ErrTruncated = errors.New("p2p: truncated packet")
	ErrMalformed = errors.New("p2p: malformed packet")
)

// Flags of the packet header.
const (
	FlagMode       uint16 = 0x0001
	FlagLocalAck   uint16 = 0x0002
	FlagIsTCP      uint16 = 0x0004
	FlagIPIncluded uint16 = 0x0008
	FlagUnknown0   uint16 = 0x0010
	FlagUnknown1   uint16 = 0x0020
	FlagData       uint16 = 0x0040
	FlagSysInfo    uint16 = 0x0080
	FlagEncoded    uint16 = 0x8000
	keyLen                = 8
	sysInfoLen            = 26
	checksumLen           = 4
	minPacketLen          = keyLen + 2 + checksumLen
	MaxPacket             = 0xFFFF // a TCP frame's uint16 length cannot say more
)

// Checksum is the worm's packet checksum over the plaintext bytes that precede it (keys
// included): start from the length, then for each byte xor it in and rotate left by one.
func Checksum(b []byte) uint32 {
	h := uint32(len(b))
	for _, c := range b {
		h = bits.RotateLeft32(h^uint32(c), 1)
	}
	return h
}

// Crypt enciphers or deciphers b in place (the cipher is its own inverse) with the 64-bit key
// key2:key1. Key 0:0 leaves b unchanged, which is how the worm disables the cipher.
func Crypt(key1, key2 uint32, b []byte) {
	k := uint64(key2)<<32 | uint64(key1)
	for i := range b {
		k = bits.RotateLeft64(k, 1)
		kb := byte(k)
		b[i] ^= kb
		k += uint64(kb) // the carry out of key1 runs into key2
	}
}

// SysInfo is the 26-byte system description an infected host volunteers (FLAG_SYSINFO).
type SysInfo struct {
	TestFlags        uint16 `json:"test_flags"`
	OSMajor          uint8  `json:"os_major"`
	OSMinor          uint8  `json:"os_minor"`
	OSBuild          uint16 `json:"os_build"`
	SPMajor          uint8  `json:"sp_major"`
	SPMinor          uint8  `json:"sp_minor"`
	NtdllTranslation uint16 `json:"ntdll_translation"`
	PRNGSample       uint32 `json:"prng_sample"`
	Unknown0         uint16 `json:"unknown0"`
	Unknown1         uint16 `json:"unknown1"`
	Unknown2         uint32 `json:"unknown2"`
	Unknown3         uint16 `json:"unknown3"`
	Unknown4         uint16 `json:"unknown4"`
}

// OS renders the announced version in the vocabulary of docs/checks.md §2, e.g. "Windows XP SP3".
func (s SysInfo) OS() string {
	name := fmt.Sprintf("Windows %d.%d build %d", s.OSMajor, s.OSMinor, s.OSBuild)
	switch {
	case s.OSMajor == 5 && s.OSMinor == 0:
		name = "Windows 2000"
	case s.OSMajor == 5 && s.OSMinor == 1:
		name = "Windows XP"
	case s.OSMajor == 5 && s.OSMinor == 2:
		name = "Windows Server 2003"
	case s.OSMajor == 6 && s.OSMinor == 0:
		name = "Windows Vista/2008"
	case s.OSMajor == 6 && s.OSMinor == 1:
		name = "Windows 7/2008 R2"
	}
	if s.SPMajor != 0 {
		name += fmt.Sprintf(" SP%d", s.SPMajor)
		if s.SPMinor != 0 {
			name += fmt.Sprintf(".%d", s.SPMinor)
		}
	}
	return name
}

func (s SysInfo) put(b []byte) {
	le := binary.LittleEndian
	le.PutUint16(b[0:2], s.TestFlags) // system test flags
	b[2] = s.OSMajor                  // OS major
	b[3] = s.OSMinor                  // OS minor
	le.PutUint16(b[4:6], s.OSBuild)   // OS build
	b[6] = s.SPMajor                  // service pack major
	b[7] = s.SPMinor                  // service pack minor
	le.PutUint16(b[8:10], s.NtdllTranslation)
	le.PutUint32(b[10:14], s.PRNGSample)
	le.PutUint16(b[14:16], s.Unknown0)
	le.PutUint16(b[16:18], s.Unknown1)
	le.PutUint32(b[18:22], s.Unknown2)
	le.PutUint16(b[22:24], s.Unknown3)
	le.PutUint16(b[24:26], s.Unknown4)
}

func getSysInfo(b []byte) SysInfo {
	le := binary.LittleEndian
	return SysInfo{
		TestFlags: le.Uint16(b[0:2]), OSMajor: b[2], OSMinor: b[3], OSBuild: le.Uint16(b[4:6]),
		SPMajor: b[6], SPMinor: b[7], NtdllTranslation: le.Uint16(b[8:10]),
		PRNGSample: le.Uint32(b[10:14]), Unknown0: le.Uint16(b[14:16]), Unknown1: le.Uint16(b[16:18]),
		Unknown2: le.Uint32(b[18:22]), Unknown3: le.Uint16(b[22:24]), Unknown4: le.Uint16(b[24:26]),
	}
}

// Packet is one P2P message, plaintext. Optional fields are present on the wire exactly when
// their flag is set in Flags; Encode sets the flags of the fields it is given.
type Packet struct {
	Key1, Key2 uint32 // sent in clear; 0:0 means not enciphered
	Flags      uint16
	// IP and Port (FLAG_IP_INCLUDED) are kept as the raw little-endian words: their byte order
	// inside the worm is not documented (UNCONFIRMED: probably a struct in_addr as stored).
	IP        uint32
	Port      uint16
	Unknown0  uint32   // FLAG_UNKNOWN0_INCLUDED
	Unknown1  uint32   // FLAG_UNKNOWN1_INCLUDED
	DataFlags uint8    // FLAG_DATA_INCLUDED
	Data      []byte   // FLAG_DATA_INCLUDED, at most 0xFFFF bytes
	SysInfo   *SysInfo // FLAG_SYSINFO_INCLUDED
	// Checksum is the value on the wire (decoding) or computed (after Encode).
	Checksum uint32
	// ComputedChecksum is what the checksum should be, set by DecodePacket.
	ComputedChecksum uint32
	Noise            []byte // random trailing bytes, enciphered with the rest
}

// ChecksumOK reports whether a parsed packet's checksum verifies: the tell-tale of the worm.
func (p *Packet) ChecksumOK() bool { return p.Checksum == p.ComputedChecksum }

// Encode appends the wire form of p (without TCP framing) to dst. The flags of the optional
// fields follow the fields' presence: IP/Port, Unknown0/1 only when their flag is already set in
// p.Flags; Data when non-nil or FlagData is set; SysInfo when non-nil.
func (p *Packet) Encode(dst []byte) ([]byte, error) {
	flags := p.Flags
	if p.Data != nil {
		flags |= FlagData
	}
	if p.SysInfo != nil {
		flags |= FlagSysInfo
	} else if flags&FlagSysInfo != 0 {
		return dst, fmt.Errorf("%w: FLAG_SYSINFO without SysInfo", ErrMalformed)
	}
	if len(p.Data) > 0xFFFF {
		return dst, fmt.Errorf("%w: data of %d bytes", ErrMalformed, len(p.Data))
	}
	le := binary.LittleEndian
	start := len(dst)
	dst = le.AppendUint32(dst, p.Key1) // key1
	dst = le.AppendUint32(dst, p.Key2) // key2
	dst = le.AppendUint16(dst, flags)  // flags
	if flags&FlagIPIncluded != 0 {
		dst = le.AppendUint32(dst, p.IP)
		dst = le.AppendUint16(dst, p.Port)
	}
	if flags&FlagUnknown0 != 0 {
		dst = le.AppendUint32(dst, p.Unknown0)
	}
	if flags&FlagUnknown1 != 0 {
		dst = le.AppendUint32(dst, p.Unknown1)
	}
	if flags&FlagData != 0 {
		dst = append(dst, p.DataFlags)                  // data flags
		dst = le.AppendUint16(dst, uint16(len(p.Data))) // data length
		dst = append(dst, p.Data...)                    // data
	}
	if p.SysInfo != nil {
		var b [sysInfoLen]byte
		p.SysInfo.put(b[:])
		dst = append(dst, b[:]...)
	}
	p.Checksum = Checksum(dst[start:])
	p.ComputedChecksum = p.Checksum
	dst = le.AppendUint32(dst, p.Checksum) // checksum over everything before it, in plaintext
	dst = append(dst, p.Noise...)
	Crypt(p.Key1, p.Key2, dst[start+keyLen:])
	return dst, nil
}

// DecodePacket deciphers and decodes b (one datagram, or one TCP frame without its length). A
// packet that decodes but whose checksum is wrong is returned without error: the caller decides
// what a bad checksum means (see [Packet.ChecksumOK]). b is not modified.
func DecodePacket(b []byte) (Packet, error) {
	var p Packet
	if len(b) < minPacketLen {
		return p, fmt.Errorf("%w: %d bytes, need at least %d", ErrTruncated, len(b), minPacketLen)
	}
	le := binary.LittleEndian
	p.Key1 = le.Uint32(b[0:4])
	p.Key2 = le.Uint32(b[4:8])
	plain := make([]byte, len(b))
	copy(plain, b)
	Crypt(p.Key1, p.Key2, plain[keyLen:])

	off := keyLen
	need := func(n int, what string) error {
		if len(plain)-off < n {
			return fmt.Errorf("%w: %s needs %d bytes at offset %d, have %d", ErrTruncated, what, n, off, len(plain)-off)
		}
		return nil
	}
	p.Flags = le.Uint16(plain[off:])
	off += 2
	if p.Flags&FlagIPIncluded != 0 {
		if err := need(6, "ip"); err != nil {
			return p, err
		}
		p.IP = le.Uint32(plain[off:])
		p.Port = le.Uint16(plain[off+4:])
		off += 6
	}
	if p.Flags&FlagUnknown0 != 0 {
		if err := need(4, "unknown0"); err != nil {
			return p, err
		}
		p.Unknown0 = le.Uint32(plain[off:])
		off += 4
	}
	if p.Flags&FlagUnknown1 != 0 {
		if err := need(4, "unknown1"); err != nil {
			return p, err
		}
		p.Unknown1 = le.Uint32(plain[off:])
		off += 4
	}
	if p.Flags&FlagData != 0 {
		if err := need(3, "data header"); err != nil {
			return p, err
		}
		p.DataFlags = plain[off]
		n := int(le.Uint16(plain[off+1:]))
		off += 3
		if err := need(n, "data"); err != nil {
			return p, err
		}
		p.Data = plain[off : off+n : off+n]
		off += n
	}
	if p.Flags&FlagSysInfo != 0 {
		if err := need(sysInfoLen, "sysinfo"); err != nil {
			return p, err
		}
		si := getSysInfo(plain[off : off+sysInfoLen])
		p.SysInfo = &si
		off += sysInfoLen
	}
	if err := need(checksumLen, "checksum"); err != nil {
		return p, err
	}
	p.ComputedChecksum = Checksum(plain[:off])
	p.Checksum = le.Uint32(plain[off:])
	off += checksumLen
	if off < len(plain) {
		p.Noise = plain[off:]
	}
	return p, nil
}

// AppendFrame appends pkt with the uint16 little-endian length prefix used over TCP.
func AppendFrame(dst, pkt []byte) ([]byte, error) {
	if len(pkt) > MaxPacket {
		return dst, fmt.Errorf("%w: %d-byte packet does not fit a TCP frame", ErrMalformed, len(pkt))
	}
	dst = binary.LittleEndian.AppendUint16(dst, uint16(len(pkt))) // frame length
	return append(dst, pkt...), nil
}

// NewHello builds the probe's plaintext hello: the fixed header only, as a peer's first
// message. Keys must be non-zero for the packet to be enciphered.
func NewHello(key1, key2 uint32, tcp bool) Packet {
	flags := FlagMode | FlagEncoded
	if tcp {
		flags |= FlagIsTCP
	}
	return Packet{Key1: key1, Key2: key2, Flags: flags}
}
