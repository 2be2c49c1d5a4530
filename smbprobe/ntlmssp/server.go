package ntlmssp

import (
	"crypto/hmac"
	"fmt"
	"strings"
	"time"
)

// ServerInfo describes the machine a lab server impersonates in its CHALLENGE.
type ServerInfo struct {
	NetBIOSComputer string // MsvAvNbComputerName
	NetBIOSDomain   string // MsvAvNbDomainName (the workgroup or the computer name on a standalone host)
	DNSComputer     string // MsvAvDnsComputerName
	DNSDomain       string // MsvAvDnsDomainName
	DNSTree         string // MsvAvDnsTreeName, sent only when non-empty (domain members)
	// DomainJoined makes the target a domain: TargetName becomes the NetBIOS
	// domain and NTLMSSP_TARGET_TYPE_DOMAIN is set instead of _SERVER.
	DomainJoined bool
	// AvFlags, when non-zero, is sent as MsvAvFlags (XP's capture carries 1).
	AvFlags uint32
	Version Version // zero: no VERSION (pre-XP-SP2 style)
	// Timestamp is MsvAvTimestamp; zero omits it, as XP and Server 2003 do.
	// Clients send a MIC only when it is present.
	Timestamp time.Time
}

// echoedFlags are the client's requests a Windows server grants as asked.
const echoedFlags = FlagUnicode | FlagRequestTarget | FlagSign | FlagSeal | FlagNTLM |
	FlagAlwaysSign | FlagExtendedSessionSecurity | FlagIdentify | Flag128 | FlagKeyExchange | Flag56

// NewChallenge builds the CHALLENGE a Windows server would send for neg
// (nil means a client asking for the defaults). The flag arithmetic and AV
// pair order (domain, computer, DNS domain, DNS computer, tree, timestamp)
// reproduce XP, 8.1, 2016 and Samba captures byte for byte.
func NewChallenge(neg *Negotiate, info ServerInfo, serverChallenge [8]byte) *Challenge {
	req := DefaultClientFlags
	if neg != nil {
		req = neg.Flags
	}
	flags := req&echoedFlags | FlagNTLM | FlagTargetInfo
	if req&FlagUnicode == 0 {
		flags |= FlagOEM
	}
	name := info.NetBIOSComputer
	if info.DomainJoined {
		flags |= FlagTargetTypeDomain
		name = info.NetBIOSDomain
	} else {
		flags |= FlagTargetTypeServer
	}
	if !info.Version.IsZero() {
		flags |= FlagVersion
	}
	pairs := AvPairs{
		AvString(AvNbDomainName, info.NetBIOSDomain),
		AvString(AvNbComputerName, info.NetBIOSComputer),
		AvString(AvDNSDomainName, info.DNSDomain),
		AvString(AvDNSComputerName, info.DNSComputer),
	}
	if info.DNSTree != "" {
		pairs = append(pairs, AvString(AvDNSTreeName, info.DNSTree))
	}
	if info.AvFlags != 0 {
		pairs = append(pairs, AvFlagsPair(info.AvFlags))
	}
	if !info.Timestamp.IsZero() {
		pairs = append(pairs, AvFileTime(TimeToFileTime(info.Timestamp)))
	}
	return &Challenge{
		Flags:           flags,
		TargetName:      name,
		ServerChallenge: serverChallenge,
		TargetInfo:      pairs.Encode(),
		Version:         info.Version,
	}
}

// domainCandidates lists the domains clients may have hashed, without repeats.
func domainCandidates(auth *Authenticate, acct Account) []string {
	out := []string{auth.DomainName}
	for _, d := range []string{acct.Domain, ""} {
		if d != out[0] && (len(out) == 1 || d != out[1]) {
			out = append(out, d)
		}
	}
	return out
}

