// Package ntlmssp encodes and decodes the NTLM authentication messages of
// MS-NLMP (NEGOTIATE, CHALLENGE, AUTHENTICATE) and implements the NTLMv2
// arithmetic for both directions: a client building anonymous or NTLMv2
// AUTHENTICATE messages, and a lab server issuing CHALLENGEs and verifying
// NTLMv2 responses.
//
// Decoders never trust a wire length: every payload field (Len, MaxLen,
// BufferOffset) is checked against the message before it is sliced, and all
// errors wrap ErrTruncated or ErrMalformed.
package ntlmssp

import "errors"

var (
	// ErrTruncated means the message ends before a structure it announces.
	ErrTruncated = errors.New("ntlmssp: truncated")
	// ErrMalformed means the bytes cannot be an NTLMSSP message of the expected kind.
	ErrMalformed = errors.New("ntlmssp: malformed")
	// ErrLogonFailure means an AUTHENTICATE does not prove knowledge of the account's password.
	ErrLogonFailure = errors.New("ntlmssp: logon failure")
	// ErrAnonymous means an AUTHENTICATE is an anonymous (null session) logon.
	ErrAnonymous = errors.New("ntlmssp: anonymous authenticate")
	// ErrUnsupported means a valid but unsupported variant, e.g. an NTLMv1 response.
	ErrUnsupported = errors.New("ntlmssp: unsupported")
	// ErrNoMIC means the AUTHENTICATE has no MIC field to verify.
	ErrNoMIC = errors.New("ntlmssp: no MIC")
)
