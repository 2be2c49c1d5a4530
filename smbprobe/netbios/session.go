package netbios

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"
	"strings"
)

// SMBServerName is the wildcard called name every Windows since NT 4 SP3 and Samba accept on
// port 139 (MS-SMB 2.1, RFC 1001 name "*SMBSERVER" with the server suffix 0x20).
const SMBServerName = "*SMBSERVER"

// Name suffixes (the 16th byte of a NetBIOS name).
const (
	SuffixWorkstation byte = 0x00
	SuffixServer      byte = 0x20
)

// Negative session response error codes (RFC 1002 4.3.4).
const (
	NotListeningOnCalledName  byte = 0x80
	NotListeningForCalling    byte = 0x81
	CalledNameNotPresent      byte = 0x82
	CalledNameInsufficientRes byte = 0x83
	UnspecifiedError          byte = 0x8F
)

var (
	// ErrBadName is returned for a name that cannot be a NetBIOS name (empty, longer than 15
	// bytes, or not printable ASCII).
	ErrBadName = errors.New("netbios: invalid NetBIOS name")
	// ErrBadResponse is returned for a session response that does not parse.
	ErrBadResponse = errors.New("netbios: malformed session response")
)

// EncodeName returns the RFC 1001 14.1 first-level encoding of name with suffix: the name is
// upper-cased, space-padded to 15 bytes, suffixed, each nibble written as 'A'+nibble, and the
// result carried as one length-prefixed label with no scope (34 bytes in all).
func EncodeName(name string, suffix byte) ([]byte, error) {
	if name == "" || len(name) > 15 {
		return nil, fmt.Errorf("%w: %q", ErrBadName, name)
	}
	for i := 0; i < len(name); i++ {
		if name[i] < 0x20 || name[i] > 0x7e {
			return nil, fmt.Errorf("%w: %q", ErrBadName, name)
		}
	}
	var raw [16]byte
	copy(raw[:], strings.ToUpper(name)+strings.Repeat(" ", 15-len(name)))
	raw[15] = suffix
	out := make([]byte, 0, 34)
	out = append(out, 32)
	for _, b := range raw {
		out = append(out, 'A'+b>>4, 'A'+b&0x0f)
	}
	return append(out, 0), nil
}

// SessionRequest returns a whole SESSION REQUEST packet (header included) asking for called
// (server suffix) on behalf of calling (workstation suffix).
func SessionRequest(called, calling string) ([]byte, error) {
	cd, err := EncodeName(called, SuffixServer)
	if err != nil {
		return nil, err
	}
	cg, err := EncodeName(calling, SuffixWorkstation)
	if err != nil {
		return nil, err
	}
	body := append(cd, cg...)
	b := make([]byte, HeaderLen, HeaderLen+len(body))
	b[0] = TypeSessionRequest
	binary.BigEndian.PutUint16(b[2:4], uint16(len(body)))
	return append(b, body...), nil
}

// SessionResponse is a parsed answer to a SESSION REQUEST.
type SessionResponse struct {
	// Type is TypePositiveResponse, TypeNegativeResponse or TypeRetargetResponse.
	Type byte
	// Code is the error code of a negative response.
	Code byte
	// Retarget is the address a retarget response points at.
	Retarget netip.AddrPort
}

// DecodeSessionResponse decodes the packet a server sends after a SESSION REQUEST (its type
// and payload as ReadFrame returns them). Anything else, or a payload of the wrong size, is
// ErrBadResponse: a port 139 listener that answers otherwise is not a session service.
func DecodeSessionResponse(typ byte, payload []byte) (SessionResponse, error) {
	switch typ {
	case TypePositiveResponse:
		if len(payload) != 0 {
			return SessionResponse{}, fmt.Errorf("%w: positive response with %d bytes", ErrBadResponse, len(payload))
		}
		return SessionResponse{Type: typ}, nil
	case TypeNegativeResponse:
		if len(payload) != 1 {
			return SessionResponse{}, fmt.Errorf("%w: negative response with %d bytes", ErrBadResponse, len(payload))
		}
		return SessionResponse{Type: typ, Code: payload[0]}, nil
	case TypeRetargetResponse:
		if len(payload) != 6 {
			return SessionResponse{}, fmt.Errorf("%w: retarget response with %d bytes", ErrBadResponse, len(payload))
		}
		ip := netip.AddrFrom4([4]byte(payload[0:4]))
		return SessionResponse{Type: typ, Retarget: netip.AddrPortFrom(ip, binary.BigEndian.Uint16(payload[4:6]))}, nil
	}
	return SessionResponse{}, fmt.Errorf("%w: packet type 0x%02x", ErrBadResponse, typ)
}

// CodeText names a negative response code for reports.
func CodeText(code byte) string {
	switch code {
	case NotListeningOnCalledName:
		return "not listening on called name"
	case NotListeningForCalling:
		return "not listening for calling name"
	case CalledNameNotPresent:
		return "called name not present"
	case CalledNameInsufficientRes:
		return "called name present, but insufficient resources"
	case UnspecifiedError:
		return "unspecified error"
	}
	return fmt.Sprintf("error 0x%02x", code)
}

// DecodeName reverses EncodeName on the front of b: it returns the name with its padding
// trimmed, its suffix, and the bytes after it. Scopes (labels after the first) are refused:
// SMB never uses them.
func DecodeName(b []byte) (name string, suffix byte, rest []byte, err error) {
	if len(b) < 34 || b[0] != 32 || b[33] != 0 {
		return "", 0, nil, fmt.Errorf("%w: not a 32-byte label without scope", ErrBadName)
	}
	var raw [16]byte
	for i := range raw {
		hi, lo := b[1+2*i]-'A', b[2+2*i]-'A'
		if hi > 15 || lo > 15 {
			return "", 0, nil, fmt.Errorf("%w: byte outside 'A'..'P'", ErrBadName)
		}
		raw[i] = hi<<4 | lo
	}
	return strings.TrimRight(string(raw[:15]), " "), raw[15], b[34:], nil
}

// DecodeSessionRequest decodes the payload of a SESSION REQUEST (the lab's side of port 139).
func DecodeSessionRequest(payload []byte) (called, calling string, err error) {
	called, _, rest, err := DecodeName(payload)
	if err != nil {
		return "", "", fmt.Errorf("called name: %w", err)
	}
	calling, _, rest, err = DecodeName(rest)
	if err != nil {
		return "", "", fmt.Errorf("calling name: %w", err)
	}
	if len(rest) != 0 {
		return "", "", fmt.Errorf("%w: %d bytes after the calling name", ErrBadName, len(rest))
	}
	return called, calling, nil
}
