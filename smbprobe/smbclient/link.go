package smbclient

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
)

// MaxFrame bounds every NetBIOS frame a Link accepts and every pipe message it reassembles.
// The largest replies we provoke are a DCE/RPC fragment of 4280 bytes inside an SMB header and
// a READ_ANDX of at most 61440 bytes of a file, so 64 KiB is enough and a hostile length costs
// nothing.
const MaxFrame = 64 << 10

// Errors an exchange can fail with. Callers quote them in verdict reasons and test them with
// errors.Is; an NTSTATUS refusal is not one of them (it comes back as an ntstatus.Status).
// The four transport errors keep the "smbprobe:" prefix they had before this package was
// split out of the prober: reports quote them, and a scan's report should not change wording
// because the code moved.
var (
	// ErrProtocol means the host answered something that is not the protocol reply expected.
	ErrProtocol = errors.New("smbprobe: protocol error")
	// ErrDropped means the host closed or reset the connection.
	ErrDropped = errors.New("smbprobe: connection dropped")
	// ErrTimeout means a reply did not arrive within the exchange's deadline or the caller's
	// budget (its context).
	ErrTimeout = errors.New("smbprobe: timeout")
	// ErrNotSent marks a failure before the request was completely written: the host never
	// received it, so nothing it did can be blamed on it.
	ErrNotSent = errors.New("smbprobe: request not sent")
	// ErrRefused is the client refusing a request itself: an interface that only a safety gate
	// may speak (srvsvc), or an operation the session is not in a state for.
	ErrRefused = errors.New("smbclient: request refused")
)

// Link is one connection carrying SMB messages in NetBIOS session frames, with a deadline on
// every exchange. Closing the conn when the context given to NewLink ends unblocks any read,
// so neither a silent nor a trickling host can hold a caller past its budget. A Link is not
// safe for concurrent use.
type Link struct {
	conn    net.Conn
	timeout time.Duration
	stop    func() bool
	broken  error // the first I/O failure: the connection carries nothing after it

	// OnSend, when set, is called once per request the link is about to write (the probe's
	// round-trip count).
	OnSend func()
}

// NewLink wraps conn, which the Link owns from now on. timeout bounds each exchange: a whole
// reply must arrive within it, however it is chopped.
func NewLink(ctx context.Context, conn net.Conn, timeout time.Duration) *Link {
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	return &Link{conn: conn, timeout: timeout, stop: stop}
}

// Close closes the connection. It is safe on a nil Link and more than once.
func (l *Link) Close() {
	if l == nil || l.conn == nil {
		return
	}
	l.stop()
	l.conn.Close()
}

// deadline is one exchange's deadline: a whole reply must arrive by then, so a server sending
// a byte a second cannot reset it.
func (l *Link) deadline(ctx context.Context) time.Time {
	d := time.Now().Add(l.timeout)
	if cd, ok := ctx.Deadline(); ok && cd.Before(d) {
		d = cd
	}
	return d
}

// RoundTrip sends one SMB message and returns the next session message the host sends
// (keep-alives skipped). An error wrapping ErrNotSent means the host received nothing.
func (l *Link) RoundTrip(ctx context.Context, payload []byte) ([]byte, error) {
	if l.broken != nil {
		return nil, fmt.Errorf("%w: the connection already failed: %w", ErrNotSent, l.broken)
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("%w: %w: host budget exhausted", ErrNotSent, ErrTimeout)
	}
	if l.OnSend != nil {
		l.OnSend()
	}
	if err := l.conn.SetDeadline(l.deadline(ctx)); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrNotSent, l.fail(Classify(ctx, err)))
	}
	if err := netbios.WriteFrame(l.conn, payload); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrNotSent, l.fail(Classify(ctx, err)))
	}
	return l.readMessage(ctx)
}

// fail records the first I/O failure of the connection and returns err.
func (l *Link) fail(err error) error {
	if l.broken == nil {
		l.broken = err
	}
	return err
}

// Usable reports whether the connection can still carry a request.
func (l *Link) Usable(ctx context.Context) bool { return l.broken == nil && ctx.Err() == nil }

// readMessage reads the next session message under the deadline set by the exchange.
func (l *Link) readMessage(ctx context.Context) ([]byte, error) {
	for {
		typ, payload, err := netbios.ReadFrame(l.conn, MaxFrame)
		if err != nil {
			return nil, l.fail(Classify(ctx, err))
		}
		switch typ {
		case netbios.TypeSessionMessage:
			return payload, nil
		case netbios.TypeKeepAlive:
			continue
		default:
			return nil, l.fail(fmt.Errorf("%w: NetBIOS packet type 0x%02x", ErrProtocol, typ))
		}
	}
}

// ReadMore reads one more message for the current exchange (SMB2 interim responses) with a
// fresh deadline.
func (l *Link) ReadMore(ctx context.Context) ([]byte, error) {
	if err := l.conn.SetReadDeadline(l.deadline(ctx)); err != nil {
		return nil, l.fail(Classify(ctx, err))
	}
	return l.readMessage(ctx)
}

// Classify turns an I/O error into ErrTimeout, ErrDropped or ErrProtocol, keeping the cause.
func Classify(ctx context.Context, err error) error {
	var ne net.Error
	switch {
	case ctx.Err() != nil:
		return fmt.Errorf("%w: host budget exhausted (%v)", ErrTimeout, err)
	case errors.Is(err, os.ErrDeadlineExceeded), errors.As(err, &ne) && ne.Timeout():
		return fmt.Errorf("%w: no complete reply in time", ErrTimeout)
	case errors.Is(err, netbios.ErrFrameTooLarge):
		return fmt.Errorf("%w: %v", ErrProtocol, err)
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, netbios.ErrTruncated),
		errors.Is(err, syscall.ECONNRESET), errors.Is(err, net.ErrClosed), errors.Is(err, syscall.EPIPE),
		errors.Is(err, io.ErrClosedPipe):
		return fmt.Errorf("%w: %v", ErrDropped, err)
	}
	return fmt.Errorf("%w: %v", ErrDropped, err)
}
