package smbclient

import (
	"encoding/binary"
	"errors"
	"testing"
)

// TestCheckSMB2Frame: the guard passes sound (compound) SMB2 frames and refuses every header
// that would make go-smb2's receiver slice out of bounds.
func TestCheckSMB2Frame(t *testing.T) {
	hdr := func(next uint32) []byte {
		b := make([]byte, 64)
		copy(b, "\xfeSMB")
		binary.LittleEndian.PutUint16(b[4:6], 64)
		binary.LittleEndian.PutUint32(b[20:24], next)
		return b
	}
	two := append(hdr(72), make([]byte, 8)...)
	two = append(two, hdr(0)...)
	for _, tc := range []struct {
		name string
		b    []byte
		ok   bool
	}{
		{"one", hdr(0), true},
		{"compound", two, true},
		{"short", hdr(0)[:63], false},
		{"smb1", append([]byte("\xffSMB"), hdr(0)[4:]...), false},
		{"transform", append([]byte("\xfdSMB"), hdr(0)[4:]...), false},
		{"structure-size", func() []byte { b := hdr(0); b[4] = 65; return b }(), false},
		{"next-past-end", hdr(128), false},
		{"next-unaligned", append(hdr(65), make([]byte, 70)...), false},
		{"next-inside-header", append(hdr(8), make([]byte, 70)...), false},
		{"next-to-short-tail", append(hdr(64), make([]byte, 8)...), false},
	} {
		err := CheckSMB2Frame(tc.b)
		if (err == nil) != tc.ok || (err != nil && !errors.Is(err, ErrProtocol)) {
			t.Errorf("%s: %v", tc.name, err)
		}
	}
}
