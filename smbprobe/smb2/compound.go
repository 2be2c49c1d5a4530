package smb2

import "fmt"

// PDU is one SMB2 message of a (possibly compound) NetBIOS payload.
type PDU struct {
	Header Header
	// Body is the command body: from the end of the header to NextCommand (which
	// includes the 8-byte alignment padding of a compound member) or to the end.
	Body []byte
	// Raw is the whole PDU, header included: what a signature covers.
	Raw []byte
}

// maxCompound bounds how many PDUs DecodeMessage accepts from one message; NextCommand is at
// least HeaderSize, so a 16 MiB message could otherwise yield ~260k PDUs.
const maxCompound = 64

// DecodeMessage splits msg (a NetBIOS payload) into its PDUs by following NextCommand. The
// slices alias msg.
func DecodeMessage(msg []byte) ([]PDU, error) {
	var pdus []PDU
	for off := 0; ; {
		rest := msg[off:]
		h, err := DecodeHeader(rest)
		if err != nil {
			return pdus, fmt.Errorf("PDU %d at offset %d: %w", len(pdus), off, err)
		}
		end := len(rest)
		if h.NextCommand != 0 {
			// NextCommand must leave room for this header and be 8-aligned
			// (MS-SMB2 3.2.4.1.4); anything else cannot be a sane chain.
			if h.NextCommand < HeaderSize || h.NextCommand%8 != 0 {
				return pdus, fmt.Errorf("%w: PDU %d NextCommand %d", ErrMalformed, len(pdus), h.NextCommand)
			}
			if uint64(h.NextCommand) > uint64(len(rest)) {
				return pdus, fmt.Errorf("%w: PDU %d NextCommand %d beyond %d bytes", ErrTruncated, len(pdus), h.NextCommand, len(rest))
			}
			end = int(h.NextCommand)
		}
		pdus = append(pdus, PDU{Header: h, Body: rest[HeaderSize:end], Raw: rest[:end]})
		if h.NextCommand == 0 {
			return pdus, nil
		}
		if len(pdus) == maxCompound {
			return pdus, fmt.Errorf("%w: more than %d PDUs in one message", ErrMalformed, maxCompound)
		}
		off += end
	}
}

// Body is a command body that can be put on the wire.
type Body interface {
	// EncodeBody returns the bytes that follow the header; offsets inside are relative to
	// the header start as the protocol wants.
	EncodeBody() []byte
}

// Build returns header + body as one PDU. h.Command is left as given; NextCommand is
// left for Compound to fill in.
func Build(h Header, body Body) []byte {
	bb := body.EncodeBody()
	b := make([]byte, HeaderSize+len(bb))
	h.Encode(b)
	copy(b[HeaderSize:], bb)
	return b
}

// Compound chains already built PDUs into one message: each but the last is padded to
// 8 bytes and gets NextCommand set. Sign after compounding, since the padding and
// NextCommand are covered by each member's signature.
func Compound(pdus ...[]byte) []byte {
	n := 0
	for i, p := range pdus {
		if i < len(pdus)-1 {
			n += align8(len(p))
		} else {
			n += len(p)
		}
	}
	out := make([]byte, 0, n)
	for i, p := range pdus {
		start := len(out)
		out = append(out, p...)
		if i == len(pdus)-1 {
			break
		}
		for len(out)%8 != 0 {
			out = append(out, 0)
		}
		if len(p) >= HeaderSize {
			le.PutUint32(out[start+20:start+24], uint32(len(out)-start)) // NextCommand
		}
	}
	return out
}
