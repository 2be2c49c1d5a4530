// Package smb1 is the client side of the SMB1 (NT LM 0.12) messages scan445 needs: it encodes
// requests and decodes responses. The other direction (decoding requests, encoding
// responses) exists only in the tests, as the round-trip oracle that holds the encoders to
// real client captures: the lab (package smblab) parses and builds its messages with its own
// code on purpose, so that it stays an independent check of this package's encoders.
//
// Specs: MS-CIFS (base protocol) and MS-SMB (Windows extensions). Every decoder bounds-checks
// before slicing and reports failures by wrapping ErrTruncated or ErrMalformed; none panics on
// hostile input. Messages carry no NetBIOS framing: see package netbios.
package smb1

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/scan445/scan445/smbprobe/ntstatus"
)

var le = binary.LittleEndian

var (
	// ErrTruncated means the bytes end before a field the message announces.
	ErrTruncated = errors.New("smb1: truncated")
	// ErrMalformed means the bytes are present but inconsistent (bad magic, impossible
	// offsets, wrong word count, wrong command).
	ErrMalformed = errors.New("smb1: malformed")
)

// Protocol magic numbers of the first four bytes of a message.
const (
	ProtocolSMB1 = "\xffSMB"
	ProtocolSMB2 = "\xfeSMB"
)

// HeaderLen is the fixed SMB1 header size.
const HeaderLen = 32

// Command codes (MS-CIFS 2.2.2.1).
const (
	CmdClose           byte = 0x04
	CmdTransaction     byte = 0x25
	CmdEcho            byte = 0x2B
	CmdReadAndX        byte = 0x2E
	CmdWriteAndX       byte = 0x2F
	CmdTransaction2    byte = 0x32
	CmdTreeDisconnect  byte = 0x71
	CmdNegotiate       byte = 0x72
	CmdSessionSetupAnd byte = 0x73
	CmdLogoffAndX      byte = 0x74
	CmdTreeConnectAndX byte = 0x75
	CmdNTCreateAndX    byte = 0xA2
	// CmdNone is the AndXCommand value that ends a chain.
	CmdNone byte = 0xFF
)

// Header Flags bits (MS-CIFS 2.2.3.1).
const (
	FlagsLockAndRead        byte = 0x01
	FlagsCaseInsensitive    byte = 0x08
	FlagsCanonicalizedPaths byte = 0x10
	FlagsOplock             byte = 0x20
	FlagsReply              byte = 0x80
)

// Header Flags2 bits (MS-CIFS 2.2.3.1, MS-SMB 2.2.3.1).
const (
	Flags2LongNames         uint16 = 0x0001
	Flags2EAs               uint16 = 0x0002
	Flags2SecuritySignature uint16 = 0x0004
	Flags2IsLongName        uint16 = 0x0040
	Flags2SignatureRequired uint16 = 0x0010
	Flags2ExtendedSecurity  uint16 = 0x0800
	Flags2DFS               uint16 = 0x1000
	Flags2PagingIO          uint16 = 0x2000
	Flags2NTStatus          uint16 = 0x4000
	Flags2Unicode           uint16 = 0x8000
)

// Values scan445 sends (docs/checks.md §1): case-insensitive canonicalised paths, and
// Unicode + NT status + extended security + long names.
const (
	DefaultFlags  = FlagsCaseInsensitive | FlagsCanonicalizedPaths // 0x18
	DefaultFlags2 = Flags2Unicode | Flags2NTStatus | Flags2ExtendedSecurity | Flags2LongNames
)

// Header is the 32-byte SMB1 header (MS-CIFS 2.2.3.1). Status is always read as an NTSTATUS:
// scan445 sets Flags2 NT_STATUS, and a DOS-error reply (class, reserved, code) still maps to a
// distinct 32-bit value that reports can print.
type Header struct {
	Command   byte
	Status    ntstatus.Status
	Flags     byte
	Flags2    uint16
	PIDHigh   uint16
	Signature [8]byte // SecurityFeatures
	Reserved  uint16
	TID       uint16
	PIDLow    uint16
	UID       uint16
	MID       uint16
}

// IsReply reports the SMB_FLAGS_REPLY bit.
func (h Header) IsReply() bool { return h.Flags&FlagsReply != 0 }

// Unicode reports whether strings in the message are UTF-16LE.
func (h Header) Unicode() bool { return h.Flags2&Flags2Unicode != 0 }

// encode writes the header into b[:HeaderLen].
func (h Header) encode(b []byte) {
	copy(b[0:4], ProtocolSMB1)             // Protocol
	b[4] = h.Command                       // Command
	le.PutUint32(b[5:9], uint32(h.Status)) // Status
	b[9] = h.Flags                         // Flags
	le.PutUint16(b[10:12], h.Flags2)       // Flags2
	le.PutUint16(b[12:14], h.PIDHigh)      // PIDHigh
	copy(b[14:22], h.Signature[:])         // SecurityFeatures
	le.PutUint16(b[22:24], h.Reserved)     // Reserved
	le.PutUint16(b[24:26], h.TID)          // TID
	le.PutUint16(b[26:28], h.PIDLow)       // PIDLow
	le.PutUint16(b[28:30], h.UID)          // UID
	le.PutUint16(b[30:32], h.MID)          // MID
}

// DecodeHeader decodes the first HeaderLen bytes of b.
func DecodeHeader(b []byte) (Header, error) {
	if len(b) < HeaderLen {
		if len(b) >= 4 && IsSMB2(b) {
			return Header{}, fmt.Errorf("%w: SMB2 message where SMB1 expected", ErrMalformed)
		}
		return Header{}, fmt.Errorf("%w: header: %d of %d bytes", ErrTruncated, len(b), HeaderLen)
	}
	if !bytes.Equal(b[0:4], []byte(ProtocolSMB1)) {
		if IsSMB2(b) {
			return Header{}, fmt.Errorf("%w: SMB2 message where SMB1 expected", ErrMalformed)
		}
		return Header{}, fmt.Errorf("%w: protocol % x", ErrMalformed, b[0:4])
	}
	var h Header
	h.Command = b[4]
	h.Status = ntstatus.Status(le.Uint32(b[5:9]))
	h.Flags = b[9]
	h.Flags2 = le.Uint16(b[10:12])
	h.PIDHigh = le.Uint16(b[12:14])
	copy(h.Signature[:], b[14:22])
	h.Reserved = le.Uint16(b[22:24])
	h.TID = le.Uint16(b[24:26])
	h.PIDLow = le.Uint16(b[26:28])
	h.UID = le.Uint16(b[28:30])
	h.MID = le.Uint16(b[30:32])
	return h, nil
}

// IsSMB2 reports whether a raw payload (NetBIOS framing removed) is an SMB2 message. A server
// that speaks SMB2 answers an SMB1 NEGOTIATE offering "SMB 2.002"/"SMB 2.???" with an SMB2
// NEGOTIATE response, and the client must switch parsers.
func IsSMB2(b []byte) bool {
	return len(b) >= 4 && string(b[0:4]) == ProtocolSMB2
}
