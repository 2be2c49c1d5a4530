package credcheck

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"syscall"
	"time"

	"github.com/scan445/scan445/smbprobe/netbios"
	"github.com/scan445/scan445/smbprobe/ntlmssp"
	"github.com/scan445/scan445/smbprobe/ntstatus"
	"github.com/scan445/scan445/smbprobe/smb1"
	"github.com/scan445/scan445/smbprobe/spnego"
)

const (
	// smb1PID is the process id of every request; any constant works.
	smb1PID = 0xFEFE
	// smb1ClientName is announced as NativeOS / NativeLanMan; servers ignore it.
	smb1ClientName = "scan445"
	// smb1MaxFrame bounds a reply: READ_ANDX replies stay under the negotiated buffer size
	// (we never ask for CAP_LARGE_READX), so 128 KiB is generous.
	smb1MaxFrame = 128 << 10
	// smb1ClientBuffer is the MaxBufferSize we announce, Windows XP's value.
	smb1ClientBuffer = 16644
	// fileGenericRead is FILE_GENERIC_READ: READ_CONTROL | SYNCHRONIZE | FILE_READ_DATA |
	// FILE_READ_EA | FILE_READ_ATTRIBUTES. Read access only: the check never writes.
	fileGenericRead = 0x00120089
	// fileNonDirectory is FILE_NON_DIRECTORY_FILE in CreateOptions.
	fileNonDirectory = 0x00000040
)

// smb1Caps are the client capabilities: Unicode, NT status, extended security, and no
// CAP_LARGE_READX, so every READ_ANDX reply fits the server's negotiated buffer.
const smb1Caps = smb1.CapUnicode | smb1.CapLargeFiles | smb1.CapNTSMBs | smb1.CapStatus32 |
	smb1.CapNTFind | smb1.CapExtendedSecurity

// smb1Options are the test hooks of the SMB1 client.
type smb1Options struct {
	auth ntlmssp.AuthOptions // randomness and clock of the NTLMv2 AUTHENTICATE
}

// ReadNetapiVersionSMB1 is ReadNetapiVersionSMB2 for hosts that speak only SMB1 (Windows
// 2000, XP, Server 2003): NEGOTIATE (NT LM 0.12, extended security), SESSION_SETUP_ANDX with
// NTLMSSP NEGOTIATE/CHALLENGE/AUTHENTICATE (NTLMv2), TREE_CONNECT_ANDX \\host\ADMIN$,
// NT_CREATE_ANDX system32\netapi32.dll for read, READ_ANDX at the offsets the PE parser asks
// for, then CLOSE and LOGOFF. When the server requires signing, every message after the logon
// is signed with the NTLM session key and every reply's signature is checked. conn is
// consumed (closed on return); timeout bounds the whole check, and every read and write has
// that deadline.
func ReadNetapiVersionSMB1(ctx context.Context, conn net.Conn, host string, cred Credentials, timeout time.Duration) (Outcome, error) {
	return readNetapiSMB1(ctx, conn, host, cred, timeout, smb1Options{})
}

