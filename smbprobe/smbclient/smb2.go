package smbclient

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"sync/atomic"
	"time"

	"github.com/hirochachacha/go-smb2"

	"github.com/scan445/scan445/smbprobe/ntlmssp"
	"github.com/scan445/scan445/smbprobe/ntstatus"
)

// NTLMInitiator is go-smb2's NTLMv2 initiator for cred. go-smb2 always gets the hash, so a
// password never reaches a second library.
func NTLMInitiator(cred ntlmssp.Credentials) *smb2.NTLMInitiator {
	h := cred.Hash
	return &smb2.NTLMInitiator{User: cred.User, Domain: cred.Domain, Hash: h[:]}
}

// ClassifySMB2 turns an error of go-smb2 behind g into this package's: the guard's violation
// (ErrProtocol) first, since go-smb2 hides transport errors; then ErrTimeout when ctx ended;
// a status the server sent as the ntstatus.Status (go-smb2's os.ErrPermission is
// STATUS_ACCESS_DENIED, os.ErrNotExist STATUS_OBJECT_NAME_NOT_FOUND); go-smb2's
// InvalidResponseError and InternalError as ErrProtocol; anything else as ErrDropped.
func ClassifySMB2(ctx context.Context, g *Guard, err error) error {
	var re *smb2.ResponseError
	var ie *smb2.InvalidResponseError
	var inte *smb2.InternalError
	switch {
	case err == nil:
		return nil
	case errors.Is(err, ErrProtocol), errors.Is(err, ErrTimeout), errors.Is(err, ErrDropped), errors.Is(err, ErrNotSent):
		return err // already ours
	case g != nil && g.Violation() != nil:
		return g.Violation()
	case ctx.Err() != nil:
		return fmt.Errorf("%w: host budget exhausted (%v)", ErrTimeout, err)
	case errors.As(err, &re):
		return ntstatus.Status(re.Code)
	case errors.Is(err, os.ErrPermission):
		return ntstatus.AccessDenied
	case errors.Is(err, os.ErrNotExist):
		return ntstatus.ObjectNameNotFound
	case errors.As(err, &ie) && g != nil && g.unsignedInterim.Load() && ie.Message == "signing required":
		return fmt.Errorf("%w: go-smb2 refused the server's unsigned interim (STATUS_PENDING) response on a signing-required session; MS-SMB2 has interim responses unsigned: a limitation of go-smb2 v1.1.0", ErrProtocol)
	case errors.As(err, &ie):
		return fmt.Errorf("%w: %s", ErrProtocol, ie.Message)
	case errors.As(err, &inte):
		return fmt.Errorf("%w: %s", ErrProtocol, inte.Message)
	}
	return fmt.Errorf("%w: %v", ErrDropped, err)
}

// smb2Session is an authenticated go-smb2 session.
type smb2Session struct {
	conn    net.Conn
	guard   *Guard
	sess    *smb2.Session
	share   *smb2.Share
	host    string
	timeout time.Duration
	ctx     context.Context // the session's lifetime, which go-smb2's share and files keep
	stop    func() bool
	expired atomic.Bool // a watchdog closed the connection
}

func openSMB2(ctx context.Context, conn net.Conn, cfg SessionConfig) (Session, error) {
	s := &smb2Session{conn: conn, guard: NewGuard(conn), host: cfg.Host, timeout: cfg.Timeout, ctx: ctx}
	s.stop = context.AfterFunc(ctx, func() { conn.Close() })
	err := s.bounded(ctx, func(ctx context.Context) error {
		d := &smb2.Dialer{Initiator: NTLMInitiator(cfg.Cred)}
		sess, err := d.DialContext(ctx, s.guard)
		s.sess = sess
		return err
	})
	if err != nil {
		s.stop()
		conn.Close()
		return nil, err
	}
	return s, nil
}

