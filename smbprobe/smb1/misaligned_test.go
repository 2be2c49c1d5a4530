package smb1

import (
	"testing"
	"unicode/utf16"
)

func u16z(s string) []byte {
	var b []byte
	for _, c := range utf16.Encode([]rune(s)) {
		b = append(b, byte(c), byte(c>>8))
	}
	return append(b, 0, 0)
}

// TestMisplacedPadByte: strings after a misplaced pad byte (impacket 0.10 pads by the length of
// a Python repr) still read as sent, while correctly aligned ones, ASCII or not, are untouched.
func TestMisplacedPadByte(t *testing.T) {
	cat := func(parts ...[]byte) []byte {
		var b []byte
		for _, p := range parts {
			b = append(b, p...)
		}
		return b
	}
	tests := []struct {
		name string
		base int // offset of the block from the SMB header: its parity decides the pad
		b    []byte
		want []string
	}{
		{"aligned with pad", 1, cat([]byte{0}, u16z("Windows 5.1"), u16z("Windows 2000 LAN Manager")), []string{"Windows 5.1", "Windows 2000 LAN Manager"}},
		{"aligned without pad", 0, cat(u16z("Windows 5.1"), u16z("Windows 2000 LAN Manager")), []string{"Windows 5.1", "Windows 2000 LAN Manager"}},
		{"pad forgotten", 1, cat(u16z("Windows 5.1"), []byte{0}, u16z("Windows 2000 LAN Manager")), []string{"Windows 5.1", "Windows 2000 LAN Manager"}},
		{"pad where none is due", 0, cat([]byte{0}, u16z("Windows 5.1"), []byte{0}, u16z("WORKGROUP")), []string{"Windows 5.1", "WORKGROUP"}},
		{"Japanese workgroup stays", 0, cat(u16z("ワークグループ"), u16z("Windows 5.1")), []string{"ワークグループ", "Windows 5.1"}},
		{"Japanese workgroup after a pad stays", 1, cat([]byte{0}, u16z("ワークグループ")), []string{"ワークグループ"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := &reader{b: tt.b, base: tt.base}
			for i, want := range tt.want {
				if got := r.str(true, true); got != want {
					t.Errorf("string %d: %q, want %q", i, got, want)
				}
			}
		})
	}
}
