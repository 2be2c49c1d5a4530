package smbprobe

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

// maxFrame bounds every NetBIOS frame we accept: the largest reply we provoke is a DCE/RPC
// fragment of 4280 bytes inside an SMB header, so 64 KiB is generous and a hostile length
// costs nothing.
const maxFrame = 64 << 10

// Errors a probe step can fail with; verdict reasons quote them.
var (
	// ErrProtocol means the host answered something that is not the protocol reply expected.
	ErrProtocol = errors.New("smbprobe: protocol error")
	// ErrDropped means the host closed or reset the connection.
	ErrDropped = errors.New("smbprobe: connection dropped")
	// ErrTimeout means a reply did not arrive within Options.ReadTimeout or the host budget.
	ErrTimeout = errors.New("smbprobe: timeout")
	// ErrRefused is the srvsvc chokepoint refusing a request that is not in the plan or not
	// allowed by the options (the intrusive probe without --intrusive).
	ErrRefused = errors.New("smbprobe: request refused by the safety chokepoint")
	// ErrNotSent marks a failure before the request was completely written: the host never
	// received it, so nothing it did can be blamed on it.
	ErrNotSent = errors.New("smbprobe: request not sent")
)

// link is one TCP connection with per-exchange deadlines. Closing the conn when ctx ends
// unblocks any read, so neither a silent nor a trickling host can hold a worker past its
// budget.
type link struct {
	conn    net.Conn
	timeout time.Duration
	res     *Result
	stop    func() bool
	broken  error // the first I/O failure: the connection carries nothing after it
}

func newLink(ctx context.Context, conn net.Conn, timeout time.Duration, res *Result) *link {
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	return &link{conn: conn, timeout: timeout, res: res, stop: stop}
}

func (l *link) close() {
	if l == nil || l.conn == nil {
		return
	}
	l.stop()
	l.conn.Close()
}

// deadline is one exchange's deadline: a whole reply must arrive by then, however it is
// chopped, so a server sending a byte a second cannot reset it.
func (l *link) deadline(ctx context.Context) time.Time {
	d := time.Now().Add(l.timeout)
	if cd, ok := ctx.Deadline(); ok && cd.Before(d) {
		d = cd
	}
	return d
}

// roundTrip sends one SMB message and returns the next session message the host sends.
func (l *link) roundTrip(ctx context.Context, payload []byte) ([]byte, error) {
	if l.broken != nil {
		return nil, fmt.Errorf("%w: the connection already failed: %w", ErrNotSent, l.broken)
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("%w: %w: host budget exhausted", ErrNotSent, ErrTimeout)
	}
	l.res.RoundTrips++
	d := l.deadline(ctx)
	if err := l.conn.SetDeadline(d); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrNotSent, l.fail(classify(ctx, err)))
	}
	if err := netbios.WriteFrame(l.conn, payload); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrNotSent, l.fail(classify(ctx, err)))
	}
	return l.readMessage(ctx)
}

// fail records the first I/O failure of the connection and returns err.
func (l *link) fail(err error) error {
	if l.broken == nil {
		l.broken = err
	}
	return err
}

// usable reports whether the connection can still carry a request.
func (l *link) usable(ctx context.Context) bool { return l.broken == nil && ctx.Err() == nil }

// readMessage reads the next session message (keep-alives skipped) under the deadline set by
// the caller's exchange.
func (l *link) readMessage(ctx context.Context) ([]byte, error) {
	for {
		typ, payload, err := netbios.ReadFrame(l.conn, maxFrame)
		if err != nil {
			return nil, l.fail(classify(ctx, err))
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

// readMore reads one more message for the current exchange (SMB2 interim responses) with a
// fresh deadline.
func (l *link) readMore(ctx context.Context) ([]byte, error) {
	if err := l.conn.SetReadDeadline(l.deadline(ctx)); err != nil {
		return nil, l.fail(classify(ctx, err))
	}
	return l.readMessage(ctx)
}

// classify turns I/O errors into the package's sentinels, keeping the cause.
func classify(ctx context.Context, err error) error {
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
