package smbprobe

import (
	"context"
	"errors"
	"fmt"

	"github.com/scan445/scan445/smbprobe/ntstatus"
	"github.com/scan445/scan445/smbprobe/smb1"
	"github.com/scan445/scan445/smbprobe/smbclient"
)

// smb1Client is the probe's side of one SMB1 connection: the SMB client (package smbclient)
// does the exchanges; this type turns their reports and results into evidence and facts.
type smb1Client struct {
	r   *run
	c   *smbclient.SMB1
	fid uint16 // the pipe opened on IPC$
}

func newSMB1(r *run, l *smbclient.Link) *smb1Client {
	return &smb1Client{r: r, c: smbclient.NewSMB1(l, r.recordSMB1)}
}

// recordSMB1 turns the client's exchange reports into Exchanges: one per SMB step, with the
// client's words for the request and, when it failed, "no reply" and the error; the step's
// code then fills in what the reply meant. Pipe transactions and reads are left out: the RPC
// layer records one Exchange per call, however many SMB messages it took.
func (r *run) recordSMB1(x smbclient.Exchange) {
	r.smb1Last = x
	switch x.Step {
	case "smb1.transaction", "smb1.read", "smb1.write":
		return
	}
	e := Exchange{Step: x.Step, Class: ClassSafe, Request: clean(x.Request), Millis: x.Elapsed.Milliseconds()}
	if x.Err != nil {
		e.Status, e.Response = "no reply", clean(x.Err.Error())
	}
	r.res.Exchanges = append(r.res.Exchanges, e)
}

// negotiate sends SMB_COM_NEGOTIATE. err is a transport failure only; a reply that does not
// decode is derr, for readNegotiate. n.Raw may be an SMB2 reply.
func (c *smb1Client) negotiate(ctx context.Context, dialects []string) (n smbclient.Negotiated, x *xrec, derr, err error) {
	mark := len(c.r.res.Exchanges)
	n, err = c.c.Negotiate(ctx, dialects)
	x, _ = c.r.recorded(mark)
	if err != nil && n.Raw != nil {
		return n, x, err, nil
	}
	return n, x, nil, err
}

// readNegotiate judges an SMB1 NEGOTIATE reply and records the fingerprint it carries.
func (c *smb1Client) readNegotiate(n smbclient.Negotiated, x *xrec, derr error) (bool, error) {
	if derr == nil && n.Header.Status.IsError() && n.Dialect == "" && n.Resp.DialectIndex == 0 {
		derr = fmt.Errorf("%w: NEGOTIATE answered %s", ErrProtocol, statusText(n.Header.Status))
	}
	if derr != nil {
		x.done("malformed reply", cause(derr))
		return false, derr
	}
	neg := n.Resp
	st := statusText(n.Header.Status)
	if n.Dialect == "" {
		x.done(st, "DialectIndex 0xFFFF: none of the offered dialects")
		return false, nil
	}
	if n.Dialect != smb1.DialectNTLM012 {
		x.done(st, fmt.Sprintf("DialectIndex %d", neg.DialectIndex))
		return false, fmt.Errorf("%w: DialectIndex %d is not NT LM 0.12", ErrProtocol, neg.DialectIndex)
	}
	fp := &c.r.res.Fingerprint
	fp.SMB1 = true
	fp.Dialects = appendUnique(fp.Dialects, smb1.DialectNTLM012)
	fp.SigningEnabled = fp.SigningEnabled || neg.SecurityMode&smb1.SecurityModeSignaturesEnabled != 0
	req := n.SigningRequired()
	if t := neg.Time(); !t.IsZero() {
		t = t.UTC()
		fp.ServerTime = &t
	}
	if !neg.ExtendedSecurity() {
		if neg.ServerName != "" {
			fp.NetBIOSName = clean(neg.ServerName)
		}
		if neg.DomainName != "" {
			fp.NetBIOSDomain = clean(neg.DomainName)
		}
	}
	i := x.done(st, fmt.Sprintf("dialect NT LM 0.12, SecurityMode 0x%02x (signing %s), Capabilities 0x%08x, extended security %t, MaxBufferSize %d",
		neg.SecurityMode, signingWords(neg.SecurityMode&smb1.SecurityModeSignaturesEnabled != 0, req), neg.Capabilities, neg.ExtendedSecurity(), neg.MaxBufferSize))
	c.r.f.smb1.set(triYes, "the host accepted NT LM 0.12", i)
	c.r.f.sign1Req.set(boolTri(req), "SMB1 SecurityMode", i)
	c.r.f.osEv = append(c.r.f.osEv, i)
	return true, nil
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
	if r.sel.wants(stepPeek) {
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
	}
	mark := len(r.res.Exchanges)
	rep, err := c.c.LogonBasicNull(ctx)
	x, _ := r.recorded(mark)
	if err != nil {
		r.stop("smb1.session-setup", err)
		return false
	}
	st := rep.Status()
	if st != ntstatus.Success {
		i := x.done(statusText(st), "null session refused")
		r.f.null.set(triNo, "anonymous SESSION_SETUP refused ("+statusText(st)+")", i)
		return false
	}
	if rep.DecodeErr != nil {
		x.done(statusText(st), rep.DecodeErr.Error())
		r.stop("smb1.session-setup", fmt.Errorf("%w: %v", ErrProtocol, rep.DecodeErr))
		return false
	}
	resp := rep.Resp
	r.absorbOSStrings(resp.NativeOS, resp.NativeLanMan)
	i := x.done(statusText(st), fmt.Sprintf("null session accepted (basic security, Action 0x%04x); Native OS %q, LAN Manager %q", resp.Action, clean(resp.NativeOS), clean(resp.NativeLanMan)))
	r.res.Fingerprint.SessionMode = "basic-null"
	r.f.null.set(triYes, "basic-security null session accepted", i)
	r.f.osEv = append(r.f.osEv, i)
	return true
}

