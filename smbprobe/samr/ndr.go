package samr

import (
	"fmt"
	"strings"

	"github.com/scan445/scan445/smbprobe/internal/ndr"
	"github.com/scan445/scan445/smbprobe/internal/utf16le"
)

// maxStringChars bounds an RPC_UNICODE_STRING: Length is a USHORT of bytes.
const maxStringChars = 0x7FFF

// encoder is package ndr's with the MS-SAMR types: context handles, OLD_LARGE_INTEGER,
// RPC_UNICODE_STRING and RPC_SID.
type encoder struct{ *ndr.Encoder }

func newEncoder() encoder { return encoder{ndr.NewEncoder()} }

func (e encoder) handle(h Handle) { e.ContextHandle(h) }

// oldLargeInteger writes OLD_LARGE_INTEGER: LowPart, then HighPart (4-aligned, unlike hyper).
func (e encoder) oldLargeInteger(v int64) {
	e.U32(uint32(v))
	e.U32(uint32(v >> 32))
}

// unicodeStringHeader writes RPC_UNICODE_STRING's Length, MaximumLength and Buffer referent;
// the characters follow later (deferred, or right after for a top-level pointee). MS-SAMR
// counts no terminating NUL.
func (e encoder) unicodeStringHeader(s string) { e.UnicodeStringHeader(utf16le.Encode(s)) }

// unicodeStringBody writes the deferred Buffer of an RPC_UNICODE_STRING: size_is(MaximumLength/2),
// length_is(Length/2), no terminating NUL.
func (e encoder) unicodeStringBody(s string) { e.UnicodeStringBody(utf16le.Encode(s)) }

// sid writes RPC_SID as a conformant structure: MaxCount (SubAuthorityCount), then the fields.
func (e encoder) sid(s SID) {
	e.U32(uint32(len(s.SubAuthorities))) // MaxCount
	e.B = append(e.B, s.Revision, byte(len(s.SubAuthorities)))
	e.B = append(e.B, s.Authority[:]...)
	for _, a := range s.SubAuthorities {
		e.U32(a)
	}
}

func checkString(s string) error {
	if strings.IndexByte(s, 0) >= 0 || len(utf16le.Encode(s))/2 > maxStringChars {
		return fmt.Errorf("%w: %q", ErrInvalidString, s)
	}
	return nil
}

// decoder is package ndr's with the MS-SAMR types, failing with this package's sentinels.
type decoder struct{ *ndr.Decoder }

func newDecoder(stub []byte) decoder {
	return decoder{ndr.NewDecoder(stub, ndr.Errors{Truncated: ErrTruncated, Malformed: ErrMalformed})}
}

func (d decoder) handle(what string) Handle { return d.ContextHandle(what) }

func (d decoder) oldLargeInteger(what string) int64 {
	lo := d.U32(what + " LowPart")
	hi := d.U32(what + " HighPart")
	return int64(uint64(hi)<<32 | uint64(lo))
}

// unicodeStringHeader reads RPC_UNICODE_STRING's fixed part: Length, MaximumLength, referent.
func (d decoder) unicodeStringHeader(what string) (length uint16, present bool) {
	length = d.U16(what + " Length")
	maxLength := d.U16(what + " MaximumLength")
	ref := d.U32(what + " Buffer referent")
	if d.Err() == nil && (length > maxLength || length%2 != 0) {
		d.Malformed("%s: Length %d, MaximumLength %d", what, length, maxLength)
	}
	return length, ref != 0
}

// unicodeStringBody reads the deferred Buffer; its ActualCount must match Length.
func (d decoder) unicodeStringBody(what string, length uint16) string {
	n := d.Varying(what)
	if d.Err() == nil && n*2 != uint32(length) {
		d.Malformed("%s: ActualCount %d for Length %d", what, n, length)
	}
	return ndr.UTF16String(d.WChars(what, n))
}

// maxSubAuthorities is SID_MAX_SUB_AUTHORITIES.
const maxSubAuthorities = 15

func (d decoder) sid(what string) SID {
	n := d.U32(what + " MaxCount")
	if d.Err() != nil {
		return SID{}
	}
	if n > maxSubAuthorities {
		d.Malformed("%s: %d sub-authorities", what, n)
		return SID{}
	}
	h := d.Bytes(what, 8)
	if d.Err() != nil {
		return SID{}
	}
	s := SID{Revision: h[0]}
	if uint32(h[1]) != n {
		d.Malformed("%s: SubAuthorityCount %d, MaxCount %d", what, h[1], n)
		return SID{}
	}
	copy(s.Authority[:], h[2:8])
	s.SubAuthorities = make([]uint32, n)
	for i := range s.SubAuthorities {
		s.SubAuthorities[i] = d.U32(what + " SubAuthority")
	}
	return s
}

// finish returns v, or the first error with the call named. Trailing bytes are tolerated:
// the stub may end in padding a server or a verifier added.
func finish[T any](v T, d decoder, what string) (T, error) {
	if err := d.Err(); err != nil {
		var zero T
		return zero, fmt.Errorf("%s: %w", what, err)
	}
	return v, nil
}
