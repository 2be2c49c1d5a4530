package smbprobe

import (
	"context"
	"crypto/rand"
	"fmt"

	"github.com/scan445/scan445/smbprobe/dcerpc"
	"github.com/scan445/scan445/smbprobe/ntlmssp"
	"github.com/scan445/scan445/smbprobe/ntstatus"
	"github.com/scan445/scan445/smbprobe/smb2"
	"github.com/scan445/scan445/smbprobe/smbclient"
	"github.com/scan445/scan445/smbprobe/spnego"
)

// smb2PID is the process id in every SMB2 header; any constant works (the SMB1 client's).
const smb2PID = 0xFEFF

// maxInterim bounds the STATUS_PENDING interim responses accepted for one request.
const maxInterim = 4

// smb2Client is our side of one SMB2 connection: enough for the fingerprint, the null session
// and srvsvc over a pipe.
type smb2Client struct {
	r         *run
	l         *smbclient.Link
	msgID     uint64
	dialect   smb2.Dialect
	sessionID uint64
	treeID    uint32
	fileID    smb2.FileID
	hasFile   bool
}

func newSMB2(r *run, l *smbclient.Link) *smb2Client { return &smb2Client{r: r, l: l} }

// send does one exchange and returns the reply's header and body, skipping interim responses.
func (c *smb2Client) send(ctx context.Context, cmd smb2.Command, body smb2.Body) (smb2.Header, []byte, error) {
	h := smb2.Header{Command: cmd, MessageID: c.msgID, Credits: 31, SessionID: c.sessionID, TreeID: c.treeID, ProcessID: smb2PID}
	if c.dialect != 0 && c.dialect != smb2.Dialect202 && c.dialect != smb2.DialectWildcard {
		h.CreditCharge = 1
	}
	c.msgID++
	raw, err := c.l.RoundTrip(ctx, smb2.Build(h, body))
	for n := 0; ; n++ {
		if err != nil {
			return smb2.Header{}, nil, err
		}
		pdus, perr := smb2.DecodeMessage(raw)
		if perr != nil || len(pdus) == 0 {
			return smb2.Header{}, nil, fmt.Errorf("%w: %v", ErrProtocol, perr)
		}
		p := pdus[0]
		if !p.Header.IsResponse() || p.Header.Command != cmd || p.Header.MessageID != h.MessageID {
			return p.Header, nil, fmt.Errorf("%w: reply %s message %d to %s message %d", ErrProtocol, p.Header.Command, p.Header.MessageID, cmd, h.MessageID)
		}
		if p.Header.Status == ntstatus.Pending && p.Header.IsAsync() && n < maxInterim {
			raw, err = c.l.ReadMore(ctx)
			continue
		}
		return p.Header, p.Body, nil
	}
}

// upgrade reads the SMB2 NEGOTIATE response a host sent to our SMB1 NEGOTIATE.
func (c *smb2Client) upgrade(ctx context.Context, raw []byte, x *xrec) bool {
	pdus, err := smb2.DecodeMessage(raw)
	var resp *smb2.NegotiateResponse
	if err == nil && len(pdus) > 0 && pdus[0].Header.Command == smb2.CmdNegotiate && pdus[0].Header.Status == ntstatus.Success {
		resp, err = smb2.DecodeNegotiateResponse(pdus[0].Body)
	} else if err == nil {
		err = fmt.Errorf("%w: not a successful SMB2 NEGOTIATE response", smb2.ErrMalformed)
	}
	if err != nil {
		x.done("malformed reply", err.Error())
		c.r.stop("smb1.negotiate", fmt.Errorf("%w: %v", ErrProtocol, err))
		return false
	}
	c.msgID = 1
	i := x.done(statusText(pdus[0].Header.Status), "SMB2 NEGOTIATE response, DialectRevision "+resp.DialectRevision.String()+signing2(resp.SecurityMode))
	c.r.f.smb2.set(triYes, "the host answered the SMB1 NEGOTIATE with SMB2", i)
	if resp.DialectRevision == smb2.DialectWildcard {
		return c.negotiate(ctx)
	}
	c.absorb(resp, i)
	return true
}

// negotiate sends an SMB2 NEGOTIATE offering 2.0.2 to 3.1.1.
func (c *smb2Client) negotiate(ctx context.Context) bool {
	var guid smb2.GUID
	var salt [32]byte
	_, _ = rand.Read(guid[:])
	_, _ = rand.Read(salt[:])
	x := c.r.begin("smb2.negotiate", ClassSafe, "SMB2 NEGOTIATE offering 2.0.2, 2.1, 3.0, 3.0.2, 3.1.1")
	h, body, err := c.send(ctx, smb2.CmdNegotiate, smb2.ProbeNegotiate(guid, salt))
	if err != nil {
		x.fail(err)
		c.r.stop("smb2.negotiate", err)
		return false
	}
	if h.Status != ntstatus.Success {
		x.done(statusText(h.Status), "negotiate refused")
		c.r.stop("smb2.negotiate", h.Status)
		return false
	}
	resp, err := smb2.DecodeNegotiateResponse(body)
	if err != nil || resp.DialectRevision == smb2.DialectWildcard {
		if err == nil {
			err = fmt.Errorf("%w: wildcard dialect again", smb2.ErrMalformed)
		}
		x.done("malformed reply", err.Error())
		c.r.stop("smb2.negotiate", fmt.Errorf("%w: %v", ErrProtocol, err))
		return false
	}
	i := x.done(statusText(h.Status), "DialectRevision "+resp.DialectRevision.String()+signing2(resp.SecurityMode))
	c.r.f.smb2.set(triYes, "SMB2 NEGOTIATE accepted", i)
	c.absorb(resp, i)
	return true
}

