package smbclient

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"time"

	"github.com/scan445/scan445/smbprobe/ntlmssp"
	"github.com/scan445/scan445/smbprobe/ntstatus"
	"github.com/scan445/scan445/smbprobe/smb1"
)

// Dialect chooses the SMB family of an authenticated session.
type Dialect int

// The two families: our SMB1 client (Windows 2000, XP, 2003 speak nothing else) and go-smb2
// behind the frame guard (Vista and later, Samba).
const (
	DialectSMB1 Dialect = 1
	DialectSMB2 Dialect = 2
)

// String names the family as reports do.
func (d Dialect) String() string {
	switch d {
	case DialectSMB1:
		return "SMB1"
	case DialectSMB2:
		return "SMB2"
	}
	return fmt.Sprintf("dialect(%d)", int(d))
}

// DefaultTimeout bounds one exchange when SessionConfig.Timeout is 0.
const DefaultTimeout = 5 * time.Second

// ErrGuest means the server logged the account on as guest: the credentials were not
// accepted, and a guest session can do nothing an audit needs.
var ErrGuest = errors.New("smbclient: logged on as guest")

// SessionConfig says how to open an authenticated session.
type SessionConfig struct {
	// Host is the server's address (or name) as UNC paths name it: `\\Host\IPC$`.
	Host string
	// Cred is the NTLMv2 account. Its Hash is a secret: never log the struct.
	Cred ntlmssp.Credentials
	// Dialect is DialectSMB1 or DialectSMB2.
	Dialect Dialect
	// Timeout bounds each exchange (DefaultTimeout when 0); ctx bounds the whole session.
	Timeout time.Duration
	// OnExchange, when set, hears of every SMB1 exchange (go-smb2 does not report its own).
	OnExchange func(Exchange)
	// Auth is the randomness and clock of the SMB1 NTLMv2 AUTHENTICATE (tests).
	Auth ntlmssp.AuthOptions
}

// Session is an authenticated SMB session on one connection, able to open named pipes on
// IPC$. It is not safe for concurrent use.
type Session interface {
	// Dialect says which SMB family carries the session.
	Dialect() Dialect
	// OpenPipe opens the named pipe name (`winreg`, `samr`, without `\PIPE\`), connecting
	// IPC$ first if needed. A refusal is an error wrapping the ntstatus.Status. The pipes that
	// carry srvsvc (`srvsvc`, `browser`) are refused with ErrRefused: only the prober's safety
	// gate speaks srvsvc.
	OpenPipe(ctx context.Context, name string) (Pipe, error)
	// Close logs off (best effort) and closes the connection.
	Close(ctx context.Context) error
}

// Pipe is an open named pipe in message mode.
type Pipe interface {
	// Transact writes one message and returns the whole reply message.
	Transact(ctx context.Context, msg []byte) ([]byte, error)
	// Write writes one message without reading (the leading fragments of a long request).
	Write(ctx context.Context, msg []byte) error
	// Read returns the next message (the next fragment of a long reply).
	Read(ctx context.Context) ([]byte, error)
	// Close closes the pipe.
	Close(ctx context.Context) error
}

// OpenSession logs on to the server behind conn with cfg.Cred (NTLMv2) in cfg.Dialect. conn
// is consumed: closed by Session.Close, or before OpenSession returns an error. A refusal by
// the server (logon failure, no SMB1) is an error wrapping the ntstatus.Status where the
// server sent one; a guest logon is ErrGuest; transport failures wrap ErrTimeout, ErrDropped
// or ErrProtocol.
func OpenSession(ctx context.Context, conn net.Conn, cfg SessionConfig) (Session, error) {
	if cfg.Timeout <= 0 {
		cfg.Timeout = DefaultTimeout
	}
	if cfg.Cred.User == "" {
		conn.Close()
		return nil, fmt.Errorf("%w: no user name", ErrRefused)
	}
	switch cfg.Dialect {
	case DialectSMB1:
		return openSMB1(ctx, conn, cfg)
	case DialectSMB2:
		return openSMB2(ctx, conn, cfg)
	}
	conn.Close()
	return nil, fmt.Errorf("%w: unknown dialect %d", ErrRefused, cfg.Dialect)
}

