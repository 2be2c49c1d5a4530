package ntlmssp

import (
	"encoding/binary"
	"unicode/utf16"
)

// encodeUTF16 returns s as UTF-16LE without a terminator, as NTLM strings travel.
func encodeUTF16(s string) []byte {
	u := utf16.Encode([]rune(s))
	b := make([]byte, 2*len(u))
	for i, c := range u {
		binary.LittleEndian.PutUint16(b[2*i:], c)
	}
	return b
}

// decodeUTF16 decodes UTF-16LE. NTLM strings are counted, but some peers add
// a NUL terminator, so trailing NULs are trimmed; an odd dangling byte cannot
// be part of a character and becomes U+FFFD so the oddity stays visible.
func decodeUTF16(b []byte) string {
	u := make([]uint16, len(b)/2)
	for i := range u {
		u[i] = binary.LittleEndian.Uint16(b[2*i:])
	}
	for len(u) > 0 && u[len(u)-1] == 0 {
		u = u[:len(u)-1]
	}
	s := string(utf16.Decode(u))
	if len(b)%2 == 1 {
		s += "\uFFFD"
	}
	return s
}

// encodeString picks the character set the negotiated flags ask for.
func encodeString(s string, f Flags) []byte {
	if f&FlagUnicode != 0 {
		return encodeUTF16(s)
	}
	return []byte(s)
}

func decodeString(b []byte, f Flags) string {
	if f&FlagUnicode != 0 {
		return decodeUTF16(b)
	}
	return string(b)
}