// smb1SessionNTLM runs the two NTLMSSP legs (SPNEGO-wrapped, anonymous). ok means a null
// session exists; err means the connection is unusable; neither means the host refused the
// anonymous logon.
func (r *run) smb1SessionNTLM(ctx context.Context, c *smb1Client) (ok bool, err error) {
	mark := len(r.res.Exchanges)
	var legErr error // what the first leg's reply makes of the logon, decided in OnChallenge
	lr, err := c.c.LogonNTLM(ctx, smbclient.Logon{SPNEGO: true, OnChallenge: func(rep smbclient.SetupReply) {
		legErr = r.challengeLeg(rep, mark)
	}})
	if lr.Legs < 2 {
		return false, firstErr(legErr, err)
	}
	x, _ := r.recorded(mark + 1)
	if err != nil {
		return false, err
	}
	st := lr.Final.Status()
	if st != ntstatus.Success {
		i := x.done(statusText(st), "anonymous logon refused")
		r.f.null.set(triNo, "anonymous NTLMSSP logon refused ("+statusText(st)+")", i)
		return false, nil
	}
	if lr.Final.Decoded {
		r.absorbOSStrings(lr.Final.Resp.NativeOS, lr.Final.Resp.NativeLanMan)
	}
	i := x.done(statusText(st), "null session accepted (NTLMSSP anonymous)")
	r.res.Fingerprint.SessionMode = "ntlmssp-anonymous"
	r.f.null.set(triYes, "anonymous NTLMSSP logon accepted", i)
	return true, nil
}

// challengeLeg records the first leg's reply (the CHALLENGE, the server's OS strings) and says
// whether it breaks the logon: nil when it was a refusal or a usable CHALLENGE.
func (r *run) challengeLeg(rep smbclient.SetupReply, mark int) error {
	x, _ := r.recorded(mark)
	st := rep.Status()
	if st != ntstatus.MoreProcessingRequired {
		i := x.done(statusText(st), "no NTLMSSP CHALLENGE")
		if st.IsError() {
			r.f.null.set(triNo, "NTLMSSP NEGOTIATE refused ("+statusText(st)+")", i)
			return nil
		}
		return fmt.Errorf("%w: SESSION_SETUP answered %s without a CHALLENGE", ErrProtocol, statusText(st))
	}
	if rep.DecodeErr != nil {
		x.done(statusText(st), rep.DecodeErr.Error())
		return fmt.Errorf("%w: %v", ErrProtocol, rep.DecodeErr)
	}
	r.absorbOSStrings(rep.Resp.NativeOS, rep.Resp.NativeLanMan)
	chal, desc := r.absorbChallenge(rep.Resp.SecurityBlob)
	i := x.done(statusText(st), desc+fmt.Sprintf("; Native OS %q, LAN Manager %q", clean(rep.Resp.NativeOS), clean(rep.Resp.NativeLanMan)))
	r.f.osEv = append(r.f.osEv, i)
	if chal == nil {
		return fmt.Errorf("%w: %s", ErrProtocol, desc)
	}
	return nil
}

