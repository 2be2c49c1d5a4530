package smbprobe

import (
	"context"
	"errors"
	"fmt"
	"net"

	"github.com/scan445/scan445/smbprobe/smb1"
)

// smb drives the SMB side of a probe. One connection serves an SMB1 host from NEGOTIATE to
// LOGOFF. A host that answers our multi-dialect NEGOTIATE with SMB2 gets a second connection
// offering NT LM 0.12 alone, to learn whether SMBv1 is on (and to run the SMB1 checks there);
// the first connection continues in SMB2 only when SMB1 is off.
func (r *run) smb(ctx context.Context, conn net.Conn) {
	if !r.anySMBCheck() {
		if conn != nil {
			conn.Close()
		}
		return
	}
	if conn == nil {
		r.stop("connect", errors.New("no connection"))
		return
	}
	conn, err := r.open(ctx, conn)
	if err != nil {
		r.stop("transport", err)
		return
	}
	l := r.newLink(ctx, conn)
	c := newSMB1(r, l)
	all := []string{smb1.DialectNTLM012, smb1.DialectSMB2002, smb1.DialectSMB2Wild}
	n, x, derr, err := c.negotiate(ctx, all)
	if err != nil {
		if errors.Is(err, ErrDropped) && r.redial != nil && ctx.Err() == nil {
			// Some SMB2-only stacks drop any SMB1-framed message: try SMB2 framing.
			l.Close()
			if l2, derr := r.dial(ctx); derr == nil {
				c2 := newSMB2(r, l2)
				if c2.negotiate(ctx) {
					r.f.failed, r.f.failErr, r.res.Error = "", nil, ""
					r.f.smb1.set(triNo, "the host closed the connection on an SMB1 NEGOTIATE and speaks SMB2", x.i)
					r.smb2Flow(ctx, c2)
					return
				}
				return
			}
		}
		r.stop("smb1.negotiate", err)
		return
	}
	if n.SMB2 {
		c2 := newSMB2(r, l)
		if !c2.upgrade(ctx, n.Raw, x) {
			return
		}
		if r.needSMB1() && r.trySMB1(ctx) {
			return
		}
		r.smb2Flow(ctx, c2)
		return
	}
	ok, err := c.readNegotiate(n, x, derr)
	if err != nil {
		r.stop("smb1.negotiate", err)
		return
	}
	if !ok {
		r.f.smb1.set(triNo, "the host accepted none of NT LM 0.12, SMB 2.002, SMB 2.???", x.i)
		r.stop("smb1.negotiate", fmt.Errorf("%w: no common dialect", ErrProtocol))
		return
	}
	r.f.smb2.set(triNo, "the host chose NT LM 0.12 over SMB 2.002 / SMB 2.???", x.i)
	r.smb1Flow(ctx, c, n.Resp)
}

// trySMB1 opens a second connection offering NT LM 0.12 alone. It returns true when SMBv1 was
// accepted and the SMB1 flow ran there.
func (r *run) trySMB1(ctx context.Context) bool {
	if r.redial == nil {
		r.f.smb1.set(triUnknown, "SMBv1 not tested: no second connection available")
		return false
	}
	l, err := r.dial(ctx)
	if err != nil {
		r.f.smb1.set(triUnknown, "SMBv1 not tested: second connection failed: "+err.Error())
		return false
	}
	defer l.Close()
	c := newSMB1(r, l)
	only := []string{smb1.DialectNTLM012}
	n, x, derr, err := c.negotiate(ctx, only)
	switch {
	case err != nil && errors.Is(err, ErrDropped):
		r.f.smb1.set(triNo, "the host closed the connection on an NT LM 0.12-only NEGOTIATE", x.i)
		return false
	case err != nil:
		r.f.smb1.set(triUnknown, "SMBv1 NEGOTIATE: "+err.Error(), x.i)
		return false
	case n.SMB2:
		x.done("SMB2 reply", "SMB2 answer to an NT LM 0.12-only NEGOTIATE")
		r.f.smb1.set(triNo, "the host answered an NT LM 0.12-only NEGOTIATE with SMB2", x.i)
		return false
	}
	ok, err := c.readNegotiate(n, x, derr)
	if err != nil {
		r.f.smb1.set(triUnknown, "SMBv1 NEGOTIATE: "+err.Error(), x.i)
		return false
	}
	if !ok {
		r.f.smb1.set(triNo, "the host refused NT LM 0.12 (DialectIndex 0xFFFF)", x.i)
		return false
	}
	r.smb1Flow(ctx, c, n.Resp)
	return true
}
