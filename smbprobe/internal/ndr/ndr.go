// Package ndr is the NDR 2.0 (little-endian) marshalling the DCE/RPC stub packages share:
// srvsvc, samr and winreg. Alignment is relative to the start of the stub, which the DCE/RPC request
// and response headers leave 8-aligned in the PDU.
//
// The Decoder's first error sticks: later reads return zero values, so a decode function
// checks Err once at the end. It bounds every count against the bytes left before it
// allocates, and reports failures with the calling package's own sentinel errors (Errors),
// so callers keep matching their errors.Is targets.
package ndr

import (
	"encoding/binary"
	"fmt"
	"unicode/utf16"

	"github.com/scan445/scan445/smbprobe/internal/utf16le"
)

// FirstReferent is the first referent id MIDL-generated stubs on Windows XP SP2+ (and Samba)
// use; later pointers in the same stub count up by 4.
const FirstReferent = 0x00020000

// ContextHandleSize is the size of a context handle on the wire: 4 bytes of attributes and a
// 16-byte UUID, opaque to the client.
const ContextHandleSize = 20

// Encoder appends NDR to a stub.
type Encoder struct {
	B   []byte // the stub so far
	ref uint32
}

// NewEncoder starts an empty stub.
func NewEncoder() *Encoder { return &Encoder{ref: FirstReferent} }

// Align pads the stub to a multiple of n.
func (e *Encoder) Align(n int) {
	for len(e.B)%n != 0 {
		e.B = append(e.B, 0)
	}
}

// U16 writes an aligned uint16.
func (e *Encoder) U16(v uint16) {
	e.Align(2)
	e.B = binary.LittleEndian.AppendUint16(e.B, v)
}

// U32 writes an aligned uint32.
func (e *Encoder) U32(v uint32) {
	e.Align(4)
	e.B = binary.LittleEndian.AppendUint32(e.B, v)
}

// Pointer writes a unique/full pointer's referent id: the next one for present, 0 for NULL.
func (e *Encoder) Pointer(present bool) {
	if !present {
		e.U32(0)
		return
	}
	e.U32(e.ref)
	e.ref += 4
}

// WStringZ writes a conformant varying [string] wchar_t array: MaxCount, Offset 0,
// ActualCount (both counting the terminating NUL), the UTF-16LE characters and the NUL. The
// caller has checked that s holds no NUL. Padding to 4 is left to the next aligned field.
func (e *Encoder) WStringZ(s string) {
	u := utf16le.Encode(s)
	n := uint32(len(u)/2 + 1)
	e.U32(n) // MaxCount
	e.U32(0) // Offset
	e.U32(n) // ActualCount
	e.B = append(e.B, u...)
	e.B = append(e.B, 0, 0)
}

// ConformantBytes writes a conformant byte array: MaxCount, then the bytes.
func (e *Encoder) ConformantBytes(b []byte) {
	e.U32(uint32(len(b)))
	e.B = append(e.B, b...)
}

// ContextHandle writes a context handle as the server handed it out.
func (e *Encoder) ContextHandle(h [ContextHandleSize]byte) {
	e.Align(4)
	e.B = append(e.B, h[:]...)
}

// UnicodeStringHeader writes the fixed part of an RPC_UNICODE_STRING (MS-DTYP 2.3.10) or
// RRP_UNICODE_STRING (MS-RRP 2.2.4): Length and MaximumLength, both len(u) bytes, then the
// Buffer's referent. u is UTF-16LE; whether it carries a terminating NUL is the interface's
// rule (MS-RRP counts it in names sent to the server, MS-SAMR does not), so the caller
// decides, and bounds len(u) to a USHORT.
func (e *Encoder) UnicodeStringHeader(u []byte) {
	e.U16(uint16(len(u))) // Length
	e.U16(uint16(len(u))) // MaximumLength
	e.Pointer(true)       // Buffer
}

// UnicodeStringBody writes the Buffer an UnicodeStringHeader points to, where NDR puts it
// (deferred, or right away for a top-level pointee): a conformant varying array of len(u)/2
// characters, MaxCount = ActualCount, Offset 0.
func (e *Encoder) UnicodeStringBody(u []byte) {
	n := uint32(len(u) / 2)
	e.U32(n) // MaxCount
	e.U32(0) // Offset
	e.U32(n) // ActualCount
	e.B = append(e.B, u...)
}

// Errors are the sentinels a Decoder wraps: the calling package's own.
type Errors struct {
	Truncated error // the stub ends before a field does
	Malformed error // counts or pointers that cannot be valid NDR
}

// Decoder reads NDR from a stub.
type Decoder struct {
	b    []byte
	off  int
	err  error
	errs Errors
}

// NewDecoder reads stub, failing with errs' sentinels.
func NewDecoder(stub []byte, errs Errors) *Decoder { return &Decoder{b: stub, errs: errs} }

// Err is the first failure, or nil.
func (d *Decoder) Err() error { return d.err }

