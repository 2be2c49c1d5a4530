package smbprobe

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/scan445/scan445/smbprobe/dcerpc"
	"github.com/scan445/scan445/smbprobe/ntlmssp"
	"github.com/scan445/scan445/smbprobe/ntstatus"
	"github.com/scan445/scan445/smbprobe/smb1"
	"github.com/scan445/scan445/smbprobe/spnego"
)

// smb1PID is the process id we put in every SMB1 header; any constant works.
const smb1PID = 0xFEFF

// clientNativeOS is what we announce in SESSION_SETUP_ANDX; servers ignore it.
const clientNativeOS = "scan445"

// smb1Client is our side of one SMB1 connection.
type smb1Client struct {
	r        *run
	l        *link
	flags2   uint16
	uid, tid uint16
	mid      uint16
	fid      uint16
	maxData  uint16
	unicode  bool
}

func newSMB1(r *run, l *link) *smb1Client {
	return &smb1Client{r: r, l: l, flags2: smb1.DefaultFlags2, unicode: true, maxData: dcerpc.DefaultMaxFrag}
}

func (c *smb1Client) header() smb1.Header {
	c.mid++
	return smb1.Header{Flags: smb1.DefaultFlags, Flags2: c.flags2, PIDLow: smb1PID, UID: c.uid, TID: c.tid, MID: c.mid}
}

// send does one exchange and parses the SMB1 reply, checking that it answers this request.
func (c *smb1Client) send(ctx context.Context, cmd byte, msg []byte) (smb1.Message, error) {
	mid := c.mid
	raw, err := c.l.roundTrip(ctx, msg)
	if err != nil {
		return smb1.Message{}, err
	}
	m, err := smb1.ParseMessage(raw)
	if err != nil {
		return m, fmt.Errorf("%w: %v", ErrProtocol, err)
	}
	if !m.Header.IsReply() || m.Header.Command != cmd || m.Header.MID != mid {
		return m, fmt.Errorf("%w: reply command 0x%02x mid %d to request 0x%02x mid %d", ErrProtocol, m.Header.Command, m.Header.MID, cmd, mid)
	}
	return m, nil
}

// negotiate sends SMB_COM_NEGOTIATE and returns the raw reply, which may be SMB2.
func (c *smb1Client) negotiate(ctx context.Context, dialects []string) ([]byte, *xrec, error) {
	x := c.r.begin("smb1.negotiate", ClassSafe, "SMB1 NEGOTIATE offering "+strings.Join(dialects, ", "))
	raw, err := c.l.roundTrip(ctx, smb1.NegotiateRequest{Dialects: dialects}.Encode(c.header()))
	if err != nil {
		x.fail(err)
		return nil, x, err
	}
	return raw, x, nil
}

