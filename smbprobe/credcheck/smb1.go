package credcheck

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"time"

	"github.com/scan445/scan445/smbprobe/netbios"
	"github.com/scan445/scan445/smbprobe/ntlmssp"
	"github.com/scan445/scan445/smbprobe/ntstatus"
	"github.com/scan445/scan445/smbprobe/smb1"
	"github.com/scan445/scan445/smbprobe/smbclient"
	"github.com/scan445/scan445/smbprobe/spnego"
)

// smb1Options are the test hooks of the SMB1 path.
type smb1Options struct {
	auth ntlmssp.AuthOptions // randomness and clock of the NTLMv2 AUTHENTICATE
}

// ReadNetapiVersionSMB1 is ReadNetapiVersionSMB2 for hosts that speak only SMB1 (Windows
// 2000, XP, Server 2003), over the project's SMB client (package smbclient): NEGOTIATE (NT LM
// 0.12, extended security), SESSION_SETUP_ANDX with NTLMSSP NEGOTIATE/CHALLENGE/AUTHENTICATE
// (NTLMv2), TREE_CONNECT_ANDX \\host\ADMIN$, NT_CREATE_ANDX system32\netapi32.dll for read,
// READ_ANDX at the offsets the PE parser asks for, then CLOSE and LOGOFF. When the server
// requires signing, every message after the logon is signed with the NTLM session key and
// every reply's signature is checked. conn is consumed (closed on return); timeout bounds the
// whole check, and every read and write has that deadline.
func ReadNetapiVersionSMB1(ctx context.Context, conn net.Conn, host string, cred Credentials, timeout time.Duration) (Outcome, error) {
	out, _, err := readNetapiSMB1(ctx, conn, host, cred, timeout, smb1Options{}, nil)
	return out, err
}

// readNetapiSMB1 is ReadNetapiVersionSMB1; with keep, a session that is still sound after the
// read is not logged off but handed back (see ReadNetapiVersionSession). The results are named
// so that the deferred CLOSE and LOGOFF still land in out.Steps.
func readNetapiSMB1(ctx context.Context, conn net.Conn, host string, cred Credentials, timeout time.Duration, opt smb1Options, keep *SessionConfig) (out Outcome, sess smbclient.Session, _ error) {
	out = Outcome{Protocol: "SMB1", Account: cred.Account(), Path: adminPath(host), ServicePack: ServicePackUnavailable}
	if err := cred.validate(); err != nil {
		conn.Close()
		out.fail(ReasonBadInput, err.Error())
		return out, nil, err
	}
	life, exchange := ctx, timeout
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	if keep == nil {
		life = ctx // the connection ends with the read
	} else if keep.ExchangeTimeout > 0 {
		exchange = keep.ExchangeTimeout
	}
	l := smbclient.NewLink(life, conn, exchange)
	// Every exchange but the file reads is a step; the reads are summed up in one.
	c := &smb1Check{out: &out}
	c.c = smbclient.NewSMB1(l, func(x smbclient.Exchange) {
		if x.Step == "smb1.read" {
			return
		}
		st := ""
		if x.Err == nil {
			st = statusText(x.Status)
		}
		out.step(x.Step, st, "")
	})
	defer func() {
		if sess == nil {
			l.Close()
		}
	}()

	if err := c.logon(ctx, cred, opt); err != nil || out.Reason != ReasonNone {
		return out, nil, err
	}
	err := c.readAdmin(ctx, host)
	if keep != nil && err == nil && c.c.Usable(ctx) && c.releaseAdmin(ctx, host) {
		return out, smbclient.SMB1Session(c.c, host, keep.OnExchange), nil
	}
	c.logoff(ctx)
	return out, nil, err
}

// readAdmin reads and judges netapi32.dll on the logged-on session: TREE_CONNECT_ANDX to
// ADMIN$, NT_CREATE_ANDX, READ_ANDX, CLOSE. A refusal is recorded in the Outcome (nil error).
func (c *smb1Check) readAdmin(ctx context.Context, host string) error {
	out := c.out
	if err := c.treeConnect(ctx, host); err != nil || out.Reason != ReasonNone {
		return err
	}
	fid, size, err := c.open(ctx)
	if err != nil || out.Reason != ReasonNone {
		return err
	}
	defer c.close(ctx, fid)
	out.FileSize = size

	r := newChunkReader(&smb1File{c: c.c, ctx: ctx, fid: fid}, size, c.c.FileMaxRead())
	out.judge(r)
	if r.readErr != nil {
		var st ntstatus.Status
		switch {
		case errors.As(r.readErr, &st):
			out.refused(reasonFor(stageRead, st), st, "READ_ANDX refused")
			out.step("smb1.read", statusText(st), out.Detail)
			return nil
		case errors.Is(r.readErr, errReadBudget), errors.Is(r.readErr, io.ErrUnexpectedEOF):
			out.step("smb1.read", "", out.Detail)
			return nil
		}
		out.step("smb1.read", "", "")
		return c.transportFail(ctx, r.readErr)
	}
	out.step("smb1.read", statusText(ntstatus.Success), fmt.Sprintf("%d bytes in %d reads; %s", out.BytesRead, out.ReadCalls, out.Detail))
	return nil
}

