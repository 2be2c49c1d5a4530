package smbclient

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/scan445/scan445/smbprobe/dcerpc"
	"github.com/scan445/scan445/smbprobe/ntlmssp"
	"github.com/scan445/scan445/smbprobe/ntstatus"
	"github.com/scan445/scan445/smbprobe/smb1"
	"github.com/scan445/scan445/smbprobe/spnego"
)

const (
	// smb1PID is the process id in every SMB1 header; any constant works.
	smb1PID = 0xFEFF
	// ClientName is what we announce as NativeOS and NativeLanMan; servers ignore it.
	ClientName = "scan445"
	// clientBuffer is the MaxBufferSize we announce, Windows XP's value: the largest message
	// the server may send us, so READ_ANDX replies of up to 61440 bytes fit.
	clientBuffer = 16644
	// clientMpx is the MaxMpxCount we announce; we never have more than one request out.
	clientMpx = 10
	// clientVC is the VcNumber of every logon. 0 would tell a Windows server to drop every
	// other connection from this client, which could cut the probe's own first connection
	// while the credentialed check runs on a second one.
	clientVC = 1
)

// clientCaps are the capabilities we announce: Unicode, NT status, extended security, and no
// CAP_LARGE_READX, so every READ_ANDX reply fits the server's negotiated buffer.
const clientCaps = smb1.CapUnicode | smb1.CapLargeFiles | smb1.CapNTSMBs | smb1.CapStatus32 |
	smb1.CapLevelIIOplocks | smb1.CapNTFind | smb1.CapExtendedSecurity

// SMB1 is our side of one SMB1 connection: negotiate, logon (anonymous or NTLMv2, extended or
// basic security), tree connect, file and pipe open, read, write, transact, close, logoff, and
// MS-CIFS message signing once an NTLMv2 logon on a server requiring it gives a key. It reports
// every exchange to OnExchange and is not safe for concurrent use.
type SMB1 struct {
	l          *Link
	onExchange func(Exchange)

	flags2    uint16
	uid, tid  uint16
	mid       uint16
	maxBuffer uint32 // the server's MaxBufferSize, 0 before NEGOTIATE
	signReq   bool   // the server requires signing

	signKey []byte // non-nil once signing is active
	seq     uint32 // sequence number of the next request
}

// NewSMB1 returns a client speaking over l; onExchange (may be nil) hears of every exchange.
func NewSMB1(l *Link, onExchange func(Exchange)) *SMB1 {
	return &SMB1{l: l, onExchange: onExchange, flags2: smb1.DefaultFlags2}
}

// Link is the connection the client speaks over.
func (c *SMB1) Link() *Link { return c.l }

// UID is the session's user id, 0 before a logon.
func (c *SMB1) UID() uint16 { return c.uid }

// TID is the connected tree's id, 0 before a tree connect.
func (c *SMB1) TID() uint16 { return c.tid }

// Signing reports whether messages are signed.
func (c *SMB1) Signing() bool { return c.signKey != nil }

// Unicode reports whether strings go out as UTF-16LE (the server did not refuse Unicode).
func (c *SMB1) Unicode() bool { return c.flags2&smb1.Flags2Unicode != 0 }

// Usable reports whether the connection can still carry a request.
func (c *SMB1) Usable(ctx context.Context) bool { return c.l.Usable(ctx) }

func (c *SMB1) header() smb1.Header {
	c.mid++
	h := smb1.Header{Flags: smb1.DefaultFlags, Flags2: c.flags2, PIDLow: smb1PID, UID: c.uid, TID: c.tid, MID: c.mid}
	if c.signKey != nil {
		h.Flags2 |= smb1.Flags2SecuritySignature
	}
	return h
}

func (c *SMB1) report(x Exchange) {
	if c.onExchange != nil {
		c.onExchange(x)
	}
}

// roundTrip sends one request built by enc (signed when signing is active) and returns the raw
// reply, filling x's bytes and time; the caller checks the reply and reports x.
func (c *SMB1) roundTrip(ctx context.Context, x *Exchange, enc func(smb1.Header) []byte) ([]byte, smb1.Header, error) {
	h := c.header()
	msg := enc(h)
	if c.signKey != nil {
		if err := smb1.Sign(msg, c.signKey, c.seq); err != nil {
			return nil, h, fmt.Errorf("%w: %w: %v", ErrNotSent, ErrProtocol, err)
		}
	}
	x.Sent = msg
	t0 := time.Now()
	raw, err := c.l.RoundTrip(ctx, msg)
	x.Elapsed = time.Since(t0)
	x.Received = raw
	return raw, h, err
}

