package smb2

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/subtle"
	"encoding/binary"
	"fmt"
	"hash"
)

// SignatureSize is the length of the header's Signature field.
const SignatureSize = 16

// KDF is the SP800-108 counter-mode KDF with HMAC-SHA256 that SMB 3.x uses (MS-SMB2
// 3.1.4.2): one iteration, L = 128 bits. label and context are passed exactly as the spec
// spells them, including their trailing NUL (e.g. "SMB2AESCMAC\x00").
func KDF(key, label, context []byte) []byte {
	h := hmac.New(sha256.New, key)
	var n [4]byte
	binary.BigEndian.PutUint32(n[:], 1)
	h.Write(n[:])      // i
	h.Write(label)     // Label
	h.Write([]byte{0}) // 0x00 separator
	h.Write(context)   // Context
	binary.BigEndian.PutUint32(n[:], 128)
	h.Write(n[:]) // L
	return h.Sum(nil)[:16]
}

// PreauthHash is the 3.1.1 pre-authentication integrity hash (SHA-512). A connection's
// starts at zero and takes the NEGOTIATE request and response; a session's starts as a
// copy of the connection's and takes every SESSION_SETUP request and every response but
// the final (SUCCESS) one.
type PreauthHash [64]byte

// Update chains msg (a whole SMB2 message, no NetBIOS header) into the hash.
func (p *PreauthHash) Update(msg []byte) {
	h := sha512.New()
	h.Write(p[:])
	h.Write(msg)
	h.Sum(p[:0])
}

// sessionKey16 is the first 16 bytes of the GSS session key, zero-padded if shorter
// (MS-SMB2 3.2.5.3.1 Session.SessionKey).
func sessionKey16(k []byte) []byte {
	out := make([]byte, 16)
	copy(out, k)
	return out
}

// SigningKey derives Session.SigningKey from the authentication's session key. preauth
// is only used (and required) for 3.1.1.
func SigningKey(sessionKey []byte, dialect Dialect, preauth *PreauthHash) ([]byte, error) {
	k := sessionKey16(sessionKey)
	switch dialect {
	case Dialect202, Dialect210:
		return k, nil
	case Dialect300, Dialect302:
		return KDF(k, []byte("SMB2AESCMAC\x00"), []byte("SmbSign\x00")), nil
	case Dialect311:
		if preauth == nil {
			return nil, fmt.Errorf("%w: 3.1.1 signing key needs the preauth hash", ErrUnsupportedDialect)
		}
		return KDF(k, []byte("SMBSigningKey\x00"), preauth[:]), nil
	}
	return nil, fmt.Errorf("%w: %v", ErrUnsupportedDialect, dialect)
}

func signer(key []byte, dialect Dialect) (hash.Hash, error) {
	switch dialect {
	case Dialect202, Dialect210:
		return hmac.New(sha256.New, key), nil
	case Dialect300, Dialect302, Dialect311:
		return NewCMAC(key)
	}
	return nil, fmt.Errorf("%w: %v", ErrUnsupportedDialect, dialect)
}

// signature computes the signature of one PDU as if its Signature field were zero,
// without touching pdu.
func signature(h hash.Hash, pdu []byte) [SignatureSize]byte {
	var zero, sig [SignatureSize]byte
	h.Reset()
	h.Write(pdu[:48])
	h.Write(zero[:])
	h.Write(pdu[HeaderSize:])
	copy(sig[:], h.Sum(nil))
	return sig
}

// Sign signs msg in place with key (from SigningKey): every PDU of a compound chain gets
// SMB2_FLAGS_SIGNED and its own signature, computed over the PDU including its padding
// (HMAC-SHA256 truncated to 16 bytes for 2.x, AES-CMAC for 3.x).
func Sign(msg, key []byte, dialect Dialect) error {
	h, err := signer(key, dialect)
	if err != nil {
		return err
	}
	pdus, err := DecodeMessage(msg)
	if err != nil {
		return err
	}
	for _, p := range pdus {
		le.PutUint32(p.Raw[16:20], le.Uint32(p.Raw[16:20])|FlagSigned) // Flags
		sig := signature(h, p.Raw)
		copy(p.Raw[48:64], sig[:]) // Signature
	}
	return nil
}

// Verify checks the signature of every PDU of msg without modifying it. A PDU without
// SMB2_FLAGS_SIGNED fails: a caller that needs signing must not accept it unsigned.
func Verify(msg, key []byte, dialect Dialect) error {
	h, err := signer(key, dialect)
	if err != nil {
		return err
	}
	pdus, err := DecodeMessage(msg)
	if err != nil {
		return err
	}
	for i, p := range pdus {
		if p.Header.Flags&FlagSigned == 0 {
			return fmt.Errorf("%w: PDU %d (%v) is not signed", ErrBadSignature, i, p.Header.Command)
		}
		sig := signature(h, p.Raw)
		if subtle.ConstantTimeCompare(sig[:], p.Header.Signature[:]) != 1 {
			return fmt.Errorf("%w: PDU %d (%v)", ErrBadSignature, i, p.Header.Command)
		}
	}
	return nil
}
