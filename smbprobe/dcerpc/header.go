package dcerpc

import (
	"encoding/binary"
	"fmt"
)

// PacketType is the PTYPE field of the common header (C706 12.6.4.1, MS-RPCE 2.2.2.1).
type PacketType uint8

// The connection-oriented packet types.
const (
	PTypeRequest          PacketType = 0
	PTypeResponse         PacketType = 2
	PTypeFault            PacketType = 3
	PTypeBind             PacketType = 11
	PTypeBindAck          PacketType = 12
	PTypeBindNak          PacketType = 13
	PTypeAlterContext     PacketType = 14
	PTypeAlterContextResp PacketType = 15
	PTypeAuth3            PacketType = 16
	PTypeShutdown         PacketType = 17
	PTypeCoCancel         PacketType = 18
	PTypeOrphaned         PacketType = 19
)

// String names the packet type as C706 does.
func (t PacketType) String() string {
	switch t {
	case PTypeRequest:
		return "request"
	case PTypeResponse:
		return "response"
	case PTypeFault:
		return "fault"
	case PTypeBind:
		return "bind"
	case PTypeBindAck:
		return "bind_ack"
	case PTypeBindNak:
		return "bind_nak"
	case PTypeAlterContext:
		return "alter_context"
	case PTypeAlterContextResp:
		return "alter_context_resp"
	case PTypeAuth3:
		return "rpc_auth_3"
	case PTypeShutdown:
		return "shutdown"
	case PTypeCoCancel:
		return "co_cancel"
	case PTypeOrphaned:
		return "orphaned"
	}
	return fmt.Sprintf("ptype(%d)", uint8(t))
}

// pfc_flags bits (C706 12.6.3.1; MS-RPCE 2.2.2.3 reuses 0x04 as PFC_SUPPORT_HEADER_SIGN in
// bind PDUs).
const (
	FlagFirstFrag     uint8 = 0x01 // PFC_FIRST_FRAG
	FlagLastFrag      uint8 = 0x02 // PFC_LAST_FRAG
	FlagPendingCancel uint8 = 0x04 // PFC_PENDING_CANCEL
	FlagConcMpx       uint8 = 0x10 // PFC_CONC_MPX
	FlagDidNotExecute uint8 = 0x20 // PFC_DID_NOT_EXECUTE
	FlagMaybe         uint8 = 0x40 // PFC_MAYBE
	FlagObjectUUID    uint8 = 0x80 // PFC_OBJECT_UUID

	// FlagsSingle marks a PDU that is the whole message.
	FlagsSingle = FlagFirstFrag | FlagLastFrag
)

const (
	// HeaderSize is the size of the common connection-oriented header.
	HeaderSize = 16
	// secTrailerSize is sec_trailer: auth_type, auth_level, auth_pad_length, auth_reserved,
	// auth_context_id.
	secTrailerSize = 8
	// DefaultMaxFrag is what Windows XP/2003 and impacket offer as max_xmit_frag/max_recv_frag.
	DefaultMaxFrag = 4280
	// maxFragLength is the largest value frag_length can carry.
	maxFragLength = 0xFFFF
)

// Header is the 16-byte common header. The version (5.0) and drep (little-endian, ASCII, IEEE)
// are fixed for everything this package encodes; DecodeHeader refuses anything else.
type Header struct {
	MinorVersion uint8 // rpc_vers_minor: 0 (Windows sends 0; 1 is valid too)
	Type         PacketType
	Flags        uint8
	FragLength   uint16 // whole PDU, header included
	AuthLength   uint16 // auth_value only, without the 8-byte sec_trailer
	CallID       uint32
}

// Encode writes the header into b[:16].
func (h Header) Encode(b []byte) {
	_ = b[HeaderSize-1]
	b[0] = 5                                              // rpc_vers
	b[1] = h.MinorVersion                                 // rpc_vers_minor
	b[2] = byte(h.Type)                                   // PTYPE
	b[3] = h.Flags                                        // pfc_flags
	b[4], b[5], b[6], b[7] = 0x10, 0, 0, 0                // packed_drep: little-endian, ASCII, IEEE
	binary.LittleEndian.PutUint16(b[8:10], h.FragLength)  // frag_length
	binary.LittleEndian.PutUint16(b[10:12], h.AuthLength) // auth_length
	binary.LittleEndian.PutUint32(b[12:16], h.CallID)     // call_id
}

