package samr

import (
	"errors"
	"fmt"
)

// Sentinel errors; decoders wrap them with the field that failed.
var (
	// ErrTruncated: the stub ends before a field does.
	ErrTruncated = errors.New("samr: truncated stub")
	// ErrMalformed: counts, lengths or pointers that cannot be valid NDR.
	ErrMalformed = errors.New("samr: malformed stub")
	// ErrUnsupportedClass: a domain information class this package does not marshal.
	ErrUnsupportedClass = errors.New("samr: unsupported information class")
	// ErrUnknownOpnum: DecodeRequest was given an opnum this package does not know.
	ErrUnknownOpnum = errors.New("samr: unknown opnum")
	// ErrInvalidString: a string cannot be marshalled (a NUL, or longer than 32767 characters).
	ErrInvalidString = errors.New("samr: string cannot be marshalled")
)

func truncated(what string, need, have int) error {
	return fmt.Errorf("%w: %s needs %d bytes, have %d", ErrTruncated, what, need, have)
}
