package srvsvc

import (
	"fmt"
	"strings"

	"github.com/scan445/scan445/smbprobe/internal/ndr"
)

// encoder is package ndr's with srvsvc's [string] rule: a string holding a NUL cannot be
// marshalled (the server would see only its first part).
type encoder struct{ *ndr.Encoder }

func newEncoder() encoder { return encoder{ndr.NewEncoder()} }

// wstring writes a conformant varying [string] wchar_t array (see ndr.Encoder.WStringZ).
func (e encoder) wstring(s string) error {
	if strings.IndexByte(s, 0) >= 0 {
		return fmt.Errorf("%w: %q", ErrInvalidString, s)
	}
	e.WStringZ(s)
	return nil
}

// uniqueWString writes a top-level [unique, string] parameter: referent id, then the string
// right away (top-level pointees are not deferred).
func (e encoder) uniqueWString(s *string) error {
	e.Pointer(s != nil)
	if s == nil {
		return nil
	}
	return e.wstring(*s)
}

// conformantWChars writes a conformant WCHAR array: MaxCount, then the characters.
func (e encoder) conformantWChars(u []uint16) {
	e.U32(uint32(len(u))) // MaxCount
	for _, c := range u {
		e.B = append(e.B, byte(c), byte(c>>8))
	}
}

// decoder is package ndr's failing with this package's sentinels.
type decoder struct{ *ndr.Decoder }

func newDecoder(stub []byte) decoder {
	return decoder{ndr.NewDecoder(stub, ndr.Errors{Truncated: ErrTruncated, Malformed: ErrMalformed})}
}

// uniqueWString reads a top-level [unique, string] parameter; NULL gives nil.
func (d decoder) uniqueWString(what string) *string {
	if ref := d.U32(what + " referent"); ref == 0 || d.Err() != nil {
		return nil
	}
	s := d.WStringZ(what)
	return &s
}

func (d decoder) conformantWChars(what string) []uint16 {
	n := d.U32(what + " MaxCount")
	if d.Err() != nil {
		return nil
	}
	return d.WChars(what, n)
}
