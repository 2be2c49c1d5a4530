package smbclient

import (
	"bytes"
	"encoding/binary"
	"errors"
	"net"
	"testing"

	"github.com/scan445/scan445/smbprobe/netbios"
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

// TestGuardDropsUnsignedInterim: an unsigned async STATUS_PENDING response never reaches
// go-smb2; a signed one, a sync one and the final response do.
func TestGuardDropsUnsignedInterim(t *testing.T) {
	pkt := func(status, flags uint32) []byte {
		b := make([]byte, 64)
		copy(b, "\xfeSMB")
		binary.LittleEndian.PutUint16(b[4:6], 64)
		binary.LittleEndian.PutUint32(b[8:12], status)
		binary.LittleEndian.PutUint32(b[16:20], flags)
		return b
	}
	cases := []struct {
		name string
		b    []byte
		pass bool
	}{
		{"unsigned interim", pkt(smb2StatusPending, smb2FlagsAsync), false},
		{"signed interim", pkt(smb2StatusPending, smb2FlagsAsync|smb2FlagsSigned), true},
		{"sync pending", pkt(smb2StatusPending, 0), true},
		{"final async", pkt(0, smb2FlagsAsync), true},
	}
	for _, tc := range cases {
		cli, srv := net.Pipe()
		g := NewGuard(cli)
		go func() {
			netbios.WriteFrame(srv, tc.b)
			netbios.WriteFrame(srv, pkt(0, 0)) // a final response always follows
			srv.Close()
		}()
		_, first, err := netbios.ReadFrame(g, 1<<16)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if got := bytes.Equal(first, tc.b); got != tc.pass {
			t.Errorf("%s: passed %t, want %t", tc.name, got, tc.pass)
		}
		cli.Close()
	}
}