// smb1Session is an authenticated SMB1 session.
type smb1Session struct {
	c    *SMB1
	host string
	ipc  bool // IPC$ is connected
}

// AuthenticateSMB1 negotiates NT LM 0.12 with extended security and logs on with lo.Cred
// (NTLMv2, raw NTLMSSP unless lo.SPNEGO, signing when the server requires it). It is the start
// of every credentialed SMB1 use: OpenSession's and the netapi32.dll check's. A server without
// NT LM 0.12 or without extended security is a RefusedError at stage "negotiate"; a refused
// logon one at stage "logon"; a guest logon wraps ErrGuest.
func AuthenticateSMB1(ctx context.Context, c *SMB1, lo Logon) (Negotiated, LogonResult, error) {
	if lo.Cred == nil {
		return Negotiated{}, LogonResult{}, fmt.Errorf("%w: no account to log on with", ErrRefused)
	}
	dialects := []string{smb1.DialectNTLM012}
	neg, err := c.Negotiate(ctx, dialects)
	switch {
	case err != nil:
		return neg, LogonResult{}, err
	case neg.SMB2:
		return neg, LogonResult{}, fmt.Errorf("%w: SMB2 reply to an SMB1 request", ErrProtocol)
	case neg.Header.Status != ntstatus.Success:
		return neg, LogonResult{}, &RefusedError{Stage: StageNegotiate, Status: neg.Header.Status, What: "NEGOTIATE refused"}
	case neg.Dialect == "":
		return neg, LogonResult{}, &RefusedError{Stage: StageNegotiate, What: "the host accepts no SMB1 dialect (DialectIndex 0xFFFF)"}
	case !neg.Resp.ExtendedSecurity():
		return neg, LogonResult{}, &RefusedError{Stage: StageNegotiate, What: "the host does not offer extended security (NTLMSSP)"}
	}
	lr, err := c.LogonNTLM(ctx, lo)
	switch {
	case err != nil:
		return neg, lr, err
	case !lr.Accepted:
		st := lr.Challenge.Status()
		what := "NTLMSSP NEGOTIATE refused"
		if lr.Legs == 2 {
			st, what = lr.Final.Status(), "NTLMv2 logon as "+account(*lo.Cred)+" refused"
		}
		return neg, lr, &RefusedError{Stage: StageLogon, Status: st, What: what}
	case lr.Guest:
		return neg, lr, fmt.Errorf("%w: the host logged %s on as guest: the credentials were not accepted", ErrGuest, account(*lo.Cred))
	}
	return neg, lr, nil
}

// Stages of an authenticated session, for RefusedError.
const (
	StageNegotiate = "negotiate"
	StageLogon     = "logon"
	StageTree      = "tree-connect"
	StageOpen      = "open"
)

// RefusedError is a server's refusal at one stage of a session: a status it sent, or an
// answer that rules the session out (no common dialect). errors.As finds it; errors.Is with
// an ntstatus.Status matches Status.
type RefusedError struct {
	Stage  string
	Status ntstatus.Status // 0 when the server sent no error status
	What   string
}

// Error says what was refused and with which status.
func (e *RefusedError) Error() string {
	if e.Status == 0 {
		return "smbclient: " + e.What
	}
	return "smbclient: " + e.What + " (" + e.Status.String() + ")"
}

// Unwrap exposes the status, so errors.As(err, &ntstatus.Status) works.
func (e *RefusedError) Unwrap() error {
	if e.Status == 0 {
		return nil
	}
	return e.Status
}

// gatedPipes carry srvsvc, which only the prober's safety gate may speak.
var gatedPipes = []string{"srvsvc", "browser"}

