package ntlmssp

import (
	"crypto/rand"
	"encoding/binary"
	"fmt"
	"io"
	"time"
)

// targetTypeFlags describe the server and are not echoed by clients.
const targetTypeFlags = FlagTargetTypeDomain | FlagTargetTypeServer | 0x00040000 // + NTLMSSP_TARGET_TYPE_SHARE (r)

// NewAnonymousAuthenticate answers chal with a null-session AUTHENTICATE: no
// user, no NT response, and an LM response of Z(1) as Windows and impacket
// send it (Samba 4.17 accepts it); emptyLM sends a zero-length LM response
// instead. No session key is exchanged, so FlagKeyExchange is dropped.
func NewAnonymousAuthenticate(chal *Challenge, emptyLM bool) *Authenticate {
	m := &Authenticate{
		Flags: (chal.Flags&^targetTypeFlags&^FlagKeyExchange | FlagAnonymous) &^ FlagVersion,
	}
	if !emptyLM {
		m.LmChallengeResponse = []byte{0}
	}
	return m
}

// Credentials identify an account for NTLMv2. Hash is the NT hash, from
// NTHash(password) or ParseNTHash for pass-the-hash.
type Credentials struct {
	User        string
	Domain      string
	Workstation string
	Hash        [16]byte
}

// AuthOptions are the environment of a client logon; zero values use the
// system's randomness and clock.
type AuthOptions struct {
	Rand io.Reader        // client challenge and random session key
	Now  func() time.Time // TimeStamp when the CHALLENGE has no MsvAvTimestamp
	// Version, when non-nil, is advertised in the AUTHENTICATE with FlagVersion.
	Version *Version
}

// ClientResult is a built AUTHENTICATE and the keys it establishes.
type ClientResult struct {
	Message            []byte // wire bytes of the AUTHENTICATE
	Authenticate       *Authenticate
	SessionBaseKey     [16]byte
	ExportedSessionKey [16]byte // the key SMB signing derives from
}

// NewAuthenticateNTLMv2 answers the raw CHALLENGE with an NTLMv2
// AUTHENTICATE. negotiate is the raw NEGOTIATE this client sent; it is needed
// for the MIC, which is computed when the server's target info carries a
// timestamp (MS-NLMP 3.1.5.1.2), in which case the LM response is Z(24).
func NewAuthenticateNTLMv2(cred Credentials, negotiate, challenge []byte, opt AuthOptions) (*ClientResult, error) {
	chal, err := DecodeChallenge(challenge)
	if err != nil {
		return nil, err
	}
	pairs, err := chal.AvPairs()
	if err != nil {
		return nil, err
	}
	rnd := opt.Rand
	if rnd == nil {
		rnd = rand.Reader
	}
	now := opt.Now
	if now == nil {
		now = time.Now
	}
	var cc [8]byte
	if _, err := io.ReadFull(rnd, cc[:]); err != nil {
		return nil, fmt.Errorf("ntlmssp: client challenge: %w", err)
	}
	ts, _, withMIC := pairs.Timestamp()
	if withMIC {
		f, _ := pairs.Flags()
		pairs = pairs.Set(AvFlags, AvFlagsPair(f|AvFlagMICPresent).Value)
	} else {
		ts = TimeToFileTime(now())
	}
	key := NTOWFv2(cred.Hash, cred.User, cred.Domain)
	v2 := ComputeNTLMv2(key, chal.ServerChallenge, ClientChallengeBlob(ts, cc, pairs.Encode()))

	flags := chal.Flags &^ targetTypeFlags &^ FlagVersion
	m := &Authenticate{
		Flags:               flags,
		LmChallengeResponse: v2.LmResponse,
		NtChallengeResponse: v2.NtResponse,
		DomainName:          cred.Domain,
		UserName:            cred.User,
		Workstation:         cred.Workstation,
	}
	if opt.Version != nil {
		m.Flags |= FlagVersion
		m.Version = *opt.Version
	}
	res := &ClientResult{Authenticate: m, SessionBaseKey: v2.SessionBaseKey, ExportedSessionKey: v2.SessionBaseKey}
	// For NTLMv2 the KeyExchangeKey is the SessionBaseKey (MS-NLMP 3.4.5.1).
	if flags&FlagKeyExchange != 0 {
		if _, err := io.ReadFull(rnd, res.ExportedSessionKey[:]); err != nil {
			return nil, fmt.Errorf("ntlmssp: session key: %w", err)
		}
		m.EncryptedRandomSessionKey = EncryptSessionKey(v2.SessionBaseKey, res.ExportedSessionKey)
	}
	if withMIC {
		m.LmChallengeResponse = make([]byte, 24)
		m.MIC = make([]byte, micSize)
		raw := m.Encode()
		mic, err := ComputeMIC(res.ExportedSessionKey, negotiate, challenge, raw)
		if err != nil {
			return nil, err
		}
		copy(raw[micOffset:], mic[:])
		m.MIC = mic[:]
		res.Message = raw
	} else {
		res.Message = m.Encode()
	}
	return res, nil
}

// DecodeNTLMv2Response splits an NTLMv2 NtChallengeResponse into NTProofStr
// and the client challenge blob, and decodes the blob's timestamp, client
// challenge and AV pairs.
func DecodeNTLMv2Response(nt []byte) (*NTLMv2Response, error) {
	const fixed = 16 + 28
	if len(nt) < fixed {
		if len(nt) == 24 {
			return nil, fmt.Errorf("%w: 24-byte NTLMv1 response", ErrUnsupported)
		}
		return nil, fmt.Errorf("%w: NTLMv2 response of %d bytes", ErrTruncated, len(nt))
	}
	r := &NTLMv2Response{
		RespType:   nt[16],
		HiRespType: nt[17],
		TimeStamp:  binary.LittleEndian.Uint64(nt[24:32]),
		Blob:       nt[16:],
	}
	copy(r.NTProofStr[:], nt[:16])
	copy(r.ClientChallenge[:], nt[32:40])
	var err error
	r.AvPairs, err = DecodeAvPairs(nt[fixed:])
	return r, err
}

// NTLMv2Response is a decoded NTLMv2_RESPONSE.
type NTLMv2Response struct {
	NTProofStr      [16]byte
	RespType        uint8
	HiRespType      uint8
	TimeStamp       uint64 // FILETIME
	ClientChallenge [8]byte
	AvPairs         AvPairs
	Blob            []byte // NTLMv2_CLIENT_CHALLENGE as sent, the HMAC input
}