func signing2(mode uint16) string {
	return fmt.Sprintf(", SecurityMode 0x%04x (signing %s)", mode, signingWords(mode&smb2.SigningEnabled != 0, mode&smb2.SigningRequired != 0))
}

func (c *smb2Client) absorb(resp *smb2.NegotiateResponse, i int) {
	c.dialect = resp.DialectRevision
	fp := &c.r.res.Fingerprint
	fp.SMB2 = true
	fp.Dialects = appendUnique(fp.Dialects, resp.DialectRevision.String())
	fp.SigningEnabled = fp.SigningEnabled || resp.SecurityMode&smb2.SigningEnabled != 0
	req := resp.SecurityMode&smb2.SigningRequired != 0
	c.r.f.sign2Req.set(boolTri(req), "SMB2 SecurityMode", i)
	if t := resp.SystemTime.Time(); fp.ServerTime == nil && !t.IsZero() {
		t = t.UTC()
		fp.ServerTime = &t
	}
}

// smb2Flow is the null session and srvsvc over SMB2, for hosts where SMB1 is unavailable.
func (r *run) smb2Flow(ctx context.Context, c *smb2Client) {
	if !r.smb2Session(ctx, c) {
		return
	}
	defer c.logoff(ctx)
	if !r.needIPC() || !c.treeConnectIPC(ctx) {
		return
	}
	var rpc *rpcClient
	if r.needPipe() {
		rpc = r.srvsvcPhase(ctx, c)
	}
	r.intrusivePhase(ctx, rpc)
}

func (r *run) smb2Session(ctx context.Context, c *smb2Client) bool {
	negMsg := ntlmssp.NewNegotiate(ntlmssp.DefaultClientFlags).Encode()
	blob, err := spnego.InitNTLM(negMsg)
	if err != nil {
		r.stop("smb2.session-setup", err)
		return false
	}
	x := r.begin("smb2.session-setup", ClassSafe, "SMB2 SESSION_SETUP, NTLMSSP NEGOTIATE")
	h, body, err := c.send(ctx, smb2.CmdSessionSetup, smb2.ProbeSessionSetup(blob))
	if err != nil {
		x.fail(err)
		r.stop("smb2.session-setup", err)
		return false
	}
	if h.Status != ntstatus.MoreProcessingRequired {
		i := x.done(statusText(h.Status), "no NTLMSSP CHALLENGE")
		r.f.null.set(triNo, "SMB2 SESSION_SETUP refused ("+statusText(h.Status)+")", i)
		return false
	}
	resp, err := smb2.DecodeSessionSetupResponse(body)
	if err != nil {
		x.done(statusText(h.Status), err.Error())
		r.stop("smb2.session-setup", fmt.Errorf("%w: %v", ErrProtocol, err))
		return false
	}
	c.sessionID = h.SessionID
	chal, desc := r.absorbChallenge(resp.SecurityBuffer)
	i := x.done(statusText(h.Status), desc)
	r.f.osEv = append(r.f.osEv, i)
	if chal == nil {
		r.stop("smb2.session-setup", fmt.Errorf("%w: %s", ErrProtocol, desc))
		return false
	}
	if !r.needIPC() {
		return false
	}
	auth := ntlmssp.NewAnonymousAuthenticate(chal, false).Encode()
	if blob, err = spnego.RespNTLM(auth, spnego.NegStateAbsent, ""); err != nil {
		r.stop("smb2.session-setup", err)
		return false
	}
	x = r.begin("smb2.session-setup", ClassSafe, "SMB2 SESSION_SETUP, anonymous NTLMSSP AUTHENTICATE (null session)")
	h, body, err = c.send(ctx, smb2.CmdSessionSetup, smb2.ProbeSessionSetup(blob))
	if err != nil {
		x.fail(err)
		r.stop("smb2.session-setup", err)
		return false
	}
	if h.Status != ntstatus.Success {
		i := x.done(statusText(h.Status), "anonymous logon refused")
		r.f.null.set(triNo, "anonymous SMB2 logon refused ("+statusText(h.Status)+")", i)
		return false
	}
	flags := uint16(0)
	if resp, err := smb2.DecodeSessionSetupResponse(body); err == nil {
		flags = resp.SessionFlags
	}
	i = x.done(statusText(h.Status), fmt.Sprintf("null session accepted (SessionFlags 0x%04x)", flags))
	r.res.Fingerprint.SessionMode = "ntlmssp-anonymous"
	r.f.null.set(triYes, "anonymous SMB2 logon accepted", i)
	return true
}

