package winreg

import (
	"encoding/binary"
	"fmt"
	"strings"

	"github.com/scan445/scan445/smbprobe/internal/utf16le"
)

// firstReferent is the first referent id MIDL stubs on Windows (and Samba) use; later
// pointers in the same stub count up by 4.
const firstReferent = 0x00020000

// maxNameChars bounds a key path or value name: MS-RRP limits a key name to 255 characters
// per component and a value name to 16,383; nothing this package sends comes near either.
const maxNameChars = 1024

// encoder appends NDR to a stub. Alignment is relative to the start of the stub.
type encoder struct {
	b   []byte
	ref uint32
}

func newEncoder() *encoder { return &encoder{ref: firstReferent} }

func (e *encoder) align(n int) {
	for len(e.b)%n != 0 {
		e.b = append(e.b, 0)
	}
}

func (e *encoder) u16(v uint16) {
	e.align(2)
	e.b = binary.LittleEndian.AppendUint16(e.b, v)
}

func (e *encoder) u32(v uint32) {
	e.align(4)
	e.b = binary.LittleEndian.AppendUint32(e.b, v)
}

// referent writes a unique pointer's non-NULL referent id.
func (e *encoder) referent() {
	e.u32(e.ref)
	e.ref += 4
}

// unicodeString writes a top-level [in] PRRP_UNICODE_STRING (a ref pointer, so no referent of
// its own): Length and MaximumLength in bytes counting the terminating NUL, as MS-RRP 2.2.4
// asks for names sent to the server, the Buffer's referent, then the deferred conformant
// varying array (MaxCount, Offset 0, ActualCount in characters, the characters, the NUL).
func (e *encoder) unicodeString(what, s string) error {
	if strings.IndexByte(s, 0) >= 0 || len(s) > maxNameChars {
		return fmt.Errorf("%w: %s %q", ErrInvalidString, what, s)
	}
	u := utf16le.EncodeZ(s)
	e.u16(uint16(len(u))) // Length
	e.u16(uint16(len(u))) // MaximumLength
	e.referent()          // Buffer
	n := uint32(len(u) / 2)
	e.u32(n) // MaxCount
	e.u32(0) // Offset
	e.u32(n) // ActualCount
	e.b = append(e.b, u...)
	return nil
}

// decoder reads NDR from a stub. The first error sticks: later reads return zero values, so a
// decode function checks d.err once at the end.
type decoder struct {
	b   []byte
	off int
	err error
}

func (d *decoder) fail(err error) {
	if d.err == nil {
		d.err = err
	}
}

func (d *decoder) need(what string, n int) bool {
	if d.err != nil {
		return false
	}
	if n < 0 || n > len(d.b)-d.off {
		d.fail(truncated(what, n, len(d.b)-d.off))
		return false
	}
	return true
}

// align skips padding, whatever its content (impacket pads with 0xaa and 0xbf).
func (d *decoder) align(n int) {
	pad := (n - d.off%n) % n
	if d.need("alignment padding", pad) {
		d.off += pad
	}
}

func (d *decoder) u32(what string) uint32 {
	d.align(4)
	if !d.need(what, 4) {
		return 0
	}
	v := binary.LittleEndian.Uint32(d.b[d.off:])
	d.off += 4
	return v
}

func (d *decoder) bytes(what string, n uint32) []byte {
	if d.err != nil {
		return nil
	}
	if uint64(n) > uint64(len(d.b)-d.off) {
		d.fail(truncated(what, int(min(uint64(n), 1<<31)), len(d.b)-d.off))
		return nil
	}
	out := append([]byte{}, d.b[d.off:d.off+int(n)]...)
	d.off += int(n)
	return out
}

// handle reads a 20-byte context handle.
func (d *decoder) handle(what string) Handle {
	var h Handle
	d.align(4)
	if d.need(what, len(h)) {
		copy(h[:], d.b[d.off:])
		d.off += len(h)
	}
	return h
}
