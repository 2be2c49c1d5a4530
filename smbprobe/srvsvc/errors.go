package srvsvc

import "errors"

// Sentinel errors; decoders wrap them with the field that failed.
var (
	// ErrTruncated: the stub ends before a field does.
	ErrTruncated = errors.New("srvsvc: truncated stub")
	// ErrMalformed: counts or pointers that cannot be valid NDR.
	ErrMalformed = errors.New("srvsvc: malformed stub")
	// ErrInvalidString: a string cannot be marshalled as [string] (it contains a NUL).
	ErrInvalidString = errors.New("srvsvc: string contains NUL")
	// ErrUnsupportedLevel: an info level this package does not marshal.
	ErrUnsupportedLevel = errors.New("srvsvc: unsupported info level")
	// ErrUnknownOpnum: DecodeRequest was given an opnum this package does not know.
	ErrUnknownOpnum = errors.New("srvsvc: unknown opnum")
)