// firstErr is the first non-nil error.
func firstErr(errs ...error) error {
	for _, e := range errs {
		if e != nil {
			return e
		}
	}
	return nil
}

// treeConnectIPC connects IPC$ as the null session.
func (c *smb1Client) treeConnectIPC(ctx context.Context) bool {
	r := c.r
	path := `\\` + r.addr.Addr().Unmap().String() + `\IPC$`
	mark := len(r.res.Exchanges)
	st, svc, err := c.c.TreeConnect(ctx, path)
	x, _ := r.recorded(mark)
	if err != nil {
		r.stop("smb1.tree-connect", err)
		return false
	}
	if st != ntstatus.Success {
		i := x.done(statusText(st), "IPC$ refused to the null session")
		r.f.ipc.set(triNo, "IPC$ refused to the null session ("+statusText(st)+")", i)
		return false
	}
	i := x.done(statusText(st), fmt.Sprintf("IPC$ connected (TID 0x%04x, service %q)", c.c.TID(), clean(svc)))
	r.f.ipc.set(triYes, "anonymous TREE_CONNECT IPC$ accepted", i)
	return true
}

// openPipe opens name (`browser`, `srvsvc`) on IPC$.
func (c *smb1Client) openPipe(ctx context.Context, name string) (ntstatus.Status, int, error) {
	mark := len(c.r.res.Exchanges)
	o, err := c.c.OpenPipe(ctx, name)
	x, _ := c.r.recorded(mark)
	if err != nil {
		if c.r.smb1Last.Received != nil && o.Status == ntstatus.Success {
			x.done(statusText(o.Status), cause(err))
			return o.Status, x.i, err
		}
		return 0, x.i, err
	}
	if o.Status != ntstatus.Success {
		return o.Status, x.done(statusText(o.Status), "pipe not opened"), nil
	}
	c.fid = o.Resp.FID
	return o.Status, x.done(statusText(o.Status), fmt.Sprintf("pipe opened (FID 0x%04x, resource type %d)", o.Resp.FID, o.Resp.ResourceType)), nil
}

// transact writes one DCE/RPC PDU and returns the whole reply message.
func (c *smb1Client) transact(ctx context.Context, pdu []byte) ([]byte, error) {
	return c.c.Transact(ctx, c.fid, pdu)
}

// readPipe reads the next message (the next fragment of a multi-fragment reply).
func (c *smb1Client) readPipe(ctx context.Context) ([]byte, error) { return c.c.ReadPipe(ctx, c.fid) }

func (c *smb1Client) proto() string { return "smb1" }

func (c *smb1Client) usable(ctx context.Context) bool { return c.c.Usable(ctx) }

// peek is the MS17-010 probe (docs/checks.md §5): PeekNamedPipe on FID 0 of IPC$.
func (c *smb1Client) peek(ctx context.Context) {
	r := c.r
	r.f.peek.sent = true
	mark := len(r.res.Exchanges)
	st, err := c.c.PeekNamedPipe(ctx, 0)
	x, _ := r.recorded(mark)
	r.f.peek.idx = x.i
	if err != nil {
		r.f.peek.err = err
		return
	}
	r.f.peek.status = st
	x.done(statusText(st), "")
}

// logoff ends the session; it also releases the tree and the pipe, so no TREE_DISCONNECT or
// CLOSE round trip is needed.
func (c *smb1Client) logoff(ctx context.Context) {
	if c.c.UID() == 0 || ctx.Err() != nil {
		return
	}
	mark := len(c.r.res.Exchanges)
	st, err := c.c.Logoff(ctx)
	if x, ok := c.r.recorded(mark); ok && err == nil {
		x.done(statusText(st), "")
	}
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