// checkPipe refuses a pipe that carries srvsvc, however it is spelled.
func checkPipe(name string) error {
	n := strings.ToLower(strings.Trim(name, "\x00 "))
	n = strings.TrimLeft(n, `\/`)
	n = strings.TrimPrefix(n, `pipe\`)
	n = strings.TrimPrefix(n, "pipe/")
	n = strings.TrimLeft(n, `\/`)
	for _, g := range gatedPipes {
		if n == g {
			return fmt.Errorf("%w: \\%s carries srvsvc, which only the prober's safety gate speaks", ErrRefused, name)
		}
	}
	return nil
}

func openSMB1(ctx context.Context, conn net.Conn, cfg SessionConfig) (Session, error) {
	l := NewLink(ctx, conn, cfg.Timeout)
	c := NewSMB1(l, cfg.OnExchange)
	cred := cfg.Cred
	if _, _, err := AuthenticateSMB1(ctx, c, Logon{Cred: &cred, Auth: cfg.Auth}); err != nil {
		if c.UID() != 0 && l.Usable(ctx) {
			c.Logoff(ctx)
		}
		l.Close()
		return nil, err
	}
	return &smb1Session{c: c, host: cfg.Host}, nil
}

func (s *smb1Session) Dialect() Dialect { return DialectSMB1 }

func (s *smb1Session) OpenPipe(ctx context.Context, name string) (Pipe, error) {
	if err := checkPipe(name); err != nil {
		return nil, err
	}
	if !s.ipc {
		path := `\\` + s.host + `\IPC$`
		st, _, err := s.c.TreeConnect(ctx, path)
		if err != nil {
			return nil, err
		}
		if st != ntstatus.Success {
			return nil, &RefusedError{Stage: StageTree, Status: st, What: "TREE_CONNECT_ANDX " + path + " refused"}
		}
		s.ipc = true
	}
	o, err := s.c.OpenPipe(ctx, name)
	if err != nil {
		return nil, err
	}
	if o.Status != ntstatus.Success {
		return nil, &RefusedError{Stage: StageOpen, Status: o.Status, What: `NT_CREATE_ANDX \` + name + " refused"}
	}
	return &smb1Pipe{c: s.c, fid: o.Resp.FID}, nil
}

func (s *smb1Session) Close(ctx context.Context) error {
	defer s.c.l.Close()
	if !s.c.Usable(ctx) {
		return nil
	}
	_, err := s.c.Logoff(ctx)
	return err
}

// smb1Pipe is a pipe opened by our SMB1 client.
type smb1Pipe struct {
	c   *SMB1
	fid uint16
}

// SMB1Pipe is the pipe fid of c as a Pipe, for callers that opened it themselves.
func SMB1Pipe(c *SMB1, fid uint16) Pipe { return &smb1Pipe{c: c, fid: fid} }

func (p *smb1Pipe) Transact(ctx context.Context, msg []byte) ([]byte, error) {
	return p.c.Transact(ctx, p.fid, msg)
}

func (p *smb1Pipe) Write(ctx context.Context, msg []byte) error {
	n, err := p.c.Write(ctx, p.fid, msg, 0)
	if err == nil && n != len(msg) {
		err = fmt.Errorf("%w: pipe took %d of %d bytes", ErrProtocol, n, len(msg))
	}
	return err
}

func (p *smb1Pipe) Read(ctx context.Context) ([]byte, error) { return p.c.ReadPipe(ctx, p.fid) }

func (p *smb1Pipe) Close(ctx context.Context) error {
	st, err := p.c.Close(ctx, p.fid)
	if err == nil && st != ntstatus.Success {
		err = st
	}
	return err
}

// SMB1Session is c, already logged on by its caller, as a Session: the netapi32.dll read
// (package credcheck) logs on, reads ADMIN$, and hands its session on to the registry read,
// so a credentialed host costs one connection and one logon. From now on c reports its
// exchanges to onExchange (may be nil). OpenPipe connects IPC$ (a TREE_CONNECT_ANDX, which
// becomes the client's tree; the netapi32.dll read has released ADMIN$ with TreeDisconnect
// before handing c on); Close logs c off and closes its Link.
func SMB1Session(c *SMB1, host string, onExchange func(Exchange)) Session {
	c.onExchange = onExchange
	return &smb1Session{c: c, host: host}
}