// readNegotiate decodes an SMB1 NEGOTIATE reply and records the fingerprint it carries.
func (c *smb1Client) readNegotiate(raw []byte, x *xrec, dialects []string) (smb1.NegotiateResponse, bool, error) {
	m, err := smb1.ParseMessage(raw)
	if err == nil && (m.Header.Command != smb1.CmdNegotiate || !m.Header.IsReply()) {
		err = fmt.Errorf("%w: reply command 0x%02x", smb1.ErrMalformed, m.Header.Command)
	}
	var neg smb1.NegotiateResponse
	if err == nil {
		neg, err = smb1.DecodeNegotiateResponse(m)
	}
	if err != nil {
		x.done("malformed reply", err.Error())
		return neg, false, fmt.Errorf("%w: %v", ErrProtocol, err)
	}
	st := statusText(m.Header.Status)
	if neg.DialectIndex == smb1.NoDialect {
		x.done(st, "DialectIndex 0xFFFF: none of the offered dialects")
		return neg, false, nil
	}
	if int(neg.DialectIndex) >= len(dialects) || dialects[neg.DialectIndex] != smb1.DialectNTLM012 {
		x.done(st, fmt.Sprintf("DialectIndex %d", neg.DialectIndex))
		return neg, false, fmt.Errorf("%w: DialectIndex %d is not NT LM 0.12", ErrProtocol, neg.DialectIndex)
	}
	fp := &c.r.res.Fingerprint
	fp.SMB1 = true
	fp.Dialects = appendUnique(fp.Dialects, smb1.DialectNTLM012)
	fp.SigningEnabled = fp.SigningEnabled || neg.SecurityMode&smb1.SecurityModeSignaturesEnabled != 0
	req := neg.SecurityMode&smb1.SecurityModeSignaturesRequired != 0
	if t := neg.Time(); !t.IsZero() {
		t = t.UTC()
		fp.ServerTime = &t
	}
	if !neg.ExtendedSecurity() {
		c.flags2 &^= smb1.Flags2ExtendedSecurity
		if neg.ServerName != "" {
			fp.NetBIOSName = clean(neg.ServerName)
		}
		if neg.DomainName != "" {
			fp.NetBIOSDomain = clean(neg.DomainName)
		}
	}
	if m.Header.Flags2&smb1.Flags2Unicode == 0 && neg.Capabilities&smb1.CapUnicode == 0 {
		c.flags2 &^= smb1.Flags2Unicode
		c.unicode = false
	}
	if neg.MaxBufferSize > 0 && neg.MaxBufferSize < uint32(c.maxData)+200 {
		// The reply must fit the server's buffer with the SMB and TRANSACTION headers.
		if neg.MaxBufferSize > 1024 {
			c.maxData = uint16(neg.MaxBufferSize - 200)
		} else {
			c.maxData = 824
		}
	}
	i := x.done(st, fmt.Sprintf("dialect NT LM 0.12, SecurityMode 0x%02x (signing %s), Capabilities 0x%08x, extended security %t, MaxBufferSize %d",
		neg.SecurityMode, signingWords(neg.SecurityMode&smb1.SecurityModeSignaturesEnabled != 0, req), neg.Capabilities, neg.ExtendedSecurity(), neg.MaxBufferSize))
	c.r.f.smb1.set(triYes, "the host accepted NT LM 0.12", i)
	c.r.f.sign1Req.set(boolTri(req), "SMB1 SecurityMode", i)
	c.r.f.osEv = append(c.r.f.osEv, i)
	return neg, true, nil
}

// smb1Flow runs the null session and every SMB1 step the selected checks need.
func (r *run) smb1Flow(ctx context.Context, c *smb1Client, neg smb1.NegotiateResponse) {
	if !r.smb1Session(ctx, c, neg) {
		return
	}
	defer c.logoff(ctx)
	if !r.needIPC() {
		return
	}
	if !c.treeConnectIPC(ctx) {
		return
	}
	var rpc *rpcClient
	if r.needPipe() {
		rpc = r.srvsvcPhase(ctx, c)
	}
	if r.sel.has(CheckMS17010) {
		c.peek(ctx)
	}
	r.intrusivePhase(ctx, rpc)
}

// smb1Session establishes the null session: NTLMSSP anonymous when the host negotiated
// extended security, then basic security (empty account and password), which some infected
// XP hosts require.
func (r *run) smb1Session(ctx context.Context, c *smb1Client, neg smb1.NegotiateResponse) bool {
	if neg.ExtendedSecurity() {
		ok, err := r.smb1SessionNTLM(ctx, c)
		if ok {
			return true
		}
		if err != nil {
			r.stop("smb1.session-setup", err)
			return false
		}
		// Refused: retry in basic security on the same connection.
		c.flags2 &^= smb1.Flags2ExtendedSecurity
		c.uid = 0
	}
	x := r.begin("smb1.session-setup", ClassSafe, "SESSION_SETUP_ANDX basic security, empty account and password (null session)")
	req := smb1.SessionSetupRequest{
		MaxBufferSize: 4356, MaxMpxCount: 10, Capabilities: clientCaps() &^ smb1.CapExtendedSecurity,
		OEMPassword: []byte{0}, NativeOS: clientNativeOS, NativeLanMan: clientNativeOS,
	}
	m, err := c.send(ctx, smb1.CmdSessionSetupAnd, req.Encode(c.header()))
	if err != nil {
		x.fail(err)
		r.stop("smb1.session-setup", err)
		return false
	}
	st := m.Header.Status
	if st != ntstatus.Success {
		i := x.done(statusText(st), "null session refused")
		r.f.null.set(triNo, "anonymous SESSION_SETUP refused ("+statusText(st)+")", i)
		return false
	}
	resp, derr := smb1.DecodeSessionSetupResponse(m)
	if derr != nil {
		x.done(statusText(st), derr.Error())
		r.stop("smb1.session-setup", fmt.Errorf("%w: %v", ErrProtocol, derr))
		return false
	}
	c.uid = m.Header.UID
	r.absorbOSStrings(resp.NativeOS, resp.NativeLanMan)
	i := x.done(statusText(st), fmt.Sprintf("null session accepted (basic security, Action 0x%04x); Native OS %q, LAN Manager %q", resp.Action, clean(resp.NativeOS), clean(resp.NativeLanMan)))
	r.res.Fingerprint.SessionMode = "basic-null"
	r.f.null.set(triYes, "basic-security null session accepted", i)
	r.f.osEv = append(r.f.osEv, i)
	return true
}

