package winreg

import (
	"errors"
	"fmt"
)

// Sentinel errors; decoders and encoders wrap them with the field that failed.
var (
	// ErrTruncated: the stub ends before a field does.
	ErrTruncated = errors.New("winreg: truncated stub")
	// ErrMalformed: counts, pointers or lengths that cannot be valid NDR for MS-RRP.
	ErrMalformed = errors.New("winreg: malformed stub")
	// ErrInvalidString: a name cannot be marshalled (it contains a NUL or is too long).
	ErrInvalidString = errors.New("winreg: invalid name")
	// ErrWriteAccess: an access mask asks for more than reading (see ReadOnlyAccess).
	ErrWriteAccess = errors.New("winreg: access mask is not read-only")
)

func malformed(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrMalformed}, args...)...)
}
