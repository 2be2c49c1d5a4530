package credcheck

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"time"

	"github.com/hirochachacha/go-smb2"

	"github.com/scan445/scan445/smbprobe/ntstatus"
	"github.com/scan445/scan445/smbprobe/smbclient"
)

// smb2MaxRead keeps each SMB2 READ to one credit (64 KiB); the parser never needs more.
const smb2MaxRead = 64 << 10

// ReadNetapiVersionSMB2 logs on to the host behind conn with cred over SMB2/3 (go-smb2,
// NTLMv2), reads the version resource of \\host\ADMIN$\system32\netapi32.dll and judges it.
// host is the address as the UNC path names it (an IP literal). timeout bounds the whole
// check. conn is consumed: it is closed before the function returns, which is also what
// unblocks go-smb2's receiver when the host stalls.
//
// A refusal by the server (logon failure, access denied, no ADMIN$, file missing) or an
// unparseable file gives an unknown Outcome with a Reason and a nil error; a timeout, a
// dropped connection or a protocol violation gives the Outcome and an error wrapping
// ErrTimeout, ErrConnection or ErrProtocol.
func ReadNetapiVersionSMB2(ctx context.Context, conn net.Conn, host string, cred Credentials, timeout time.Duration) (Outcome, error) {
	out, _, err := readNetapiSMB2(ctx, conn, host, cred, timeout, nil)
	return out, err
}

// readNetapiSMB2 is ReadNetapiVersionSMB2; with keep, a session that is still sound after the
// read is not logged off but handed back (see ReadNetapiVersionSession).
func readNetapiSMB2(ctx context.Context, conn net.Conn, host string, cred Credentials, timeout time.Duration, keep *SessionConfig) (Outcome, smbclient.Session, error) {
	out := Outcome{Protocol: "SMB2", Account: cred.Account(), Path: adminPath(host), ServicePack: ServicePackUnavailable}
	if err := cred.validate(); err != nil {
		conn.Close()
		out.fail(ReasonBadInput, err.Error())
		return out, nil, err
	}
	life := ctx
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	// The read's watchdog: closing the connection is what unblocks go-smb2's receiver when
	// the host stalls.
	stop := context.AfterFunc(ctx, func() { conn.Close() })

	guard := smbclient.NewGuard(conn)
	out.guard = guard
	d := &smb2.Dialer{Initiator: cred.initiator()}
	s, err := d.DialContext(ctx, guard)
	if err != nil {
		stop()
		conn.Close()
		return out, nil, out.smb2Error(ctx, "smb2.negotiate+session-setup", stageLogon, err)
	}
	out.step("smb2.negotiate+session-setup", statusText(ntstatus.Success), "NTLMv2 logon as "+out.Account+" accepted")
	err = readAdminSMB2(ctx, s.WithContext(ctx), host, &out)
	// Hand the session on only when the read left it sound: no transport failure, and the
	// watchdog has not fired (stop reports that it had not).
	if keep != nil && err == nil && ctx.Err() == nil && guard.Violation() == nil && stop() {
		return out, smbclient.SMB2Session(life, conn, guard, s, host, keep.ExchangeTimeout), nil
	}
	s.WithContext(ctx).Logoff()
	stop()
	conn.Close()
	return out, nil, err
}

// readAdminSMB2 reads and judges netapi32.dll on the logged-on session sess: ADMIN$ is
// mounted for the read and unmounted after it.
func readAdminSMB2(ctx context.Context, sess *smb2.Session, host string, out *Outcome) error {
	share, err := sess.Mount(`\\` + host + `\ADMIN$`)
	if err != nil {
		return out.smb2Error(ctx, "smb2.tree-connect", stageTree, err)
	}
	out.step("smb2.tree-connect", statusText(ntstatus.Success), `\\`+host+`\ADMIN$ connected`)
	fs := share.WithContext(ctx)
	defer fs.Umount()

	f, err := fs.Open(AdminFile)
	if err != nil {
		return out.smb2Error(ctx, "smb2.create", stageOpen, err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return out.smb2Error(ctx, "smb2.query-info", stageRead, err)
	}
	out.FileSize = fi.Size()
	out.step("smb2.create", statusText(ntstatus.Success), fmt.Sprintf("%s opened for read, %d bytes", AdminFile, out.FileSize))

	r := newChunkReader(&smb2File{f: f}, out.FileSize, smb2MaxRead)
	out.judge(r)
	if r.readErr != nil {
		return out.smb2Error(ctx, "smb2.read", stageRead, r.readErr)
	}
	out.step("smb2.read", statusText(ntstatus.Success), fmt.Sprintf("%d bytes in %d reads; %s", out.BytesRead, out.ReadCalls, out.Detail))
	return nil
}

// smb2File adapts go-smb2's File, whose ReadAt returns a short count with a nil error at the
// end of the file.
type smb2File struct{ f *smb2.File }

func (s *smb2File) ReadAt(p []byte, off int64) (int, error) {
	n, err := s.f.ReadAt(p, off)
	if err == nil && n < len(p) {
		err = io.EOF
	}
	return n, err
}

func adminPath(host string) string { return `\\` + host + `\ADMIN$\` + AdminFile }

// smb2Error records a failed step and classifies go-smb2's error (smbclient.ClassifySMB2).
// Refusals by status are data (nil error); everything else is an error.
func (o *Outcome) smb2Error(ctx context.Context, step, stage string, err error) error {
	cerr := smbclient.ClassifySMB2(ctx, o.guard, err)
	var st ntstatus.Status
	switch {
	case errors.Is(cerr, smbclient.ErrProtocol):
		o.fail(ReasonProtocol, step+": "+cerr.Error())
		o.step(step, "", o.Detail)
		return fmt.Errorf("%w: %s: %v", ErrProtocol, step, cerr)
	case errors.Is(cerr, smbclient.ErrTimeout):
		o.fail(ReasonTimeout, step+": no complete answer within the time budget")
		o.step(step, "", o.Detail)
		return fmt.Errorf("%w: %s", ErrTimeout, step)
	case errors.As(cerr, &st):
		what := step + " refused"
		if errors.Is(err, os.ErrNotExist) {
			what += " (name or path not found)"
		}
		o.refused(reasonFor(stage, st), st, what)
		o.step(step, statusText(st), o.Detail)
		return nil
	case errors.Is(err, errReadBudget), errors.Is(err, io.ErrUnexpectedEOF) && stage == stageRead:
		o.fail(ReasonUnreadable, err.Error())
		o.step(step, "", o.Detail)
		return nil
	}
	o.fail(ReasonConnection, step+": "+err.Error())
	o.step(step, "", o.Detail)
	return fmt.Errorf("%w: %s: %v", ErrConnection, step, err)
}