// exchange does one request/reply and checks that the reply answers it (SMB1, command, MID,
// signature). The exchange is reported whatever happens.
func (c *SMB1) exchange(ctx context.Context, step, request string, cmd byte, enc func(smb1.Header) []byte) (smb1.Message, error) {
	x := Exchange{Step: step, Request: request}
	m, err := c.check(ctx, &x, cmd, enc)
	x.Err = err
	if err == nil || len(x.Received) >= smb1.HeaderLen && m.Header.Command == cmd {
		x.Status = m.Header.Status
	}
	c.report(x)
	return m, err
}

func (c *SMB1) check(ctx context.Context, x *Exchange, cmd byte, enc func(smb1.Header) []byte) (smb1.Message, error) {
	raw, h, err := c.roundTrip(ctx, x, enc)
	if err != nil {
		return smb1.Message{}, err
	}
	if smb1.IsSMB2(raw) {
		return smb1.Message{}, fmt.Errorf("%w: SMB2 reply to an SMB1 request", ErrProtocol)
	}
	m, err := smb1.DecodeMessage(raw)
	if err != nil {
		return m, fmt.Errorf("%w: %v", ErrProtocol, err)
	}
	if !m.Header.IsReply() || m.Header.Command != cmd || m.Header.MID != h.MID {
		return m, fmt.Errorf("%w: reply command 0x%02x mid %d to request 0x%02x mid %d", ErrProtocol, m.Header.Command, m.Header.MID, cmd, h.MID)
	}
	if c.signKey != nil {
		ok := smb1.Verify(raw, c.signKey, c.seq+1)
		c.seq += 2
		if !ok {
			return m, fmt.Errorf("%w: bad signature on the reply to command 0x%02x", ErrProtocol, cmd)
		}
	}
	return m, nil
}

// Negotiated is the server's answer to NEGOTIATE.
type Negotiated struct {
	// SMB2 is set when the server answered with an SMB2 NEGOTIATE response (Raw holds it);
	// the SMB1 fields are then zero and the caller continues in SMB2.
	SMB2 bool
	Raw  []byte
	// Header and Resp are the SMB1 reply. Resp is zero when the server refused NEGOTIATE
	// with an error status (Header.Status says which).
	Header smb1.Header
	Resp   smb1.NegotiateResponse
	// Dialect is the dialect chosen, "" when the server chose none (DialectIndex 0xFFFF).
	Dialect string
}

// SigningRequired reports whether the server requires signed messages.
func (n Negotiated) SigningRequired() bool {
	return n.Resp.SecurityMode&smb1.SecurityModeSignaturesRequired != 0
}

// Negotiate offers dialects (in order) and adopts what the server announces: extended
// security or not, Unicode or not, its buffer size, whether it requires signing. A reply
// that is neither SMB2 nor a NEGOTIATE reply, or whose DialectIndex is out of range, is an
// ErrProtocol error.
func (c *SMB1) Negotiate(ctx context.Context, dialects []string) (Negotiated, error) {
	x := Exchange{Step: "smb1.negotiate", Request: "SMB1 NEGOTIATE offering " + strings.Join(dialects, ", ")}
	raw, _, err := c.roundTrip(ctx, &x, smb1.NegotiateRequest{Dialects: dialects}.Encode)
	n := Negotiated{Raw: raw}
	if err == nil {
		err = c.readNegotiate(&n, dialects)
	}
	x.Err, x.Status = err, n.Header.Status
	c.report(x)
	return n, err
}

func (c *SMB1) readNegotiate(n *Negotiated, dialects []string) error {
	if smb1.IsSMB2(n.Raw) {
		n.SMB2 = true
		return nil
	}
	m, err := smb1.DecodeMessage(n.Raw)
	if err == nil && (m.Header.Command != smb1.CmdNegotiate || !m.Header.IsReply()) {
		err = fmt.Errorf("%w: reply command 0x%02x", smb1.ErrMalformed, m.Header.Command)
	}
	if err != nil {
		return fmt.Errorf("%w: %v", ErrProtocol, err)
	}
	n.Header = m.Header
	if m.Header.Status.IsError() && m.IsErrorResponse() {
		return nil
	}
	if n.Resp, err = smb1.DecodeNegotiateResponse(m); err != nil {
		return fmt.Errorf("%w: %v", ErrProtocol, err)
	}
	neg := n.Resp
	if neg.DialectIndex == smb1.NoDialect {
		return nil
	}
	if int(neg.DialectIndex) >= len(dialects) {
		return fmt.Errorf("%w: DialectIndex %d", ErrProtocol, neg.DialectIndex)
	}
	n.Dialect = dialects[neg.DialectIndex]
	if !neg.ExtendedSecurity() {
		c.flags2 &^= smb1.Flags2ExtendedSecurity
	}
	if m.Header.Flags2&smb1.Flags2Unicode == 0 && neg.Capabilities&smb1.CapUnicode == 0 {
		c.flags2 &^= smb1.Flags2Unicode
	}
	c.maxBuffer = neg.MaxBufferSize
	c.signReq = n.SigningRequired()
	return nil
}

