package smb2

import "errors"

// Sentinel errors. Decoders wrap them with the field that failed so callers can both
// match with errors.Is and log something useful.
var (
	// ErrTruncated: the input ends before a fixed field or a length it declares.
	ErrTruncated = errors.New("smb2: truncated")
	// ErrMalformed: the input is long enough but a field holds an impossible value.
	ErrMalformed = errors.New("smb2: malformed")
	// ErrNotSMB2: the ProtocolId is not 0xFE 'S' 'M' 'B'.
	ErrNotSMB2 = errors.New("smb2: not an SMB2 message")
	// ErrUnsupportedDialect: signing was asked for a dialect this package cannot sign.
	ErrUnsupportedDialect = errors.New("smb2: unsupported dialect")
	// ErrBadSignature: Verify computed a different signature.
	ErrBadSignature = errors.New("smb2: bad signature")
)
