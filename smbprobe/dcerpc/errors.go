package dcerpc

import (
	"errors"
	"fmt"
)

// Sentinel errors. Decoders wrap them with context; callers test with errors.Is.
var (
	// ErrTruncated: the buffer ends before the PDU (or a field of it) does. When framing a byte
	// stream, read more and try again.
	ErrTruncated = errors.New("dcerpc: truncated PDU")
	// ErrMalformed: the bytes cannot be a valid PDU (bad version, impossible lengths, counts that
	// do not fit).
	ErrMalformed = errors.New("dcerpc: malformed PDU")
	// ErrUnsupported: a valid PDU this package does not speak (big-endian or non-ASCII drep).
	ErrUnsupported = errors.New("dcerpc: unsupported PDU")
	// ErrUnexpectedType: the PDU's ptype is not the one the caller asked to decode.
	ErrUnexpectedType = errors.New("dcerpc: unexpected packet type")
	// ErrCallIDMismatch: a reply carries a call_id other than the one of the outstanding call.
	ErrCallIDMismatch = errors.New("dcerpc: call_id mismatch")
	// ErrFragmentOrder: fragments arrived without PFC_FIRST_FRAG first, or after PFC_LAST_FRAG.
	ErrFragmentOrder = errors.New("dcerpc: fragment out of order")
	// ErrTooLarge: a reassembled stub or an encoded field exceeds its bound.
	ErrTooLarge = errors.New("dcerpc: too large")
	// ErrFault: the server answered with a fault PDU; the error is a *FaultError.
	ErrFault = errors.New("dcerpc: fault")
)

// FaultError reports a fault PDU (or a response flagged PFC_DID_NOT_EXECUTE) in place of a
// result. It matches ErrFault under errors.Is.
type FaultError struct {
	CallID uint32
	Status FaultStatus
	// DidNotExecute mirrors PFC_DID_NOT_EXECUTE: the server guarantees the call was not run.
	DidNotExecute bool
}

// Error names the fault status and the call.
func (e *FaultError) Error() string {
	s := fmt.Sprintf("dcerpc: fault %s on call %d", e.Status, e.CallID)
	if e.DidNotExecute {
		s += " (did not execute)"
	}
	return s
}

// Unwrap lets errors.Is(err, ErrFault) match.
func (e *FaultError) Unwrap() error { return ErrFault }

func truncated(what string, need, have int) error {
	return fmt.Errorf("%w: %s needs %d bytes, have %d", ErrTruncated, what, need, have)
}

func malformed(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrMalformed}, args...)...)
}