// smb1SessionNTLM runs the two NTLMSSP legs. ok means a null session exists; err means the
// connection is unusable; neither means the host refused the anonymous logon.
func (r *run) smb1SessionNTLM(ctx context.Context, c *smb1Client) (ok bool, err error) {
	negMsg := ntlmssp.NewNegotiate(ntlmssp.DefaultClientFlags).Marshal()
	blob, err := spnego.InitNTLM(negMsg)
	if err != nil {
		return false, err
	}
	x := r.begin("smb1.session-setup", ClassSafe, "SESSION_SETUP_ANDX extended security, NTLMSSP NEGOTIATE")
	req := smb1.SessionSetupRequest{
		Extended: true, MaxBufferSize: 4356, MaxMpxCount: 10, Capabilities: clientCaps(),
		SecurityBlob: blob, NativeOS: clientNativeOS, NativeLanMan: clientNativeOS,
	}
	m, err := c.send(ctx, smb1.CmdSessionSetupAnd, req.Encode(c.header()))
	if err != nil {
		x.fail(err)
		return false, err
	}
	st := m.Header.Status
	if st != ntstatus.MoreProcessingRequired {
		i := x.done(statusText(st), "no NTLMSSP CHALLENGE")
		if st.IsError() {
			r.f.null.set(triNo, "NTLMSSP NEGOTIATE refused ("+statusText(st)+")", i)
			return false, nil
		}
		return false, fmt.Errorf("%w: SESSION_SETUP answered %s without a CHALLENGE", ErrProtocol, statusText(st))
	}
	resp, derr := smb1.DecodeSessionSetupResponse(m)
	if derr != nil {
		x.done(statusText(st), derr.Error())
		return false, fmt.Errorf("%w: %v", ErrProtocol, derr)
	}
	c.uid = m.Header.UID
	r.absorbOSStrings(resp.NativeOS, resp.NativeLanMan)
	chal, desc := r.absorbChallenge(resp.SecurityBlob)
	i := x.done(statusText(st), desc+fmt.Sprintf("; Native OS %q, LAN Manager %q", clean(resp.NativeOS), clean(resp.NativeLanMan)))
	r.f.osEv = append(r.f.osEv, i)
	if chal == nil {
		return false, fmt.Errorf("%w: %s", ErrProtocol, desc)
	}

	auth := ntlmssp.NewAnonymousAuthenticate(chal, false).Marshal()
	blob, err = spnego.RespNTLM(auth, spnego.NegStateAbsent, "")
	if err != nil {
		return false, err
	}
	x = r.begin("smb1.session-setup", ClassSafe, "SESSION_SETUP_ANDX extended security, anonymous NTLMSSP AUTHENTICATE (null session)")
	req.SecurityBlob = blob
	m, err = c.send(ctx, smb1.CmdSessionSetupAnd, req.Encode(c.header()))
	if err != nil {
		x.fail(err)
		return false, err
	}
	st = m.Header.Status
	if st != ntstatus.Success {
		i := x.done(statusText(st), "anonymous logon refused")
		r.f.null.set(triNo, "anonymous NTLMSSP logon refused ("+statusText(st)+")", i)
		return false, nil
	}
	if resp, derr := smb1.DecodeSessionSetupResponse(m); derr == nil {
		r.absorbOSStrings(resp.NativeOS, resp.NativeLanMan)
	}
	if m.Header.UID != 0 {
		c.uid = m.Header.UID
	}
	i = x.done(statusText(st), "null session accepted (NTLMSSP anonymous)")
	r.res.Fingerprint.SessionMode = "ntlmssp-anonymous"
	r.f.null.set(triYes, "anonymous NTLMSSP logon accepted", i)
	return true, nil
}