// smb1Check drives the SMB1 client for the check and turns its results into the Outcome.
type smb1Check struct {
	c   *smbclient.SMB1
	out *Outcome
}

// note sets the status and detail of the latest step (the exchange that just ran).
func (c *smb1Check) note(status, detail string) {
	if n := len(c.out.Steps); n > 0 {
		c.out.Steps[n-1].Status, c.out.Steps[n-1].Detail = status, detail
	}
}

// transportFail records a failed exchange on its step and returns the error that says why.
func (c *smb1Check) transportFail(ctx context.Context, err error) error {
	o := c.out
	step := ""
	if n := len(o.Steps); n > 0 {
		step = o.Steps[n-1].Name
	}
	switch {
	case ctx.Err() != nil, errors.Is(err, smbclient.ErrTimeout):
		o.fail(ReasonTimeout, step+": no complete answer within the time budget")
		err = fmt.Errorf("%w: %s", ErrTimeout, step)
	case errors.Is(err, smbclient.ErrProtocol), errors.Is(err, ErrProtocol), errors.Is(err, smb1.ErrMalformed),
		errors.Is(err, smb1.ErrTruncated), errors.Is(err, spnego.ErrTruncated), errors.Is(err, netbios.ErrFrameTooLarge):
		o.fail(ReasonProtocol, step+": "+err.Error())
		err = fmt.Errorf("%w: %s: %v", ErrProtocol, step, err)
	case errors.Is(err, smbclient.ErrDropped):
		o.fail(ReasonConnection, step+": connection closed: "+err.Error())
		err = fmt.Errorf("%w: %s: %v", ErrConnection, step, err)
	default:
		o.fail(ReasonConnection, step+": "+err.Error())
		err = fmt.Errorf("%w: %s: %v", ErrConnection, step, err)
	}
	c.note("", o.Detail)
	return err
}

// refuse records a server's refusal at stage on the latest step.
func (c *smb1Check) refuse(stage string, st ntstatus.Status, what string) {
	c.out.refused(reasonFor(stage, st), st, what)
	c.note(statusText(st), c.out.Detail)
}

// logon negotiates NT LM 0.12 and logs on with NTLMv2 (smbclient.AuthenticateSMB1). A host
// without SMB1 or without extended security is "unsupported"; a refused or guest logon is a
// logon failure.
func (c *smb1Check) logon(ctx context.Context, cred Credentials, opt smb1Options) error {
	account := cred.NTLM()
	neg, lr, err := smbclient.AuthenticateSMB1(ctx, c.c, smbclient.Logon{Cred: &account, Auth: opt.auth, OnChallenge: func(rep smbclient.SetupReply) {
		if rep.Status() == ntstatus.MoreProcessingRequired && rep.Decoded {
			c.note(statusText(rep.Status()), fmt.Sprintf("NTLMSSP CHALLENGE received; Native OS %q, LAN Manager %q", rep.Resp.NativeOS, rep.Resp.NativeLanMan))
		}
	}})
	if neg.Dialect != "" && neg.Resp.ExtendedSecurity() && len(c.out.Steps) > 0 {
		c.out.Steps[0].Detail = fmt.Sprintf("NT LM 0.12, SecurityMode 0x%02x (signing required %t), MaxBufferSize %d",
			neg.Resp.SecurityMode, neg.SigningRequired(), neg.Resp.MaxBufferSize)
	}
	var re *smbclient.RefusedError
	switch {
	case errors.As(err, &re) && re.Stage == smbclient.StageNegotiate:
		c.out.fail(ReasonUnsupported, re.What)
		if re.Status != 0 {
			c.out.refused(ReasonUnsupported, re.Status, re.What)
			c.note(statusText(re.Status), c.out.Detail)
			return nil
		}
		c.note("", c.out.Detail)
		return nil
	case errors.As(err, &re):
		c.refuse(stageLogon, re.Status, re.What)
		return nil
	case errors.Is(err, smbclient.ErrGuest):
		// A guest session cannot read ADMIN$; calling it a logon failure says why.
		c.out.fail(ReasonLogonFailure, "the host logged "+cred.Account()+" on as guest: the credentials were not accepted")
		c.note(statusText(lr.Final.Status()), c.out.Detail)
		return nil
	case err != nil:
		return c.transportFail(ctx, err)
	}
	detail := "NTLMv2 logon as " + cred.Account() + " accepted"
	if lr.Signed {
		detail += "; signing active"
		if lr.SignatureVerified {
			detail = "NTLMv2 logon as " + cred.Account() + " accepted; signing active, the reply's signature verifies"
		}
		c.out.Signed = true
	}
	c.note(statusText(lr.Final.Status()), detail)
	return nil
}

