package smbclient

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/hirochachacha/go-smb2"

	"github.com/scan445/scan445/smbprobe/ntstatus"
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

// TestClassifySMB2 maps go-smb2's errors to the package's: statuses to ntstatus, the guard's
// violation first, go-smb2's refusal of an unsigned interim response named as such.
func TestClassifySMB2(t *testing.T) {
	ctx := context.Background()
	interim := NewGuard(nil)
	interim.unsignedInterim.Store(true)
	violated := NewGuard(nil)
	violated.refuse(fmt.Errorf("%w: bad frame", ErrProtocol))
	cases := []struct {
		name string
		g    *Guard
		err  error
		want error
		text string
	}{
		{"status", nil, &smb2.ResponseError{Code: uint32(ntstatus.LogonFailure)}, ntstatus.LogonFailure, ""},
		{"permission", nil, os.ErrPermission, ntstatus.AccessDenied, ""},
		{"not exist", nil, os.ErrNotExist, ntstatus.ObjectNameNotFound, ""},
		{"violation first", violated, &smb2.ResponseError{Code: 0}, ErrProtocol, "bad frame"},
		{"invalid", nil, &smb2.InvalidResponseError{Message: "broken"}, ErrProtocol, "broken"},
		{"unsigned interim", interim, &smb2.InvalidResponseError{Message: "signing required"}, ErrProtocol, "unsigned interim"},
		{"other", nil, errors.New("boom"), ErrDropped, "boom"},
		{"ours", nil, ErrTimeout, ErrTimeout, ""},
	}
	for _, tc := range cases {
		got := ClassifySMB2(ctx, tc.g, tc.err)
		if !errors.Is(got, tc.want) || !strings.Contains(got.Error(), tc.text) {
			t.Errorf("%s: %v, want %v containing %q", tc.name, got, tc.want, tc.text)
		}
	}
}