// PipeMaxData is the MaxDataCount of a pipe transaction: a DCE/RPC fragment (4280 bytes),
// less when the server's buffer cannot hold one with the SMB and TRANSACTION headers.
func (c *SMB1) PipeMaxData() uint16 {
	d := uint16(dcerpc.DefaultMaxFrag)
	if b := c.maxBuffer; b > 0 && b < uint32(d)+200 {
		if b > 1024 {
			return uint16(b - 200)
		}
		return 824
	}
	return d
}

// FileMaxRead is the largest READ_ANDX the server's buffer takes (room left for the header
// and READ_ANDX words), between 1024 and 61440 bytes.
func (c *SMB1) FileMaxRead() int {
	return min(max(int(c.maxBuffer)-128, 1024), 61440)
}

// SetupReply is the server's answer to one SESSION_SETUP_ANDX leg.
type SetupReply struct {
	Header smb1.Header
	// Resp is the decoded reply, when the status is success or more-processing-required.
	Resp smb1.SessionSetupResponse
	// Decoded says Resp holds the reply; DecodeErr says why not, for a status that should
	// carry one.
	Decoded   bool
	DecodeErr error
	// Raw is the reply message as received.
	Raw []byte
}

// Status is the leg's NTSTATUS.
func (r SetupReply) Status() ntstatus.Status { return r.Header.Status }

func (c *SMB1) setupRequest(blob []byte) smb1.SessionSetupRequest {
	return smb1.SessionSetupRequest{
		Extended: c.flags2&smb1.Flags2ExtendedSecurity != 0, MaxBufferSize: clientBuffer, MaxMpxCount: clientMpx, VcNumber: clientVC,
		Capabilities: clientCaps, SecurityBlob: blob, NativeOS: ClientName, NativeLanMan: ClientName,
	}
}

// sessionSetup sends one leg and decodes the reply when its status carries one.
func (c *SMB1) sessionSetup(ctx context.Context, request string, req smb1.SessionSetupRequest) (SetupReply, error) {
	m, err := c.exchange(ctx, "smb1.session-setup", request, smb1.CmdSessionSetupAnd, req.Encode)
	if err != nil {
		return SetupReply{}, err
	}
	r := SetupReply{Header: m.Header, Raw: m.Raw}
	if st := m.Header.Status; st == ntstatus.Success || st == ntstatus.MoreProcessingRequired {
		r.Resp, r.DecodeErr = smb1.DecodeSessionSetupResponse(m)
		r.Decoded = r.DecodeErr == nil
		if m.Header.UID != 0 {
			c.uid = m.Header.UID
		}
	}
	return r, nil
}

// LogonBasicNull is the basic-security null session: empty account, a one-byte empty OEM
// password, which some infected XP hosts require. It switches the client out of extended
// security. A refusal is a reply with an error status and a nil error.
func (c *SMB1) LogonBasicNull(ctx context.Context) (SetupReply, error) {
	c.flags2 &^= smb1.Flags2ExtendedSecurity
	c.uid = 0
	req := c.setupRequest(nil)
	req.Capabilities &^= smb1.CapExtendedSecurity
	req.OEMPassword = []byte{0}
	return c.sessionSetup(ctx, "SESSION_SETUP_ANDX basic security, empty account and password (null session)", req)
}

// Logon describes an extended-security (NTLMSSP) logon.
type Logon struct {
	// Cred is the account of an NTLMv2 logon; nil logs on anonymously.
	Cred *ntlmssp.Credentials
	// SPNEGO wraps the NTLMSSP messages in SPNEGO tokens, as Windows clients do. Without it
	// they go raw, as nmap and pre-Vista clients send them: the raw form finishes in two legs,
	// where SPNEGO with an NTLM MIC needs a third for the mechListMIC.
	SPNEGO bool
	// Auth is the randomness and clock of the NTLMv2 AUTHENTICATE (tests).
	Auth ntlmssp.AuthOptions
	// OnChallenge, if set, sees the first leg's reply (the CHALLENGE and the server's OS
	// strings) before the second leg is sent.
	OnChallenge func(SetupReply)
}

