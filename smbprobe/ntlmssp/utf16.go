package ntlmssp

import "github.com/scan445/scan445/smbprobe/internal/utf16le"

// decodeUTF16 decodes UTF-16LE. NTLM strings are counted, but some peers add
// a NUL terminator, so trailing NULs are trimmed; an odd dangling byte cannot
// be part of a character and becomes U+FFFD so the oddity stays visible.
func decodeUTF16(b []byte) string {
	n := len(b) &^ 1
	for n >= 2 && b[n-2] == 0 && b[n-1] == 0 {
		n -= 2
	}
	s := utf16le.Decode(b[:n])
	if len(b)%2 == 1 {
		s += "\uFFFD"
	}
	return s
}

// encodeString picks the character set the negotiated flags ask for.
func encodeString(s string, f Flags) []byte {
	if f&FlagUnicode != 0 {
		return utf16le.Encode(s)
	}
	return []byte(s)
}

func decodeString(b []byte, f Flags) string {
	if f&FlagUnicode != 0 {
		return decodeUTF16(b)
	}
	return string(b)
}