func clientCaps() uint32 {
	return smb1.CapUnicode | smb1.CapLargeFiles | smb1.CapNTSMBs | smb1.CapStatus32 |
		smb1.CapLevelIIOplocks | smb1.CapNTFind | smb1.CapExtendedSecurity
}

// treeConnectIPC connects IPC$ as the null session.
func (c *smb1Client) treeConnectIPC(ctx context.Context) bool {
	r := c.r
	path := `\\` + r.addr.Addr().Unmap().String() + `\IPC$`
	x := r.begin("smb1.tree-connect", ClassSafe, "TREE_CONNECT_ANDX "+path)
	req := smb1.TreeConnectRequest{Password: []byte{0}, Path: path, Service: smb1.ServiceAny}
	m, err := c.send(ctx, smb1.CmdTreeConnectAndX, req.Encode(c.header()))
	if err != nil {
		x.fail(err)
		r.stop("smb1.tree-connect", err)
		return false
	}
	st := m.Header.Status
	if st != ntstatus.Success {
		i := x.done(statusText(st), "IPC$ refused to the null session")
		r.f.ipc.set(triNo, "IPC$ refused to the null session ("+statusText(st)+")", i)
		return false
	}
	c.tid = m.Header.TID
	svc := ""
	if resp, derr := smb1.DecodeTreeConnectResponse(m); derr == nil {
		svc = resp.Service
	}
	i := x.done(statusText(st), fmt.Sprintf("IPC$ connected (TID 0x%04x, service %q)", c.tid, clean(svc)))
	r.f.ipc.set(triYes, "anonymous TREE_CONNECT IPC$ accepted", i)
	return true
}