// LogonResult is the outcome of an extended-security logon.
type LogonResult struct {
	// Challenge and Final are the two legs' replies; Final is zero when the first leg did not
	// ask for a second.
	Challenge, Final SetupReply
	// Legs is how many legs were sent (1 or 2).
	Legs int
	// Accepted: the final leg answered STATUS_SUCCESS.
	Accepted bool
	// Guest: the server logged the account on as guest (Action bit 0).
	Guest bool
	// Signed: signing is active from now on; SignatureVerified says whether the final reply's
	// signature already checked out (Samba signs it, Windows may not).
	Signed, SignatureVerified bool
}

// LogonNTLM runs the two legs of an NTLMSSP logon: NEGOTIATE, then AUTHENTICATE (anonymous or
// NTLMv2 as lo says) in answer to the server's CHALLENGE. A refusal at either leg is a result
// with Accepted false and a nil error; a second leg that is not asked for with
// STATUS_MORE_PROCESSING_REQUIRED ends after one leg. After an NTLMv2 logon on a server that
// requires signing, every further message is signed and every reply's signature checked.
func (c *SMB1) LogonNTLM(ctx context.Context, lo Logon) (LogonResult, error) {
	var res LogonResult
	negMsg := ntlmssp.NewNegotiate(ntlmssp.DefaultClientFlags).Encode()
	blob := negMsg
	if lo.SPNEGO {
		var err error
		if blob, err = spnego.InitNTLM(negMsg); err != nil {
			return res, fmt.Errorf("%w: %v", ErrNotSent, err)
		}
	}
	c.flags2 |= smb1.Flags2ExtendedSecurity
	req := c.setupRequest(blob)
	r1, err := c.sessionSetup(ctx, "SESSION_SETUP_ANDX extended security, NTLMSSP NEGOTIATE", req)
	res.Challenge, res.Legs = r1, 1
	if err != nil {
		return res, err
	}
	if lo.OnChallenge != nil {
		lo.OnChallenge(r1)
	}
	if r1.Status() != ntstatus.MoreProcessingRequired {
		if r1.Status() == ntstatus.Success {
			return res, fmt.Errorf("%w: logon accepted without authentication", ErrProtocol)
		}
		return res, nil
	}
	if r1.DecodeErr != nil {
		return res, fmt.Errorf("%w: %v", ErrProtocol, r1.DecodeErr)
	}
	chalMsg, err := spnego.Unwrap(r1.Resp.SecurityBlob)
	if err != nil {
		return res, fmt.Errorf("%w: no NTLMSSP CHALLENGE: %v", ErrProtocol, err)
	}
	var auth []byte
	var key []byte
	what := "anonymous NTLMSSP AUTHENTICATE (null session)"
	if lo.Cred == nil {
		chal, err := ntlmssp.DecodeChallenge(chalMsg)
		if err != nil {
			return res, fmt.Errorf("%w: NTLMSSP CHALLENGE: %v", ErrProtocol, err)
		}
		auth = ntlmssp.NewAnonymousAuthenticate(chal, false).Encode()
	} else {
		out, err := ntlmssp.NewAuthenticateNTLMv2(*lo.Cred, negMsg, chalMsg, lo.Auth)
		if err != nil {
			return res, fmt.Errorf("%w: %v", ErrProtocol, err)
		}
		auth, key = out.Message, out.ExportedSessionKey[:]
		what = "NTLMv2 NTLMSSP AUTHENTICATE as " + account(*lo.Cred)
	}
	if lo.SPNEGO {
		if auth, err = spnego.RespNTLM(auth, spnego.NegStateAbsent, ""); err != nil {
			return res, fmt.Errorf("%w: %v", ErrNotSent, err)
		}
	}
	req.SecurityBlob = auth
	r2, err := c.sessionSetup(ctx, "SESSION_SETUP_ANDX extended security, "+what, req)
	res.Final, res.Legs = r2, 2
	if err != nil || r2.Status() != ntstatus.Success {
		return res, err
	}
	res.Accepted = true
	if r2.DecodeErr != nil && lo.Cred != nil {
		return res, fmt.Errorf("%w: %v", ErrProtocol, r2.DecodeErr)
	}
	res.Guest = r2.Decoded && r2.Resp.Action&smb1.ActionGuest != 0
	if key != nil && c.signReq && !res.Guest {
		c.signKey = key
		// The logon request and its reply took sequence numbers 0 and 1.
		res.SignatureVerified = smb1.Verify(r2.Raw, c.signKey, 1)
		c.seq = 2
		res.Signed = true
	}
	return res, nil
}

func account(cr ntlmssp.Credentials) string {
	if cr.Domain == "" {
		return cr.User
	}
	return cr.Domain + `\` + cr.User
}
