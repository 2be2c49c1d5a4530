package srvsvc

import (
	"encoding/binary"
	"fmt"
	"github.com/scan445/scan445/smbprobe/internal/utf16le"
	"strings"
	"unicode/utf16"
)

// firstReferent is the first referent id MIDL-generated stubs on Windows XP SP2+ (and Samba)
// use; later pointers in the same stub count up by 4.
const firstReferent = 0x00020000

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

func (e *encoder) u32(v uint32) {
	e.align(4)
	e.b = binary.LittleEndian.AppendUint32(e.b, v)
}

// pointer writes a unique/full pointer's referent id: non-zero for present, 0 for NULL.
func (e *encoder) pointer(present bool) {
	if !present {
		e.u32(0)
		return
	}
	e.u32(e.ref)
	e.ref += 4
}

// wstring writes a conformant varying [string] wchar_t array: MaxCount, Offset 0, ActualCount
// (both counting the terminating NUL), then the UTF-16LE characters and the NUL. Padding to 4
// is left to the next aligned field.
func (e *encoder) wstring(s string) error {
	if strings.IndexByte(s, 0) >= 0 {
		return fmt.Errorf("%w: %q", ErrInvalidString, s)
	}
	u := utf16le.Encode(s)
	n := uint32(len(u)/2 + 1)
	e.u32(n) // MaxCount
	e.u32(0) // Offset
	e.u32(n) // ActualCount
	e.b = append(e.b, u...)
	e.b = append(e.b, 0, 0) // terminating NUL
	return nil
}

// uniqueWString writes a top-level [unique, string] parameter: referent id, then the string
// right away (top-level pointees are not deferred).
func (e *encoder) uniqueWString(s *string) error {
	e.pointer(s != nil)
	if s == nil {
		return nil
	}
	return e.wstring(*s)
}

// conformantBytes writes a conformant byte array: MaxCount, then the bytes.
func (e *encoder) conformantBytes(b []byte) {
	e.u32(uint32(len(b))) // MaxCount
	e.b = append(e.b, b...)
}

// conformantWChars writes a conformant WCHAR array: MaxCount, then the characters.
func (e *encoder) conformantWChars(u []uint16) {
	e.u32(uint32(len(u))) // MaxCount
	for _, c := range u {
		e.b = binary.LittleEndian.AppendUint16(e.b, c)
	}
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

// align skips padding. Its content is not checked: impacket pads with 0xbf and 0xab, Windows
// with whatever was in the buffer.
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

// wchars reads n UTF-16LE code units.
func (d *decoder) wchars(what string, n uint32) []uint16 {
	if d.err != nil {
		return nil
	}
	if uint64(n)*2 > uint64(len(d.b)-d.off) {
		d.fail(truncated(what, int(min(uint64(n)*2, 1<<31)), len(d.b)-d.off))
		return nil
	}
	u := make([]uint16, n)
	for i := range u {
		u[i] = binary.LittleEndian.Uint16(d.b[d.off+2*i:])
	}
	d.off += int(n) * 2
	return u
}

// wstring reads a conformant varying [string] wchar_t array. The value is what a C server
// would see: the characters up to the first NUL (a missing NUL is tolerated).
func (d *decoder) wstring(what string) string {
	maxCount := d.u32(what + " MaxCount")
	offset := d.u32(what + " Offset")
	actual := d.u32(what + " ActualCount")
	if d.err != nil {
		return ""
	}
	if offset != 0 || actual > maxCount {
		d.fail(fmt.Errorf("%w: %s: MaxCount %d, Offset %d, ActualCount %d", ErrMalformed, what, maxCount, offset, actual))
		return ""
	}
	return utf16String(d.wchars(what, actual))
}

// uniqueWString reads a top-level [unique, string] parameter; NULL gives nil.
func (d *decoder) uniqueWString(what string) *string {
	if ref := d.u32(what + " referent"); ref == 0 || d.err != nil {
		return nil
	}
	s := d.wstring(what)
	return &s
}

func (d *decoder) conformantBytes(what string) []byte {
	n := d.u32(what + " MaxCount")
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

func (d *decoder) conformantWChars(what string) []uint16 {
	n := d.u32(what + " MaxCount")
	if d.err != nil {
		return nil
	}
	return d.wchars(what, n)
}

// utf16String converts UTF-16 code units up to the first NUL; unpaired surrogates become
// U+FFFD.
func utf16String(u []uint16) string {
	for i, c := range u {
		if c == 0 {
			u = u[:i]
			break
		}
	}
	return string(utf16.Decode(u))
}