func (c *smb1Check) treeConnect(ctx context.Context, host string) error {
	path := `\\` + host + `\ADMIN$`
	st, _, err := c.c.TreeConnect(ctx, path)
	switch {
	case err != nil:
		return c.transportFail(ctx, err)
	case st != ntstatus.Success:
		c.refuse(stageTree, st, "TREE_CONNECT_ANDX "+path+" refused")
		return nil
	}
	c.note(statusText(st), path+" connected")
	return nil
}

func (c *smb1Check) open(ctx context.Context) (uint16, int64, error) {
	o, err := c.c.OpenRead(ctx, AdminFile)
	switch {
	case err != nil:
		return 0, 0, c.transportFail(ctx, err)
	case o.Status != ntstatus.Success:
		c.refuse(stageOpen, o.Status, "NT_CREATE_ANDX "+AdminFile+" refused")
		return 0, 0, nil
	}
	resp := o.Resp
	if resp.Directory != 0 || resp.ResourceType != smb1.FileTypeDisk || resp.EndOfFile > 1<<40 {
		c.out.fail(ReasonFileMissing, fmt.Sprintf("%s is not a regular file (directory %d, resource type %d, size %d)", AdminFile, resp.Directory, resp.ResourceType, resp.EndOfFile))
		c.note(statusText(o.Status), c.out.Detail)
		return resp.FID, 0, nil
	}
	c.note(statusText(o.Status), fmt.Sprintf("%s opened for read (FID 0x%04x), %d bytes", AdminFile, resp.FID, resp.EndOfFile))
	return resp.FID, int64(resp.EndOfFile), nil
}

// releaseAdmin disconnects the ADMIN$ tree before the session is handed on, as the SMB2 path
// unmounts it: whatever uses the session next (the registry read) needs only IPC$, and a
// session should not keep administrative access to a disk open for longer than the read. It
// reports whether the session is still fit to hand on; a refused disconnect is (the tree is
// the server's to drop at LOGOFF), a failed exchange is not. The read's Outcome is decided
// already, so nothing here changes it beyond the step.
func (c *smb1Check) releaseAdmin(ctx context.Context, host string) bool {
	if c.c.TID() == 0 {
		return true // ADMIN$ was refused: no tree to release
	}
	st, err := c.c.TreeDisconnect(ctx)
	switch {
	case err != nil:
		c.note("", "the ADMIN$ tree could not be released: "+err.Error())
		return false
	case st != ntstatus.Success:
		c.note(statusText(st), `TREE_DISCONNECT \`+host+`\ADMIN$ refused; the tree ends with the session`)
	default:
		c.note(statusText(st), `\`+host+`\ADMIN$ released before the session is handed on`)
	}
	return c.c.Usable(ctx)
}

// close and logoff are best effort, and not tried on a connection that already failed.
func (c *smb1Check) close(ctx context.Context, fid uint16) {
	if c.c.Usable(ctx) {
		c.c.Close(ctx, fid)
	}
}

func (c *smb1Check) logoff(ctx context.Context) {
	if c.c.Usable(ctx) {
		c.c.Logoff(ctx)
	}
}

// smb1File reads the open file with READ_ANDX; a refusal comes back as the ntstatus.Status.
type smb1File struct {
	c   *smbclient.SMB1
	ctx context.Context
	fid uint16
}

func (f *smb1File) ReadAt(p []byte, off int64) (int, error) { return f.c.ReadAt(f.ctx, f.fid, p, off) }