// verifyLMv2 accepts a bare LMv2 response (HMAC || client challenge), which
// nmap 7.93 sends with a short NT response; its session base key is
// HMAC(ResponseKeyLM, proof).
func verifyLMv2(auth *Authenticate, serverChallenge [8]byte, acct Account) *VerifyResult {
	lm := auth.LmChallengeResponse
	if len(lm) != 24 {
		return nil
	}
	for _, dom := range domainCandidates(auth, acct) {
		key := NTOWFv2(acct.Hash, auth.UserName, dom)
		proof := hmacMD5(key[:], serverChallenge[:], lm[16:24])
		if hmac.Equal(proof[:], lm[:16]) {
			r := &VerifyResult{User: auth.UserName, Domain: auth.DomainName}
			r.SessionBaseKey = hmacMD5(key[:], proof[:])
			r.ExportedSessionKey = r.SessionBaseKey
			if auth.Flags&FlagKeyExchange != 0 && len(auth.EncryptedRandomSessionKey) == 16 {
				r.ExportedSessionKey, _ = DecryptSessionKey(r.SessionBaseKey, auth.EncryptedRandomSessionKey)
			}
			return r
		}
	}
	return nil
}

// Account is a local account a lab server accepts.
type Account struct {
	User   string
	Domain string
	Hash   [16]byte // NTHash(password)
}

// VerifyResult is a successful NTLMv2 logon.
type VerifyResult struct {
	User, Domain       string // as the client sent them
	SessionBaseKey     [16]byte
	ExportedSessionKey [16]byte
	// MICRequired is set when the client's AV pairs announce a MIC; the
	// server should then call VerifyMIC with ExportedSessionKey.
	MICRequired bool
}

// VerifyNTLMv2 checks auth's NTLMv2 response against acct for the server
// challenge that was sent. Anonymous messages return ErrAnonymous (callers
// decide whether null sessions are allowed); NTLMv1 returns ErrUnsupported.
// Like Windows, it tries the domain the client typed, then the account's
// domain, then none, since clients disagree on which they hash.
func VerifyNTLMv2(auth *Authenticate, serverChallenge [8]byte, acct Account) (*VerifyResult, error) {
	if auth.IsAnonymous() {
		return nil, ErrAnonymous
	}
	if !strings.EqualFold(auth.UserName, acct.User) {
		return nil, fmt.Errorf("%w: unknown user %q", ErrLogonFailure, auth.UserName)
	}
	resp, err := DecodeNTLMv2Response(auth.NtChallengeResponse)
	if resp == nil {
		if r := verifyLMv2(auth, serverChallenge, acct); r != nil {
			return r, nil
		}
		return nil, err
	}
	for _, dom := range domainCandidates(auth, acct) {
		key := NTOWFv2(acct.Hash, auth.UserName, dom)
		proof := hmacMD5(key[:], serverChallenge[:], resp.Blob)
		if !hmac.Equal(proof[:], resp.NTProofStr[:]) {
			continue
		}
		r := &VerifyResult{User: auth.UserName, Domain: auth.DomainName}
		r.SessionBaseKey = hmacMD5(key[:], proof[:])
		r.ExportedSessionKey = r.SessionBaseKey
		if auth.Flags&FlagKeyExchange != 0 && len(auth.EncryptedRandomSessionKey) != 0 {
			if r.ExportedSessionKey, err = DecryptSessionKey(r.SessionBaseKey, auth.EncryptedRandomSessionKey); err != nil {
				return nil, err
			}
		}
		f, _ := resp.AvPairs.Flags()
		r.MICRequired = f&AvFlagMICPresent != 0
		return r, nil
	}
	return nil, fmt.Errorf("%w: NTProofStr mismatch for %q", ErrLogonFailure, auth.UserName)
}

// AnonymousExportedSessionKey returns the ExportedSessionKey of an anonymous
// logon: its SessionBaseKey is Z(16), and Windows clients still wrap a random
// key with it and sign the exchange with a MIC (verified against a captured
// Windows 10 null session).
func AnonymousExportedSessionKey(auth *Authenticate) ([16]byte, error) {
	var zero [16]byte
	if auth.Flags&FlagKeyExchange == 0 || len(auth.EncryptedRandomSessionKey) == 0 {
		return zero, nil
	}
	return DecryptSessionKey(zero, auth.EncryptedRandomSessionKey)
}