// DecodeHeader reads and validates the common header. It needs only the first 16 bytes, so it
// can frame a byte stream; it does not check that the whole fragment is present.
func DecodeHeader(b []byte) (Header, error) {
	if len(b) < HeaderSize {
		return Header{}, truncated("header", HeaderSize, len(b))
	}
	if b[0] != 5 || b[1] > 1 {
		return Header{}, malformed("rpc version %d.%d, want 5.0 or 5.1", b[0], b[1])
	}
	// Only the integer and character representation matter to us: NDR from a big-endian or
	// EBCDIC peer would need a different unmarshaller, so refuse it rather than misread it.
	if b[4] != 0x10 {
		return Header{}, fmt.Errorf("%w: drep %02x %02x %02x %02x (only little-endian ASCII)", ErrUnsupported, b[4], b[5], b[6], b[7])
	}
	h := Header{
		MinorVersion: b[1],
		Type:         PacketType(b[2]),
		Flags:        b[3],
		FragLength:   binary.LittleEndian.Uint16(b[8:10]),
		AuthLength:   binary.LittleEndian.Uint16(b[10:12]),
		CallID:       binary.LittleEndian.Uint32(b[12:16]),
	}
	if h.FragLength < HeaderSize {
		return Header{}, malformed("frag_length %d below the %d-byte header", h.FragLength, HeaderSize)
	}
	if h.AuthLength > 0 && int(h.AuthLength)+secTrailerSize > int(h.FragLength)-HeaderSize {
		return Header{}, malformed("auth_length %d does not fit in frag_length %d", h.AuthLength, h.FragLength)
	}
	return h, nil
}

// SplitPDU cuts the first whole PDU off b. It returns ErrTruncated (after a valid header) when b
// holds only part of the fragment, so a stream reader knows to read more.
func SplitPDU(b []byte) (pdu, rest []byte, err error) {
	h, err := DecodeHeader(b)
	if err != nil {
		return nil, b, err
	}
	n := int(h.FragLength)
	if n > len(b) {
		return nil, b, truncated("fragment", n, len(b))
	}
	return b[:n:n], b[n:], nil
}

// Frame is one PDU split into header, body and auth verifier.
type Frame struct {
	Header
	// Body is everything after the common header up to the auth padding (or the end of the
	// fragment when there is no auth verifier).
	Body []byte
	// AuthVerifier is sec_trailer followed by auth_value; nil when auth_length is 0.
	AuthVerifier []byte
}

// DecodeFrame validates the header and splits one PDU. Bytes after frag_length are ignored.
func DecodeFrame(b []byte) (Frame, error) {
	h, err := DecodeHeader(b)
	if err != nil {
		return Frame{}, err
	}
	n := int(h.FragLength)
	if n > len(b) {
		return Frame{}, truncated("fragment", n, len(b))
	}
	f := Frame{Header: h}
	end := n
	if h.AuthLength > 0 {
		trailer := n - int(h.AuthLength) - secTrailerSize // DecodeHeader proved trailer >= HeaderSize
		pad := int(b[trailer+2])                          // auth_pad_length
		if pad > trailer-HeaderSize {
			return Frame{}, malformed("auth_pad_length %d larger than the body", pad)
		}
		f.AuthVerifier = b[trailer:n:n]
		end = trailer - pad
	}
	f.Body = b[HeaderSize:end:end]
	return f, nil
}

func decodeFrameOf(b []byte, want ...PacketType) (Frame, error) {
	f, err := DecodeFrame(b)
	if err != nil {
		return Frame{}, err
	}
	for _, t := range want {
		if f.Type == t {
			return f, nil
		}
	}
	return Frame{}, fmt.Errorf("%w: got %s, want %v", ErrUnexpectedType, f.Type, want)
}

// newPDU allocates a PDU of HeaderSize+bodyLen bytes and writes its header.
func newPDU(t PacketType, flags uint8, callID uint32, bodyLen int) ([]byte, error) {
	n := HeaderSize + bodyLen
	if n > maxFragLength {
		return nil, fmt.Errorf("%w: %s PDU of %d bytes exceeds frag_length", ErrTooLarge, t, n)
	}
	b := make([]byte, n)
	Header{Type: t, Flags: flags, FragLength: uint16(n), CallID: callID}.Encode(b)
	return b, nil
}
