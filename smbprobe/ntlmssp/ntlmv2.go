package ntlmssp

import (
	"crypto/hmac"
	"crypto/md5"
	"crypto/rc4"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"github.com/scan445/scan445/smbprobe/internal/utf16le"
	"strings"

	"golang.org/x/crypto/md4"
)

// NTHash is NTOWFv1 (MS-NLMP 3.3.1): MD4 of the UTF-16LE password. It is what
// pass-the-hash tools call the "NT hash".
func NTHash(password string) [16]byte {
	h := md4.New()
	h.Write(utf16le.Encode(password))
	var out [16]byte
	h.Sum(out[:0])
	return out
}

// ParseNTHash accepts an NT hash as 32 hex digits or in the "LM:NT" form
// printed by secretsdump and accepted by --ntlm-hash style flags.
func ParseNTHash(s string) ([16]byte, error) {
	var out [16]byte
	if i := strings.LastIndexByte(s, ':'); i >= 0 {
		s = s[i+1:]
	}
	if len(s) != 32 {
		return out, fmt.Errorf("%w: NT hash must be 32 hex digits, got %d characters", ErrMalformed, len(s))
	}
	if _, err := hex.Decode(out[:], []byte(s)); err != nil {
		return out, fmt.Errorf("%w: NT hash: %v", ErrMalformed, err)
	}
	return out, nil
}

func hmacMD5(key []byte, parts ...[]byte) [16]byte {
	h := hmac.New(md5.New, key)
	for _, p := range parts {
		h.Write(p)
	}
	var out [16]byte
	h.Sum(out[:0])
	return out
}

// NTOWFv2 (MS-NLMP 3.3.2) keys HMAC-MD5 with the NT hash over the upper-cased
// user name and the domain as typed; it is both ResponseKeyNT and ResponseKeyLM.
func NTOWFv2(ntHash [16]byte, user, domain string) [16]byte {
	return hmacMD5(ntHash[:], utf16le.Encode(strings.ToUpper(user)+domain))
}

// ClientChallengeBlob builds the NTLMv2_CLIENT_CHALLENGE ("temp" in MS-NLMP
// 3.3.2): RespType, HiRespType, reserved, TimeStamp, ChallengeFromClient,
// reserved, the AV pairs, and a trailing Z(4).
func ClientChallengeBlob(timestamp uint64, clientChallenge [8]byte, avPairs []byte) []byte {
	b := make([]byte, 28, 28+len(avPairs)+4)
	b[0] = 1                                          // RespType
	b[1] = 1                                          // HiRespType
	binary.LittleEndian.PutUint64(b[8:16], timestamp) // TimeStamp; Reserved1/Reserved2 zero
	copy(b[16:24], clientChallenge[:])                // ChallengeFromClient; Reserved3 zero
	b = append(b, avPairs...)                         // AvPairs
	return append(b, 0, 0, 0, 0)                      // Z(4) after the list, as MS-NLMP 3.3.2 appends it
}

// NTLMv2 holds the outputs of the NTLMv2 computation for one logon.
type NTLMv2 struct {
	NTProofStr     [16]byte
	NtResponse     []byte // NTProofStr || temp
	LmResponse     []byte // LMv2: HMAC(ResponseKeyLM, SC || CC) || CC
	SessionBaseKey [16]byte
}

// ComputeNTLMv2 runs the client side of MS-NLMP 3.3.2 for a response key
// from NTOWFv2 and a client challenge blob from ClientChallengeBlob.
func ComputeNTLMv2(responseKey [16]byte, serverChallenge [8]byte, blob []byte) NTLMv2 {
	var r NTLMv2
	r.NTProofStr = hmacMD5(responseKey[:], serverChallenge[:], blob)
	r.NtResponse = append(append(make([]byte, 0, 16+len(blob)), r.NTProofStr[:]...), blob...)
	var cc []byte
	if len(blob) >= 24 {
		cc = blob[16:24]
	}
	lm := hmacMD5(responseKey[:], serverChallenge[:], cc)
	r.LmResponse = append(lm[:], cc...)
	r.SessionBaseKey = hmacMD5(responseKey[:], r.NTProofStr[:])
	return r
}

// rc4Apply is RC4(key, data), used to wrap and unwrap the random session key.
func rc4Apply(key, data []byte) []byte {
	c, err := rc4.NewCipher(key)
	if err != nil {
		panic(err) // unreachable: keys here are always 16 bytes
	}
	out := make([]byte, len(data))
	c.XORKeyStream(out, data)
	return out
}

// EncryptSessionKey is the client's key exchange: RC4(KeyExchangeKey, ExportedSessionKey).
func EncryptSessionKey(keyExchangeKey, exported [16]byte) []byte {
	return rc4Apply(keyExchangeKey[:], exported[:])
}

// DecryptSessionKey recovers ExportedSessionKey on the server under FlagKeyExchange.
func DecryptSessionKey(keyExchangeKey [16]byte, encrypted []byte) ([16]byte, error) {
	var out [16]byte
	if len(encrypted) != 16 {
		return out, fmt.Errorf("%w: EncryptedRandomSessionKey is %d bytes", ErrMalformed, len(encrypted))
	}
	copy(out[:], rc4Apply(keyExchangeKey[:], encrypted))
	return out, nil
}

// ComputeMIC is HMAC_MD5(ExportedSessionKey, NEGOTIATE || CHALLENGE ||
// AUTHENTICATE) over the raw messages, with the AUTHENTICATE's MIC field zeroed.
func ComputeMIC(exported [16]byte, negotiate, challenge, authenticate []byte) ([16]byte, error) {
	if len(authenticate) < authMICSize {
		return [16]byte{}, fmt.Errorf("%w: AUTHENTICATE of %d bytes has no MIC field", ErrNoMIC, len(authenticate))
	}
	auth := append([]byte(nil), authenticate...)
	clear(auth[micOffset : micOffset+micSize])
	return hmacMD5(exported[:], negotiate, challenge, auth), nil
}

// VerifyMIC checks the MIC of a raw AUTHENTICATE against the raw NEGOTIATE and
// CHALLENGE of the same exchange.
func VerifyMIC(exported [16]byte, negotiate, challenge, authenticate []byte) error {
	m, err := DecodeAuthenticate(authenticate)
	if err != nil {
		return err
	}
	if m.MIC == nil {
		return ErrNoMIC
	}
	want, err := ComputeMIC(exported, negotiate, challenge, authenticate)
	if err != nil {
		return err
	}
	if !hmac.Equal(want[:], m.MIC) {
		return fmt.Errorf("%w: MIC mismatch", ErrLogonFailure)
	}
	return nil
}
