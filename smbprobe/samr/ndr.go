package samr

import (
	"encoding/binary"
	"fmt"
	"strings"
	"unicode/utf16"

	"github.com/scan445/scan445/smbprobe/internal/utf16le"
)

// firstReferent is the first referent id Windows and Samba stubs use; later pointers in the
// same stub count up by 4.
const firstReferent = 0x00020000

// maxStringChars bounds an RPC_UNICODE_STRING: Length is a USHORT of bytes.
const maxStringChars = 0x7FFF

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

// pointer writes a unique pointer's referent id: non-zero for present, 0 for NULL.
func (e *encoder) pointer(present bool) {
	if !present {
		e.u32(0)
		return
	}
	e.u32(e.ref)
	e.ref += 4
}

func (e *encoder) handle(h Handle) {
	e.align(4)
	e.b = append(e.b, h[:]...)
}

// oldLargeInteger writes OLD_LARGE_INTEGER: LowPart, then HighPart (4-aligned, unlike hyper).
func (e *encoder) oldLargeInteger(v int64) {
	e.u32(uint32(v))
	e.u32(uint32(v >> 32))
}

// wstringZ writes a conformant varying [string] wchar_t array with its terminating NUL.
func (e *encoder) wstringZ(s string) {
	u := utf16le.Encode(s)
	n := uint32(len(u)/2 + 1)
	e.u32(n) // MaxCount
	e.u32(0) // Offset
	e.u32(n) // ActualCount
	e.b = append(e.b, u...)
	e.b = append(e.b, 0, 0)
}

// unicodeStringHeader writes RPC_UNICODE_STRING's Length, MaximumLength and Buffer referent;
// the characters follow later (deferred, or right after for a top-level pointee).
func (e *encoder) unicodeStringHeader(s string) {
	n := uint16(len(utf16le.Encode(s)))
	e.u16(n) // Length
	e.u16(n) // MaximumLength
	e.pointer(true)
}

// unicodeStringBody writes the deferred Buffer of an RPC_UNICODE_STRING: size_is(MaximumLength/2),
// length_is(Length/2), no terminating NUL.
func (e *encoder) unicodeStringBody(s string) {
	u := utf16le.Encode(s)
	e.u32(uint32(len(u) / 2)) // MaxCount
	e.u32(0)                  // Offset
	e.u32(uint32(len(u) / 2)) // ActualCount
	e.b = append(e.b, u...)
}

// sid writes RPC_SID as a conformant structure: MaxCount (SubAuthorityCount), then the fields.
func (e *encoder) sid(s SID) {
	e.u32(uint32(len(s.SubAuthorities))) // MaxCount
	e.b = append(e.b, s.Revision, byte(len(s.SubAuthorities)))
	e.b = append(e.b, s.Authority[:]...)
	for _, a := range s.SubAuthorities {
		e.u32(a)
	}
}

func checkString(s string) error {
	if strings.IndexByte(s, 0) >= 0 || len(utf16le.Encode(s))/2 > maxStringChars {
		return fmt.Errorf("%w: %q", ErrInvalidString, s)
	}
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

func (d *decoder) malformed(format string, args ...any) {
	d.fail(fmt.Errorf("%w: "+format, append([]any{ErrMalformed}, args...)...))
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

// align skips padding; its content is not checked (impacket pads with 0xbf).
func (d *decoder) align(n int) {
	pad := (n - d.off%n) % n
	if d.need("alignment padding", pad) {
		d.off += pad
	}
}

func (d *decoder) u16(what string) uint16 {
	d.align(2)
	if !d.need(what, 2) {
		return 0
	}
	v := binary.LittleEndian.Uint16(d.b[d.off:])
	d.off += 2
	return v
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

func (d *decoder) bytes(what string, n int) []byte {
	if !d.need(what, n) {
		return nil
	}
	out := d.b[d.off : d.off+n]
	d.off += n
	return out
}

func (d *decoder) handle(what string) Handle {
	d.align(4)
	var h Handle
	copy(h[:], d.bytes(what, len(h)))
	return h
}

func (d *decoder) oldLargeInteger(what string) int64 {
	lo := d.u32(what + " LowPart")
	hi := d.u32(what + " HighPart")
	return int64(uint64(hi)<<32 | uint64(lo))
}

// wchars reads n UTF-16LE code units and converts them up to the first NUL.
func (d *decoder) wchars(what string, n uint32) string {
	if d.err != nil {
		return ""
	}
	if uint64(n)*2 > uint64(len(d.b)-d.off) {
		d.fail(truncated(what, int(min(uint64(n)*2, 1<<31)), len(d.b)-d.off))
		return ""
	}
	u := make([]uint16, n)
	for i := range u {
		u[i] = binary.LittleEndian.Uint16(d.b[d.off+2*i:])
	}
	d.off += int(n) * 2
	for i, c := range u {
		if c == 0 {
			u = u[:i]
			break
		}
	}
	return string(utf16.Decode(u))
}

// varying reads MaxCount, Offset, ActualCount of a conformant varying array and checks them.
func (d *decoder) varying(what string) uint32 {
	maxCount := d.u32(what + " MaxCount")
	offset := d.u32(what + " Offset")
	actual := d.u32(what + " ActualCount")
	if d.err == nil && (offset != 0 || actual > maxCount) {
		d.malformed("%s: MaxCount %d, Offset %d, ActualCount %d", what, maxCount, offset, actual)
	}
	return actual
}

func (d *decoder) wstringZ(what string) string {
	n := d.varying(what)
	return d.wchars(what, n)
}

// unicodeStringHeader reads RPC_UNICODE_STRING's fixed part: Length, MaximumLength, referent.
func (d *decoder) unicodeStringHeader(what string) (length uint16, present bool) {
	length = d.u16(what + " Length")
	maxLength := d.u16(what + " MaximumLength")
	ref := d.u32(what + " Buffer referent")
	if d.err == nil && (length > maxLength || length%2 != 0) {
		d.malformed("%s: Length %d, MaximumLength %d", what, length, maxLength)
	}
	return length, ref != 0
}

// unicodeStringBody reads the deferred Buffer; its ActualCount must match Length.
func (d *decoder) unicodeStringBody(what string, length uint16) string {
	n := d.varying(what)
	if d.err == nil && n*2 != uint32(length) {
		d.malformed("%s: ActualCount %d for Length %d", what, n, length)
	}
	return d.wchars(what, n)
}

// maxSubAuthorities is SID_MAX_SUB_AUTHORITIES.
const maxSubAuthorities = 15

func (d *decoder) sid(what string) SID {
	n := d.u32(what + " MaxCount")
	if d.err != nil {
		return SID{}
	}
	if n > maxSubAuthorities {
		d.malformed("%s: %d sub-authorities", what, n)
		return SID{}
	}
	h := d.bytes(what, 8)
	if d.err != nil {
		return SID{}
	}
	s := SID{Revision: h[0]}
	if uint32(h[1]) != n {
		d.malformed("%s: SubAuthorityCount %d, MaxCount %d", what, h[1], n)
		return SID{}
	}
	copy(s.Authority[:], h[2:8])
	s.SubAuthorities = make([]uint32, n)
	for i := range s.SubAuthorities {
		s.SubAuthorities[i] = d.u32(what + " SubAuthority")
	}
	return s
}

// finish returns v, or the first error with the call named. Trailing bytes are tolerated:
// the stub may end in padding a server or a verifier added.
func finish[T any](v T, d *decoder, what string) (T, error) {
	if d.err != nil {
		var zero T
		return zero, fmt.Errorf("%s: %w", what, d.err)
	}
	return v, nil
}