// The results are named so that the deferred CLOSE and LOGOFF still land in out.Steps.
func readNetapiSMB1(ctx context.Context, conn net.Conn, host string, cred Credentials, timeout time.Duration, opt smb1Options) (out Outcome, _ error) {
	out = Outcome{Protocol: "SMB1", Account: cred.Account(), Path: adminPath(host), ServicePack: ServicePackUnavailable}
	defer conn.Close()
	if err := cred.validate(); err != nil {
		out.fail(ReasonBadInput, err.Error())
		return out, err
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()

	c := &smb1Client{conn: conn, out: &out, flags2: smb1.DefaultFlags2}
	maxRead, err := c.negotiate(ctx)
	if err != nil || out.Reason != ReasonNone {
		return out, err
	}
	if err := c.logon(ctx, cred, opt); err != nil || out.Reason != ReasonNone {
		return out, err
	}
	defer c.logoff(ctx)
	if err := c.treeConnect(ctx, host); err != nil || out.Reason != ReasonNone {
		return out, err
	}
	fid, size, err := c.open(ctx)
	if err != nil || out.Reason != ReasonNone {
		return out, err
	}
	defer c.close(ctx, fid)
	out.FileSize = size

	r := newChunkReader(&smb1File{c: c, ctx: ctx, fid: fid}, size, maxRead)
	out.judge(r)
	if r.readErr != nil {
		var st ntstatus.Status
		switch {
		case errors.As(r.readErr, &st):
			out.refused(reasonFor(stageRead, st), st, "READ_ANDX refused")
			out.step("smb1.read", statusText(st), out.Detail)
			return out, nil
		case errors.Is(r.readErr, errReadBudget), errors.Is(r.readErr, io.ErrUnexpectedEOF):
			out.step("smb1.read", "", out.Detail)
			return out, nil
		}
		return out, c.transportFail(ctx, "smb1.read", r.readErr)
	}
	out.step("smb1.read", statusText(ntstatus.Success), fmt.Sprintf("%d bytes in %d reads; %s", out.BytesRead, out.ReadCalls, out.Detail))
	return out, nil
}

// smb1Client is our side of one SMB1 session.
type smb1Client struct {
	conn     net.Conn
	out      *Outcome
	flags2   uint16
	uid, tid uint16
	mid      uint16

	signKey []byte // non-nil once signing is active
	seq     uint32 // sequence number of the next request
}

func (c *smb1Client) header() smb1.Header {
	c.mid++
	h := smb1.Header{Flags: smb1.DefaultFlags, Flags2: c.flags2, PIDLow: smb1PID, UID: c.uid, TID: c.tid, MID: c.mid}
	if c.signKey != nil {
		h.Flags2 |= smb1.Flags2SecuritySignature
	}
	return h
}

// exchange sends one request built by enc and returns the reply to it. With signing active
// the request takes sequence number n and its reply n+1.
func (c *smb1Client) exchange(ctx context.Context, cmd byte, enc func(smb1.Header) []byte) (smb1.Message, error) {
	if err := ctx.Err(); err != nil {
		return smb1.Message{}, err
	}
	h := c.header()
	msg := enc(h)
	if c.signKey != nil {
		if err := smb1.Sign(msg, c.signKey, c.seq); err != nil {
			return smb1.Message{}, err
		}
	}
	dl, _ := ctx.Deadline()
	if err := c.conn.SetDeadline(dl); err != nil {
		return smb1.Message{}, err
	}
	if err := netbios.WriteFrame(c.conn, msg); err != nil {
		return smb1.Message{}, err
	}
	var raw []byte
	for {
		typ, payload, err := netbios.ReadFrame(c.conn, smb1MaxFrame)
		if err != nil {
			return smb1.Message{}, err
		}
		if typ == netbios.TypeKeepAlive {
			continue
		}
		if typ != netbios.TypeSessionMessage {
			return smb1.Message{}, fmt.Errorf("%w: NetBIOS packet type 0x%02x", ErrProtocol, typ)
		}
		raw = payload
		break
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

// transportFail records a failed exchange and returns the error that says why.
func (c *smb1Client) transportFail(ctx context.Context, step string, err error) error {
	o := c.out
	var ne net.Error
	switch {
	case ctx.Err() != nil, errors.Is(err, os.ErrDeadlineExceeded), errors.As(err, &ne) && ne.Timeout():
		o.fail(ReasonTimeout, step+": no complete answer within the time budget")
		err = fmt.Errorf("%w: %s", ErrTimeout, step)
	case errors.Is(err, ErrProtocol), errors.Is(err, smb1.ErrMalformed), errors.Is(err, smb1.ErrTruncated),
		errors.Is(err, spnego.ErrTruncated), errors.Is(err, netbios.ErrFrameTooLarge):
		o.fail(ReasonProtocol, step+": "+err.Error())
		if !errors.Is(err, ErrProtocol) {
			err = fmt.Errorf("%w: %s: %v", ErrProtocol, step, err)
		}
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, net.ErrClosed),
		errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EPIPE), errors.Is(err, netbios.ErrTruncated):
		o.fail(ReasonConnection, step+": connection closed: "+err.Error())
		err = fmt.Errorf("%w: %s: %v", ErrConnection, step, err)
	default:
		o.fail(ReasonConnection, step+": "+err.Error())
		err = fmt.Errorf("%w: %s: %v", ErrConnection, step, err)
	}
	o.step(step, "", o.Detail)
	return err
}

// refuse records a server's refusal at stage.
func (c *smb1Client) refuse(step, stage string, st ntstatus.Status, what string) {
	c.out.refused(reasonFor(stage, st), st, what)
	c.out.step(step, statusText(st), c.out.Detail)
}

// negotiate offers NT LM 0.12 only and returns the largest READ_ANDX the server's buffer
// takes. A host without SMB1 or without extended security is "unsupported".
func (c *smb1Client) negotiate(ctx context.Context) (int, error) {
	const step = "smb1.negotiate"
	dialects := []string{smb1.DialectNTLM012}
	m, err := c.exchange(ctx, smb1.CmdNegotiate, smb1.NegotiateRequest{Dialects: dialects}.Encode)
	if err != nil {
		return 0, c.transportFail(ctx, step, err)
	}
	if st := m.Header.Status; st != ntstatus.Success {
		c.refuse(step, "negotiate", st, "NEGOTIATE refused")
		c.out.Reason = ReasonUnsupported
		return 0, nil
	}
	neg, err := smb1.DecodeNegotiateResponse(m)
	if err != nil {
		return 0, c.transportFail(ctx, step, err)
	}
	if neg.DialectIndex == smb1.NoDialect {
		c.out.fail(ReasonUnsupported, "the host accepts no SMB1 dialect (DialectIndex 0xFFFF)")
		c.out.step(step, "", c.out.Detail)
		return 0, nil
	}
	if int(neg.DialectIndex) >= len(dialects) {
		return 0, c.transportFail(ctx, step, fmt.Errorf("%w: DialectIndex %d", ErrProtocol, neg.DialectIndex))
	}
	if !neg.ExtendedSecurity() {
		c.out.fail(ReasonUnsupported, "the host does not offer extended security (NTLMSSP)")
		c.out.step(step, "", c.out.Detail)
		return 0, nil
	}
	maxRead := int(neg.MaxBufferSize) - 128 // room for the header and READ_ANDX words
	maxRead = min(max(maxRead, 1024), 61440)
	signReq := neg.SecurityMode&smb1.SecurityModeSignaturesRequired != 0
	c.out.step(step, statusText(m.Header.Status), fmt.Sprintf("NT LM 0.12, SecurityMode 0x%02x (signing required %t), MaxBufferSize %d", neg.SecurityMode, signReq, neg.MaxBufferSize))
	if signReq {
		c.signKey = []byte{} // marks "sign after the logon"; the key comes with AUTHENTICATE
	}
	return maxRead, nil
}

// logon runs the two NTLMSSP legs of SESSION_SETUP_ANDX.
func (c *smb1Client) logon(ctx context.Context, cred Credentials, opt smb1Options) error {
	const step = "smb1.session-setup"
	wantSign := c.signKey != nil
	c.signKey = nil

	// Raw NTLMSSP, not SPNEGO-wrapped, as nmap and pre-Vista clients send it: Windows and
	// Samba accept both, and the raw form finishes in two legs, where SPNEGO with an NTLM MIC
	// needs a third for the mechListMIC.
	negMsg := ntlmssp.NewNegotiate(ntlmssp.DefaultClientFlags).Encode()
	req := smb1.SessionSetupRequest{
		Extended: true, MaxBufferSize: smb1ClientBuffer, MaxMpxCount: 2, VcNumber: 1,
		Capabilities: smb1Caps, SecurityBlob: negMsg, NativeOS: smb1ClientName, NativeLanMan: smb1ClientName,
	}
	m, err := c.exchange(ctx, smb1.CmdSessionSetupAnd, req.Encode)
	if err != nil {
		return c.transportFail(ctx, step, err)
	}
	if st := m.Header.Status; st != ntstatus.MoreProcessingRequired {
		if st == ntstatus.Success {
			return c.transportFail(ctx, step, fmt.Errorf("%w: logon accepted without authentication", ErrProtocol))
		}
		c.refuse(step, stageLogon, st, "NTLMSSP NEGOTIATE refused")
		return nil
	}
	resp, err := smb1.DecodeSessionSetupResponse(m)
	if err != nil {
		return c.transportFail(ctx, step, err)
	}
	chal, err := spnego.Unwrap(resp.SecurityBlob)
	if err != nil {
		return c.transportFail(ctx, step, fmt.Errorf("%w: no NTLMSSP CHALLENGE: %v", ErrProtocol, err))
	}
	c.uid = m.Header.UID
	c.out.step(step, statusText(m.Header.Status), fmt.Sprintf("NTLMSSP CHALLENGE received; Native OS %q, LAN Manager %q", resp.NativeOS, resp.NativeLanMan))

	res, err := ntlmssp.NewAuthenticateNTLMv2(cred.NTLM(), negMsg, chal, opt.auth)
	if err != nil {
		return c.transportFail(ctx, step, fmt.Errorf("%w: %v", ErrProtocol, err))
	}
	req.SecurityBlob = res.Message
	m, err = c.exchange(ctx, smb1.CmdSessionSetupAnd, req.Encode)
	if err != nil {
		return c.transportFail(ctx, step, err)
	}
	if st := m.Header.Status; st != ntstatus.Success {
		c.refuse(step, stageLogon, st, "NTLMv2 logon as "+cred.Account()+" refused")
		return nil
	}
	resp, err = smb1.DecodeSessionSetupResponse(m)
	if err != nil {
		return c.transportFail(ctx, step, err)
	}
	if m.Header.UID != 0 {
		c.uid = m.Header.UID
	}
	if resp.Action&smb1.ActionGuest != 0 {
		// A guest session cannot read ADMIN$; calling it a logon failure says why.
		c.out.fail(ReasonLogonFailure, "the host logged "+cred.Account()+" on as guest: the credentials were not accepted")
		c.out.step(step, statusText(m.Header.Status), c.out.Detail)
		return nil
	}
	detail := "NTLMv2 logon as " + cred.Account() + " accepted"
	if wantSign {
		key := res.ExportedSessionKey
		c.signKey = key[:]
		// The logon request and its reply took sequence numbers 0 and 1.
		if smb1.Verify(m.Raw, c.signKey, 1) {
			detail += "; signing active, the reply's signature verifies"
		} else {
			detail += "; signing active"
		}
		c.seq = 2
		c.out.Signed = true
	}
	c.out.step(step, statusText(m.Header.Status), detail)
	return nil
}

func (c *smb1Client) treeConnect(ctx context.Context, host string) error {
	const step = "smb1.tree-connect"
	path := `\\` + host + `\ADMIN$`
	req := smb1.TreeConnectRequest{Password: []byte{0}, Path: path, Service: smb1.ServiceAny}
	m, err := c.exchange(ctx, smb1.CmdTreeConnectAndX, req.Encode)
	if err != nil {
		return c.transportFail(ctx, step, err)
	}
	if st := m.Header.Status; st != ntstatus.Success {
		c.refuse(step, stageTree, st, "TREE_CONNECT_ANDX "+path+" refused")
		return nil
	}
	c.tid = m.Header.TID
	c.out.step(step, statusText(m.Header.Status), path+" connected")
	return nil
}

func (c *smb1Client) open(ctx context.Context) (uint16, int64, error) {
	const step = "smb1.nt-create"
	req := smb1.NTCreateRequest{
		DesiredAccess: fileGenericRead, ExtFileAttributes: smb1.AttrNormal,
		ShareAccess:       smb1.ShareRead | smb1.ShareWrite | smb1.ShareDelete,
		CreateDisposition: smb1.DispositionOpen, CreateOptions: fileNonDirectory,
		ImpersonationLevel: smb1.ImpersonationImpersonation,
		FileName:           `\` + AdminFile,
	}
	m, err := c.exchange(ctx, smb1.CmdNTCreateAndX, req.Encode)
	if err != nil {
		return 0, 0, c.transportFail(ctx, step, err)
	}
	if st := m.Header.Status; st != ntstatus.Success {
		c.refuse(step, stageOpen, st, "NT_CREATE_ANDX "+AdminFile+" refused")
		return 0, 0, nil
	}
	resp, err := smb1.DecodeNTCreateResponse(m)
	if err != nil {
		return 0, 0, c.transportFail(ctx, step, err)
	}
	if resp.Directory != 0 || resp.ResourceType != smb1.FileTypeDisk || resp.EndOfFile > 1<<40 {
		c.out.fail(ReasonFileMissing, fmt.Sprintf("%s is not a regular file (directory %d, resource type %d, size %d)", AdminFile, resp.Directory, resp.ResourceType, resp.EndOfFile))
		c.out.step(step, statusText(m.Header.Status), c.out.Detail)
		return resp.FID, 0, nil
	}
	c.out.step(step, statusText(m.Header.Status), fmt.Sprintf("%s opened for read (FID 0x%04x), %d bytes", AdminFile, resp.FID, resp.EndOfFile))
	return resp.FID, int64(resp.EndOfFile), nil
}

func (c *smb1Client) close(ctx context.Context, fid uint16) {
	m, err := c.exchange(ctx, smb1.CmdClose, smb1.CloseRequest{FID: fid, LastTimeModified: 0xFFFFFFFF}.Encode)
	if err == nil {
		c.out.step("smb1.close", statusText(m.Header.Status), "")
	}
}

func (c *smb1Client) logoff(ctx context.Context) {
	m, err := c.exchange(ctx, smb1.CmdLogoffAndX, smb1.LogoffRequest{}.Encode)
	if err == nil {
		c.out.step("smb1.logoff", statusText(m.Header.Status), "")
	}
}

// smb1File reads the open file with READ_ANDX; a refusal comes back as the ntstatus.Status.
type smb1File struct {
	c   *smb1Client
	ctx context.Context
	fid uint16
}

func (f *smb1File) ReadAt(p []byte, off int64) (int, error) {
	if len(p) > 0xFFFF {
		p = p[:0xFFFF]
	}
	req := smb1.ReadRequest{FID: f.fid, Offset: uint64(off), MaxCount: uint16(len(p)), MinCount: uint16(len(p))}
	m, err := f.c.exchange(f.ctx, smb1.CmdReadAndX, req.Encode)
	if err != nil {
		return 0, err
	}
	switch st := m.Header.Status; st {
	case ntstatus.Success:
	case ntstatus.EndOfFile:
		return 0, io.EOF
	default:
		return 0, st
	}
	resp, err := smb1.DecodeReadResponse(m)
	if err != nil {
		return 0, fmt.Errorf("%w: %v", ErrProtocol, err)
	}
	if len(resp.Data) > len(p) {
		return 0, fmt.Errorf("%w: READ_ANDX returned %d bytes for %d", ErrProtocol, len(resp.Data), len(p))
	}
	return copy(p, resp.Data), nil
}