// Fail records err unless an earlier failure is recorded.
func (d *Decoder) Fail(err error) {
	if d.err == nil {
		d.err = err
	}
}

// Malformed records a malformed-stub failure.
func (d *Decoder) Malformed(format string, args ...any) {
	d.Fail(fmt.Errorf("%w: "+format, append([]any{d.errs.Malformed}, args...)...))
}

func (d *Decoder) truncated(what string, need, have int) {
	d.Fail(fmt.Errorf("%w: %s needs %d bytes, have %d", d.errs.Truncated, what, need, have))
}

// Need reports whether n more bytes are there, recording a truncation when not.
func (d *Decoder) Need(what string, n int) bool {
	if d.err != nil {
		return false
	}
	if n < 0 || n > len(d.b)-d.off {
		d.truncated(what, n, len(d.b)-d.off)
		return false
	}
	return true
}

// Align skips padding. Its content is not checked: impacket pads with 0xbf and 0xab,
// Windows with whatever was in the buffer.
func (d *Decoder) Align(n int) {
	pad := (n - d.off%n) % n
	if d.Need("alignment padding", pad) {
		d.off += pad
	}
}

// U16 reads an aligned uint16.
func (d *Decoder) U16(what string) uint16 {
	d.Align(2)
	if !d.Need(what, 2) {
		return 0
	}
	v := binary.LittleEndian.Uint16(d.b[d.off:])
	d.off += 2
	return v
}

// U32 reads an aligned uint32.
func (d *Decoder) U32(what string) uint32 {
	d.Align(4)
	if !d.Need(what, 4) {
		return 0
	}
	v := binary.LittleEndian.Uint32(d.b[d.off:])
	d.off += 4
	return v
}

// Bytes returns a copy of the next n bytes.
func (d *Decoder) Bytes(what string, n int) []byte {
	if !d.Need(what, n) {
		return nil
	}
	out := append([]byte{}, d.b[d.off:d.off+n]...)
	d.off += n
	return out
}

// WChars reads n UTF-16LE code units, bounded by the stub before anything is allocated.
func (d *Decoder) WChars(what string, n uint32) []uint16 {
	if d.err != nil {
		return nil
	}
	if uint64(n)*2 > uint64(len(d.b)-d.off) {
		d.truncated(what, int(min(uint64(n)*2, 1<<31)), len(d.b)-d.off)
		return nil
	}
	u := make([]uint16, n)
	for i := range u {
		u[i] = binary.LittleEndian.Uint16(d.b[d.off+2*i:])
	}
	d.off += int(n) * 2
	return u
}

// Varying reads the MaxCount, Offset and ActualCount of a conformant varying array and
// returns ActualCount; Offset must be 0 and ActualCount at most MaxCount.
func (d *Decoder) Varying(what string) uint32 {
	maxCount := d.U32(what + " MaxCount")
	offset := d.U32(what + " Offset")
	actual := d.U32(what + " ActualCount")
	if d.err == nil && (offset != 0 || actual > maxCount) {
		d.Malformed("%s: MaxCount %d, Offset %d, ActualCount %d", what, maxCount, offset, actual)
		return 0
	}
	return actual
}

// WStringZ reads a conformant varying [string] wchar_t array. The value is what a C server
// would see: the characters up to the first NUL (a missing NUL is tolerated).
func (d *Decoder) WStringZ(what string) string {
	n := d.Varying(what)
	if d.err != nil {
		return ""
	}
	return UTF16String(d.WChars(what, n))
}

// ConformantBytes reads a conformant byte array.
func (d *Decoder) ConformantBytes(what string) []byte {
	return d.counted(what, d.U32(what+" MaxCount"))
}

// VaryingBytes reads a conformant varying byte array: the ActualCount bytes transmitted.
func (d *Decoder) VaryingBytes(what string) []byte {
	return d.counted(what, d.Varying(what))
}

// counted reads n bytes, n a count off the wire: bounded by the stub before anything is
// allocated, and reported capped so a hostile 4 GiB count reads the same on every platform.
func (d *Decoder) counted(what string, n uint32) []byte {
	if d.err != nil {
		return nil
	}
	if uint64(n) > uint64(len(d.b)-d.off) {
		d.truncated(what, int(min(uint64(n), 1<<31)), len(d.b)-d.off)
		return nil
	}
	return d.Bytes(what, int(n))
}

// ContextHandle reads a context handle.
func (d *Decoder) ContextHandle(what string) [ContextHandleSize]byte {
	var h [ContextHandleSize]byte
	d.Align(4)
	copy(h[:], d.Bytes(what, len(h)))
	return h
}

// Remaining is the number of bytes not read yet.
func (d *Decoder) Remaining() int { return len(d.b) - d.off }

// UTF16String converts UTF-16 code units up to the first NUL; unpaired surrogates become
// U+FFFD.
func UTF16String(u []uint16) string {
	for i, c := range u {
		if c == 0 {
			u = u[:i]
			break
		}
	}
	return string(utf16.Decode(u))
}