// openPipe opens name (`browser`, `srvsvc`) on IPC$.
func (c *smb1Client) openPipe(ctx context.Context, name string) (ntstatus.Status, int, error) {
	x := c.r.begin("smb1.nt-create", ClassSafe, `NT_CREATE_ANDX \`+name)
	req := smb1.NTCreateRequest{
		DesiredAccess: 0x0002019F, ShareAccess: smb1.ShareRead | smb1.ShareWrite,
		CreateDisposition: smb1.DispositionOpen, ImpersonationLevel: smb1.ImpersonationImpersonation,
		FileName: `\` + name,
	}
	m, err := c.send(ctx, smb1.CmdNTCreateAndX, req.Encode(c.header()))
	if err != nil {
		return 0, x.fail(err), err
	}
	st := m.Header.Status
	if st != ntstatus.Success {
		return st, x.done(statusText(st), "pipe not opened"), nil
	}
	resp, derr := smb1.DecodeNTCreateResponse(m)
	if derr != nil {
		x.done(statusText(st), derr.Error())
		return st, x.i, fmt.Errorf("%w: %v", ErrProtocol, derr)
	}
	c.fid = resp.FID
	return st, x.done(statusText(st), fmt.Sprintf("pipe opened (FID 0x%04x, resource type %d)", resp.FID, resp.ResourceType)), nil
}

// transact writes one DCE/RPC PDU and returns the whole reply message (TransactNmPipe, then
// READ_ANDX while the server says STATUS_BUFFER_OVERFLOW).
func (c *smb1Client) transact(ctx context.Context, pdu []byte) ([]byte, error) {
	req := smb1.TransactNmPipeRequest(c.fid, pdu, c.maxData)
	m, err := c.send(ctx, smb1.CmdTransaction, req.Encode(c.header()))
	if err != nil {
		return nil, err
	}
	st := m.Header.Status
	if st != ntstatus.Success && st != ntstatus.BufferOverflow {
		return nil, st
	}
	resp, err := smb1.DecodeTransactionResponse(m)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrProtocol, err)
	}
	out := append([]byte(nil), resp.Data...)
	for st == ntstatus.BufferOverflow {
		var more []byte
		more, st, err = c.readRaw(ctx)
		if err != nil {
			return nil, err
		}
		out = append(out, more...)
		if len(out) > maxFrame {
			return nil, fmt.Errorf("%w: pipe message over %d bytes", ErrProtocol, maxFrame)
		}
	}
	return out, nil
}

// readPipe reads the next message (the next fragment of a multi-fragment reply).
func (c *smb1Client) readPipe(ctx context.Context) ([]byte, error) {
	var out []byte
	for {
		b, st, err := c.readRaw(ctx)
		if err != nil {
			return nil, err
		}
		out = append(out, b...)
		if len(out) > maxFrame {
			return nil, fmt.Errorf("%w: pipe message over %d bytes", ErrProtocol, maxFrame)
		}
		if st != ntstatus.BufferOverflow {
			return out, nil
		}
	}
}

func (c *smb1Client) readRaw(ctx context.Context) ([]byte, ntstatus.Status, error) {
	req := smb1.ReadRequest{FID: c.fid, MaxCount: c.maxData, MinCount: c.maxData}
	m, err := c.send(ctx, smb1.CmdReadAndX, req.Encode(c.header()))
	if err != nil {
		return nil, 0, err
	}
	st := m.Header.Status
	if st != ntstatus.Success && st != ntstatus.BufferOverflow {
		return nil, st, st
	}
	resp, err := smb1.DecodeReadResponse(m)
	if err != nil {
		return nil, st, fmt.Errorf("%w: %v", ErrProtocol, err)
	}
	if len(resp.Data) == 0 {
		return nil, st, fmt.Errorf("%w: empty pipe read", ErrProtocol)
	}
	return append([]byte(nil), resp.Data...), st, nil
}

func (c *smb1Client) proto() string { return "smb1" }

func (c *smb1Client) usable(ctx context.Context) bool { return c.l.usable(ctx) }

// peek is the MS17-010 probe (CHECKS §5): PeekNamedPipe on FID 0 of IPC$.
func (c *smb1Client) peek(ctx context.Context) {
	r := c.r
	x := r.begin("smb1.peek-named-pipe", ClassSafe, `TRANSACTION PeekNamedPipe (setup 0x0023) FID 0, all counts 0, MaxParameter/MaxData 0xFFFF, name \PIPE\`)
	r.f.peek.sent = true
	r.f.peek.idx = x.i
	m, err := c.send(ctx, smb1.CmdTransaction, smb1.PeekNamedPipeRequest(0).Encode(c.header()))
	if err != nil {
		x.fail(err)
		r.f.peek.err = err
		return
	}
	r.f.peek.status = m.Header.Status
	x.done(statusText(m.Header.Status), "")
}

// logoff ends the session; it also releases the tree and the pipe, so no TREE_DISCONNECT or
// CLOSE round trip is needed.
func (c *smb1Client) logoff(ctx context.Context) {
	if c.uid == 0 || ctx.Err() != nil {
		return
	}
	x := c.r.begin("smb1.logoff", ClassSafe, "LOGOFF_ANDX")
	m, err := c.send(ctx, smb1.CmdLogoffAndX, smb1.LogoffRequest{}.Encode(c.header()))
	if err != nil {
		x.fail(err)
		return
	}
	x.done(statusText(m.Header.Status), "")
	c.uid = 0
}

// statusText renders an NTSTATUS with its raw value.
func statusText(s ntstatus.Status) string { return "NTSTATUS " + s.String() }

func signingWords(enabled, required bool) string {
	switch {
	case required:
		return "required"
	case enabled:
		return "enabled, not required"
	}
	return "disabled"
}

func boolTri(b bool) tri {
	if b {
		return triYes
	}
	return triNo
}

func appendUnique(list []string, s string) []string {
	for _, x := range list {
		if x == s {
			return list
		}
	}
	return append(list, s)
}

// isStatus reports whether err is an NTSTATUS error.
func isStatus(err error) (ntstatus.Status, bool) {
	var st ntstatus.Status
	if errors.As(err, &st) {
		return st, true
	}
	return 0, false
}
