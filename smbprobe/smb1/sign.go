package smb1

import (
	"crypto/md5"
	"crypto/subtle"
	"fmt"
)

// signatureOffset is where SecuritySignature sits in the header.
const signatureOffset = 14

// signature computes the MS-CIFS 3.1.4.1 MAC: the first 8 bytes of
// MD5(MACKey || message), where the message's signature field holds the sequence number
// (uint32 LE) followed by four zero bytes. msg is not modified.
func signature(msg, key []byte, seq uint32) [8]byte {
	h := md5.New()
	h.Write(key)
	h.Write(msg[:signatureOffset])
	var field [8]byte
	le.PutUint32(field[0:4], seq)
	h.Write(field[:])
	h.Write(msg[signatureOffset+8:])
	var sig [8]byte
	copy(sig[:], h.Sum(nil))
	return sig
}

// Sign writes the signature of msg (an encoded SMB1 message, no NetBIOS header) in place.
// key is the MAC key: the NTLMSSP session key, or session key || NT response for NTLMv1
// without extended security. seq is this message's sequence number; the client and server
// each count every message of the session, a request and its response taking n and n+1.
func Sign(msg, key []byte, seq uint32) error {
	if len(msg) < HeaderLen {
		return fmt.Errorf("%w: sign: %d-byte message", ErrTruncated, len(msg))
	}
	sig := signature(msg, key, seq)
	copy(msg[signatureOffset:signatureOffset+8], sig[:])
	return nil
}

// Verify reports whether msg carries the right signature for key and seq. msg is not
// modified.
func Verify(msg, key []byte, seq uint32) bool {
	if len(msg) < HeaderLen {
		return false
	}
	sig := signature(msg, key, seq)
	return subtle.ConstantTimeCompare(sig[:], msg[signatureOffset:signatureOffset+8]) == 1
}
