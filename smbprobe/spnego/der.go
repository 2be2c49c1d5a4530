// Package spnego encodes and decodes the SPNEGO (RFC 4178, MS-SPNG) tokens
// SMB carries in its security blobs, with a small hand-written DER codec
// limited to what those tokens use: definite lengths of at most four bytes,
// single-byte tags, minimal length encodings. Nesting depth is bounded by
// construction: the decoder follows the fixed SPNEGO schema (at most six
// levels), accepts the GSS-API framing only at the top, and skips unknown
// fields without descending into them.
package spnego

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

var (
	// ErrTruncated means a DER element runs past the end of its buffer.
	ErrTruncated = errors.New("spnego: truncated")
	// ErrMalformed means the bytes are not a SPNEGO token this package accepts.
	ErrMalformed = errors.New("spnego: malformed")
	// ErrNoNTLM means the token is well formed but carries no NTLMSSP message (e.g. Kerberos).
	ErrNoNTLM = errors.New("spnego: no NTLMSSP token")
)

// DER tags used by SPNEGO.
const (
	tagBoolean     = 0x01
	tagBitString   = 0x03
	tagOctetString = 0x04
	tagOID         = 0x06
	tagEnumerated  = 0x0a
	tagGeneralStr  = 0x1b
	tagSequence    = 0x30
	tagApplication = 0x60 // [APPLICATION 0] constructed: GSS-API InitialContextToken
	tagContext0    = 0xa0
)

func ctx(n byte) byte { return tagContext0 + n }

// readTLV splits the first element off b.
func readTLV(b []byte) (tag byte, content, rest []byte, err error) {
	if len(b) < 2 {
		return 0, nil, nil, fmt.Errorf("%w: %d bytes for a DER header", ErrTruncated, len(b))
	}
	tag = b[0]
	if tag&0x1f == 0x1f {
		return 0, nil, nil, fmt.Errorf("%w: multi-byte tag %#x", ErrMalformed, tag)
	}
	n, hdr := int(b[1]), 2
	if n&0x80 != 0 {
		k := n & 0x7f
		switch {
		case k == 0:
			return 0, nil, nil, fmt.Errorf("%w: indefinite length", ErrMalformed)
		case k > 4:
			return 0, nil, nil, fmt.Errorf("%w: %d-byte length", ErrMalformed, k)
		case len(b) < 2+k:
			return 0, nil, nil, fmt.Errorf("%w: length bytes", ErrTruncated)
		}
		n = 0
		for _, c := range b[2 : 2+k] {
			n = n<<8 | int(c)
		}
		if n < 0x80 || b[2] == 0 {
			return 0, nil, nil, fmt.Errorf("%w: non-minimal length encoding", ErrMalformed)
		}
		hdr = 2 + k
	}
	if n > len(b)-hdr {
		return 0, nil, nil, fmt.Errorf("%w: element %#x of %d bytes, %d left", ErrTruncated, tag, n, len(b)-hdr)
	}
	return tag, b[hdr : hdr+n : hdr+n], b[hdr+n:], nil
}

// expect reads one element that must carry tag.
func expect(b []byte, tag byte) (content, rest []byte, err error) {
	t, c, r, err := readTLV(b)
	if err != nil {
		return nil, nil, err
	}
	if t != tag {
		return nil, nil, fmt.Errorf("%w: tag %#x, want %#x", ErrMalformed, t, tag)
	}
	return c, r, nil
}

// appendTLV appends tag, a minimal definite length, and content.
func appendTLV(dst []byte, tag byte, content ...[]byte) []byte {
	n := 0
	for _, c := range content {
		n += len(c)
	}
	dst = append(dst, tag)
	switch {
	case n < 0x80:
		dst = append(dst, byte(n))
	case n <= 0xff:
		dst = append(dst, 0x81, byte(n))
	case n <= 0xffff:
		dst = append(dst, 0x82, byte(n>>8), byte(n))
	case n <= 0xffffff:
		dst = append(dst, 0x83, byte(n>>16), byte(n>>8), byte(n))
	default:
		dst = append(dst, 0x84, byte(n>>24), byte(n>>16), byte(n>>8), byte(n))
	}
	for _, c := range content {
		dst = append(dst, c...)
	}
	return dst
}

// OID is an object identifier in dotted form, e.g. "1.3.6.1.4.1.311.2.2.10".
type OID string

// Mechanism OIDs seen in SMB security blobs.
const (
	OIDSPNEGO       OID = "1.3.6.1.5.5.2"
	OIDNTLMSSP      OID = "1.3.6.1.4.1.311.2.2.10"
	OIDNegoEx       OID = "1.3.6.1.4.1.311.2.2.30"
	OIDKerberos5    OID = "1.2.840.113554.1.2.2"
	OIDMSKerberos5  OID = "1.2.840.48018.1.2.2"
	OIDKerberosUser OID = "1.2.840.113554.1.2.2.3"
)

// marshalOID returns the DER content octets of o.
func marshalOID(o OID) ([]byte, error) {
	parts := strings.Split(string(o), ".")
	if len(parts) < 2 {
		return nil, fmt.Errorf("%w: OID %q", ErrMalformed, o)
	}
	arcs := make([]uint64, len(parts))
	for i, p := range parts {
		v, err := strconv.ParseUint(p, 10, 32)
		if err != nil {
			return nil, fmt.Errorf("%w: OID %q: %v", ErrMalformed, o, err)
		}
		arcs[i] = v
	}
	if arcs[0] > 2 || (arcs[0] < 2 && arcs[1] > 39) {
		return nil, fmt.Errorf("%w: OID %q", ErrMalformed, o)
	}
	out := appendBase128(nil, arcs[0]*40+arcs[1])
	for _, a := range arcs[2:] {
		out = appendBase128(out, a)
	}
	return out, nil
}

func appendBase128(dst []byte, v uint64) []byte {
	var tmp [10]byte
	i := len(tmp) - 1
	tmp[i] = byte(v & 0x7f)
	for v >>= 7; v > 0; v >>= 7 {
		i--
		tmp[i] = byte(v&0x7f) | 0x80
	}
	return append(dst, tmp[i:]...)
}

// parseOID decodes DER OID content octets; arcs are limited to 32 bits.
func parseOID(b []byte) (OID, error) {
	if len(b) == 0 {
		return "", fmt.Errorf("%w: empty OID", ErrMalformed)
	}
	var sb strings.Builder
	first := true
	for len(b) > 0 {
		var v uint64
		i := 0
		for {
			if i == len(b) {
				return "", fmt.Errorf("%w: OID arc runs off the end", ErrTruncated)
			}
			if i == 0 && b[0] == 0x80 {
				return "", fmt.Errorf("%w: non-minimal OID arc", ErrMalformed)
			}
			v = v<<7 | uint64(b[i]&0x7f)
			if v > 0xffffffff {
				return "", fmt.Errorf("%w: OID arc too large", ErrMalformed)
			}
			if b[i]&0x80 == 0 {
				break
			}
			i++
		}
		b = b[i+1:]
		if first {
			x, y := v/40, v%40
			if x > 2 {
				x, y = 2, v-80
			}
			fmt.Fprintf(&sb, "%d.%d", x, y)
			first = false
		} else {
			fmt.Fprintf(&sb, ".%d", v)
		}
	}
	return OID(sb.String()), nil
}
