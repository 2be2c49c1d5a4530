package scanner

import (
	"context"
	"sync"
	"time"

	"github.com/projectdiscovery/ratelimit"
)

// Pacer spaces out connection attempts at a steady rate.
//
// It wraps projectdiscovery/ratelimit, whose raw forms have traps (shared/LIBRARIES.md). The
// fixed-window limiter releases its whole quota at each tick, so a window edge lets 2× through,
// and on a busy machine a late ticker drops ticks and the achieved rate sags far below the
// configured one (measured: 64% of 1000/s with 1 ms windows on 2 loaded cores). Its token-bucket
// form computes tokens from elapsed time instead, so late wake-ups are caught up, and its burst
// can be set to a millisecond's worth. Neither form knows contexts, and every concurrent Take
// queues a reservation further into the future, so one feeder goroutine is the only caller of
// Take and hands tokens to waiters over a channel that a context can abandon.
type Pacer struct {
	rate   int
	tokens chan struct{}
	stop   context.CancelFunc
	done   sync.WaitGroup
}

// NewPacer returns a pacer allowing rate attempts per second; rate <= 0 means no limit. Its
// feeder goroutine runs until ctx ends or Stop is called.
func NewPacer(ctx context.Context, rate int) *Pacer {
	p := &Pacer{rate: rate}
	if rate <= 0 {
		return p
	}
	ctx, p.stop = context.WithCancel(ctx)
	burst, every := bucket(rate)
	limiter := ratelimit.NewLeakyBucket(ctx, burst, every)
	p.tokens = make(chan struct{})
	p.done.Add(1)
	go func() {
		defer p.done.Done()
		for ctx.Err() == nil {
			limiter.Take()
			select {
			case p.tokens <- struct{}{}:
			case <-ctx.Done():
			}
		}
	}()
	return p
}

// bucket sizes the token bucket: one token every 1/rate seconds, and a burst of one
// millisecond's worth (at least 1), so no instant ever sees more than that at once.
func bucket(rate int) (uint, time.Duration) {
	burst := (rate + 999) / 1000
	return uint(burst), time.Second / time.Duration(rate)
}

// Wait blocks until one more attempt may start, or ctx ends.
func (p *Pacer) Wait(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if p.tokens == nil {
		return nil
	}
	select {
	case <-p.tokens:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Stop ends the feeder and waits for it (at most one token interval).
func (p *Pacer) Stop() {
	if p.stop != nil {
		p.stop()
		p.done.Wait()
	}
}

// Rate is the configured attempts per second (0: unlimited).
func (p *Pacer) Rate() int { return p.rate }
