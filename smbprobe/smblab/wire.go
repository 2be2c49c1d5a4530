package smblab

import (
	"encoding/binary"
	"errors"
	"strings"
)

// Sentinel errors for client input the lab cannot parse. They never leave a connection: a
// malformed request is answered with an error status or ends that connection, never the lab.
var (
	ErrTruncated = errors.New("smblab: truncated request")
	ErrMalformed = errors.New("smblab: malformed request")
)

var le = binary.LittleEndian

// decodeASCIIZ decodes b up to the first NUL (or the end) and returns the bytes consumed.
func decodeASCIIZ(b []byte) (string, int) {
	for i, c := range b {
		if c == 0 {
			return string(b[:i]), i + 1
		}
	}
	return string(b), len(b)
}

// asciiz encodes s as OEM text for clients that did not negotiate Unicode; non-ASCII runes
// become '?' as a Windows OEM code page without them would render.
func asciiz(s string) []byte {
	b := make([]byte, 0, len(s)+1)
	for _, r := range s {
		if r > 0x7e || r < 0x20 {
			r = '?'
		}
		b = append(b, byte(r))
	}
	return append(b, 0)
}

// span returns b[off:off+n] when that lies inside b.
func span(b []byte, off, n int) ([]byte, bool) {
	if off < 0 || n < 0 || off > len(b) || n > len(b)-off {
		return nil, false
	}
	return b[off : off+n], true
}

// pipeName reduces the ways clients spell a pipe ("\\BROWSER", "\PIPE\srvsvc", "srvsvc") to
// the lower-case bare name.
func pipeName(s string) string {
	s = strings.ToLower(strings.TrimRight(s, "\x00"))
	s = strings.TrimLeft(s, `\/`)
	s = strings.TrimPrefix(s, `pipe\`)
	return strings.TrimLeft(s, `\/`)
}

// shareName returns the last component of a UNC tree path, upper-cased ("\\1.2.3.4\ipc$" → "IPC$").
func shareName(s string) string {
	s = strings.TrimRight(s, "\x00")
	if i := strings.LastIndexAny(s, `\/`); i >= 0 {
		s = s[i+1:]
	}
	return strings.ToUpper(s)
}
