// Package netbios frames SMB messages for direct TCP transport on port 445 (RFC 1002 session
// service header as used by MS-SMB 2.1 / MS-SMB2 2.1).
//
// The functions here never set deadlines: the caller owns the net.Conn and must call
// SetReadDeadline / SetWriteDeadline before ReadFrame and WriteFrame, otherwise a silent peer
// blocks them forever.
package netbios

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// Session service packet types (RFC 1002 4.3.1).
const (
	TypeSessionMessage   byte = 0x00
	TypeSessionRequest   byte = 0x81
	TypePositiveResponse byte = 0x82
	TypeNegativeResponse byte = 0x83
	TypeRetargetResponse byte = 0x84
	TypeKeepAlive        byte = 0x85
)

const (
	// HeaderLen is the size of the session service header.
	HeaderLen = 4
	// MaxLength is the largest length the 24-bit field can carry. RFC 1002 allows only 17
	// bits, but Windows and Samba use all 24 on port 445.
	MaxLength = 0xFFFFFF
)

var (
	// ErrFrameTooLarge is returned when a length exceeds the caller's bound or MaxLength.
	ErrFrameTooLarge = errors.New("netbios: frame too large")
	// ErrTruncated is returned when the stream ends inside a header or payload.
	ErrTruncated = errors.New("netbios: truncated frame")
)

// ReadFrame reads one session service packet. A length above max is refused before any
// payload is allocated or read, so a hostile length costs nothing; the stream is then out of
// sync and must be closed. A clean close before the first header byte returns io.EOF as is,
// so callers can tell "peer hung up" from "peer sent half a frame".
func ReadFrame(r io.Reader, max int) (typ byte, payload []byte, err error) {
	var hdr [HeaderLen]byte
	n, err := io.ReadFull(r, hdr[:])
	if err != nil {
		if n == 0 && errors.Is(err, io.EOF) {
			return 0, nil, io.EOF
		}
		if errors.Is(err, io.ErrUnexpectedEOF) {
			return 0, nil, fmt.Errorf("%w: header: %d of %d bytes", ErrTruncated, n, HeaderLen)
		}
		return 0, nil, fmt.Errorf("netbios: reading header: %w", err)
	}
	typ = hdr[0]
	// Length: 24-bit big-endian in bytes 1..3 (RFC 1002: FLAGS byte + 16-bit LENGTH).
	length := int(hdr[1])<<16 | int(binary.BigEndian.Uint16(hdr[2:4]))
	if length > max {
		return typ, nil, fmt.Errorf("%w: %d bytes announced, limit %d", ErrFrameTooLarge, length, max)
	}
	payload = make([]byte, length)
	if n, err := io.ReadFull(r, payload); err != nil {
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return typ, nil, fmt.Errorf("%w: payload: %d of %d bytes", ErrTruncated, n, length)
		}
		return typ, nil, fmt.Errorf("netbios: reading payload: %w", err)
	}
	return typ, payload, nil
}

// Frame returns payload prefixed by a session message header. It panics if payload exceeds
// MaxLength, which only a programming error can cause; WriteFrame checks instead.
func Frame(payload []byte) []byte {
	if len(payload) > MaxLength {
		panic("netbios: Frame payload exceeds MaxLength")
	}
	b := make([]byte, HeaderLen+len(payload))
	b[0] = TypeSessionMessage                                // Type
	b[1] = byte(len(payload) >> 16)                          // Length, high 8 bits
	binary.BigEndian.PutUint16(b[2:4], uint16(len(payload))) // Length, low 16 bits
	copy(b[HeaderLen:], payload)
	return b
}

// WriteFrame writes payload as one session message in a single Write call, so concurrent
// writers that serialise on the call cannot interleave header and body.
func WriteFrame(w io.Writer, payload []byte) error {
	if len(payload) > MaxLength {
		return fmt.Errorf("%w: %d bytes", ErrFrameTooLarge, len(payload))
	}
	if _, err := w.Write(Frame(payload)); err != nil {
		return fmt.Errorf("netbios: writing frame: %w", err)
	}
	return nil
}
