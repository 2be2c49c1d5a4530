// Package utf16le is the one UTF-16LE codec of the wire packages: SMB, NTLMSSP, NDR and PE
// version resources all carry strings as little-endian UTF-16 code units, with or without a
// NUL terminator. Decoding never fails: unpaired surrogates become U+FFFD, as in
// unicode/utf16, and an odd trailing byte is not a character.
package utf16le

import (
	"encoding/binary"
	"unicode/utf16"
)

// Encode returns s as UTF-16LE without a terminator.
func Encode(s string) []byte { return Append(nil, s) }

// EncodeZ returns s as UTF-16LE followed by a NUL code unit.
func EncodeZ(s string) []byte { return append(Append(nil, s), 0, 0) }

// Append appends s to b as UTF-16LE without a terminator.
func Append(b []byte, s string) []byte {
	for _, u := range utf16.Encode([]rune(s)) {
		b = binary.LittleEndian.AppendUint16(b, u)
	}
	return b
}

// Decode decodes every code unit of b, NULs included; an odd trailing byte is dropped.
func Decode(b []byte) string {
	u := make([]uint16, len(b)/2)
	for i := range u {
		u[i] = binary.LittleEndian.Uint16(b[2*i:])
	}
	return string(utf16.Decode(u))
}

// DecodeZ decodes b up to its first NUL code unit, or to its end when there is none (an odd
// trailing byte dropped). n is the number of bytes consumed, the NUL included.
func DecodeZ(b []byte) (s string, n int) {
	u := make([]uint16, 0, len(b)/2)
	for i := 0; i+1 < len(b); i += 2 {
		c := binary.LittleEndian.Uint16(b[i:])
		if c == 0 {
			return string(utf16.Decode(u)), i + 2
		}
		u = append(u, c)
	}
	return string(utf16.Decode(u)), len(b)
}

// DecodeToNUL is DecodeZ's string alone: b up to its first NUL code unit.
func DecodeToNUL(b []byte) string {
	s, _ := DecodeZ(b)
	return s
}