// bounded runs one go-smb2 call under the exchange timeout: go-smb2 keeps its own deadlines
// off the conn, so a watchdog closes the connection when the call overruns (the session is
// then spent, as a Link is after a timeout). The call gets the session's context, which
// go-smb2 keeps in the shares and files it opens; ctx, the caller's, is checked before.
func (s *smb2Session) bounded(ctx context.Context, call func(context.Context) error) error {
	if s.expired.Load() {
		return fmt.Errorf("%w: the connection already timed out", ErrNotSent)
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("%w: %w: host budget exhausted", ErrNotSent, ErrTimeout)
	}
	t := time.AfterFunc(s.timeout, func() {
		s.expired.Store(true)
		s.conn.Close()
	})
	err := call(s.ctx)
	t.Stop()
	if err != nil && s.expired.Load() && (s.guard.Violation() == nil) {
		return fmt.Errorf("%w: no complete reply in time", ErrTimeout)
	}
	return ClassifySMB2(s.ctx, s.guard, err)
}

func (s *smb2Session) Dialect() Dialect { return DialectSMB2 }

func (s *smb2Session) OpenPipe(ctx context.Context, name string) (Pipe, error) {
	if err := checkPipe(name); err != nil {
		return nil, err
	}
	if s.share == nil {
		path := `\\` + s.host + `\IPC$`
		err := s.bounded(ctx, func(ctx context.Context) error {
			sh, err := s.sess.WithContext(ctx).Mount(path)
			s.share = sh
			return err
		})
		if err != nil {
			return nil, refusal(StageTree, "TREE_CONNECT "+path+" refused", err)
		}
	}
	var f *smb2.File
	err := s.bounded(ctx, func(ctx context.Context) error {
		var err error
		f, err = s.share.WithContext(ctx).OpenFile(name, os.O_RDWR, 0)
		return err
	})
	if err != nil {
		return nil, refusal(StageOpen, `CREATE \`+name+" refused", err)
	}
	return &smb2Pipe{s: s, f: f}, nil
}

// refusal wraps a status refusal in a RefusedError and passes other errors on.
func refusal(stage, what string, err error) error {
	var st ntstatus.Status
	if errors.As(err, &st) {
		return &RefusedError{Stage: stage, Status: st, What: what}
	}
	return err
}

func (s *smb2Session) Close(ctx context.Context) error {
	defer func() {
		s.stop()
		s.conn.Close()
	}()
	if s.expired.Load() || ctx.Err() != nil {
		return nil
	}
	return s.bounded(ctx, func(context.Context) error {
		if s.share != nil {
			s.share.Umount()
		}
		return s.sess.Logoff()
	})
}

// smb2Pipe is a pipe opened as a file on IPC$ by go-smb2: a WRITE of the request, a READ of
// the reply (go-smb2 has no FSCTL_PIPE_TRANSCEIVE).
type smb2Pipe struct {
	s *smb2Session
	f *smb2.File
}

func (p *smb2Pipe) Transact(ctx context.Context, msg []byte) ([]byte, error) {
	if err := p.Write(ctx, msg); err != nil {
		return nil, err
	}
	return p.Read(ctx)
}

func (p *smb2Pipe) Write(ctx context.Context, msg []byte) error {
	return p.s.bounded(ctx, func(context.Context) error {
		n, err := p.f.Write(msg)
		if err == nil && n != len(msg) {
			err = fmt.Errorf("%w: pipe took %d of %d bytes", ErrProtocol, n, len(msg))
		}
		return err
	})
}

func (p *smb2Pipe) Read(ctx context.Context) ([]byte, error) {
	buf := make([]byte, MaxFrame)
	var n int
	err := p.s.bounded(ctx, func(context.Context) error {
		var err error
		n, err = p.f.Read(buf)
		if errors.Is(err, io.EOF) && n > 0 {
			err = nil
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	if n == 0 {
		return nil, fmt.Errorf("%w: empty pipe read", ErrProtocol)
	}
	return buf[:n], nil
}

func (p *smb2Pipe) Close(ctx context.Context) error {
	return p.s.bounded(ctx, func(context.Context) error { return p.f.Close() })
}

// SMB2Session is a go-smb2 session its caller logged on over guard (which wraps conn) as a
// Session, for the same hand-over as SMB1Session. ctx bounds the session's life (the
// connection is closed when it ends) and timeout each exchange (DefaultTimeout when 0). The
// Session owns conn and sess from now on.
func SMB2Session(ctx context.Context, conn net.Conn, guard *Guard, sess *smb2.Session, host string, timeout time.Duration) Session {
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	s := &smb2Session{conn: conn, guard: guard, sess: sess, host: host, timeout: timeout, ctx: ctx}
	s.stop = context.AfterFunc(ctx, func() { conn.Close() })
	return s
}