func (c *smb2Client) treeConnectIPC(ctx context.Context) bool {
	r := c.r
	path := `\\` + r.addr.Addr().Unmap().String() + `\IPC$`
	x := r.begin("smb2.tree-connect", ClassSafe, "SMB2 TREE_CONNECT "+path)
	h, _, err := c.send(ctx, smb2.CmdTreeConnect, &smb2.TreeConnectRequest{Path: path})
	if err != nil {
		x.fail(err)
		r.stop("smb2.tree-connect", err)
		return false
	}
	if h.Status != ntstatus.Success {
		i := x.done(statusText(h.Status), "IPC$ refused to the null session")
		r.f.ipc.set(triNo, "IPC$ refused to the null session ("+statusText(h.Status)+")", i)
		return false
	}
	c.treeID = h.TreeID
	i := x.done(statusText(h.Status), fmt.Sprintf("IPC$ connected (TreeId 0x%x)", h.TreeID))
	r.f.ipc.set(triYes, "anonymous SMB2 TREE_CONNECT IPC$ accepted", i)
	return true
}

func (c *smb2Client) openPipe(ctx context.Context, name string) (ntstatus.Status, int, error) {
	x := c.r.begin("smb2.create", ClassSafe, "SMB2 CREATE "+name+" on IPC$")
	req := &smb2.CreateRequest{
		ImpersonationLevel: smb2.ImpersonationImpersonation, DesiredAccess: 0x0012019F,
		ShareAccess: smb2.FileShareRead | smb2.FileShareWrite, CreateDisposition: smb2.FileOpen, Name: name,
	}
	h, body, err := c.send(ctx, smb2.CmdCreate, req)
	if err != nil {
		return 0, x.fail(err), err
	}
	if h.Status != ntstatus.Success {
		return h.Status, x.done(statusText(h.Status), "pipe not opened"), nil
	}
	resp, err := smb2.DecodeCreateResponse(body)
	if err != nil {
		x.done(statusText(h.Status), err.Error())
		return h.Status, x.i, fmt.Errorf("%w: %v", ErrProtocol, err)
	}
	c.fileID, c.hasFile = resp.FileID, true
	return h.Status, x.done(statusText(h.Status), "pipe opened"), nil
}

func (c *smb2Client) transact(ctx context.Context, pdu []byte) ([]byte, error) {
	req := &smb2.IoctlRequest{CtlCode: smb2.FsctlPipeTransceive, FileID: c.fileID, MaxOutputResponse: dcerpc.DefaultMaxFrag, Flags: smb2.IoctlIsFsctl, Input: pdu}
	h, body, err := c.send(ctx, smb2.CmdIoctl, req)
	if err != nil {
		return nil, err
	}
	if h.Status != ntstatus.Success && h.Status != ntstatus.BufferOverflow {
		return nil, h.Status
	}
	resp, err := smb2.DecodeIoctlResponse(body)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrProtocol, err)
	}
	out := append([]byte(nil), resp.Output...)
	if h.Status == ntstatus.BufferOverflow {
		more, err := c.readPipe(ctx)
		if err != nil {
			return nil, err
		}
		out = append(out, more...)
	}
	return out, nil
}

func (c *smb2Client) readPipe(ctx context.Context) ([]byte, error) {
	var out []byte
	for {
		h, body, err := c.send(ctx, smb2.CmdRead, &smb2.ReadRequest{Padding: 0x50, Length: dcerpc.DefaultMaxFrag, FileID: c.fileID})
		if err != nil {
			return nil, err
		}
		if h.Status != ntstatus.Success && h.Status != ntstatus.BufferOverflow {
			return nil, h.Status
		}
		resp, err := smb2.DecodeReadResponse(body)
		if err != nil {
			return nil, fmt.Errorf("%w: %v", ErrProtocol, err)
		}
		if len(resp.Data) == 0 {
			return nil, fmt.Errorf("%w: empty pipe read", ErrProtocol)
		}
		out = append(out, resp.Data...)
		if len(out) > smbclient.MaxFrame {
			return nil, fmt.Errorf("%w: pipe message over %d bytes", ErrProtocol, smbclient.MaxFrame)
		}
		if h.Status != ntstatus.BufferOverflow {
			return out, nil
		}
	}
}

func (c *smb2Client) proto() string { return "smb2" }

func (c *smb2Client) usable(ctx context.Context) bool { return c.l.Usable(ctx) }

// logoff ends the session, which also closes the tree and the pipe.
func (c *smb2Client) logoff(ctx context.Context) {
	if c.sessionID == 0 || ctx.Err() != nil {
		return
	}
	x := c.r.begin("smb2.logoff", ClassSafe, "SMB2 LOGOFF")
	c.treeID = 0
	h, _, err := c.send(ctx, smb2.CmdLogoff, &smb2.Empty{})
	if err != nil {
		x.fail(err)
		return
	}
	x.done(statusText(h.Status), "")
	c.sessionID = 0
}
