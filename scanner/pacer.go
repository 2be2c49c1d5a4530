package scanner

import (
	"context"
	"time"

	"github.com/projectdiscovery/ratelimit"
)

// Pacer spaces out connection attempts. It wraps projectdiscovery/ratelimit, whose raw form has
// two traps (see shared/LIBRARIES.md): its fixed window releases the whole quota at each tick, so
// a window edge can let 2× the quota through, and it knows nothing of contexts. We slice the
// second into windows of about a millisecond carrying only a handful of tokens, so the worst
// edge burst is a few attempts, and check the context around every Take.
type Pacer struct {
	limiter *ratelimit.Limiter
	rate    int
	quota   uint
	period  time.Duration
}

// NewPacer returns a pacer allowing rate attempts per second; rate <= 0 means no limit. ctx must
// outlive every Wait: when it ends the underlying limiter stops limiting, and Wait then refuses.
func NewPacer(ctx context.Context, rate int) *Pacer {
	if rate <= 0 {
		return &Pacer{}
	}
	quota, period := window(rate)
	return &Pacer{limiter: ratelimit.New(ctx, quota, period), rate: rate, quota: quota, period: period}
}

// window picks the smallest quota that keeps the window at or above a millisecond (the ticker's
// useful resolution) and derives the period from it exactly, so quota/period == rate.
func window(rate int) (uint, time.Duration) {
	quota := (rate + 999) / 1000
	return uint(quota), time.Duration(int64(quota) * int64(time.Second) / int64(rate))
}

// Wait blocks until one more attempt may start, or ctx ends. After ctx ends it returns ctx's error
// even if a token was obtained, so no attempt starts late.
func (p *Pacer) Wait(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if p.limiter == nil {
		return nil
	}
	p.limiter.Take()
	return ctx.Err()
}

// Stop releases the limiter's goroutine. Call it only after every Wait has returned.
func (p *Pacer) Stop() {
	if p.limiter != nil {
		p.limiter.Stop()
	}
}

// Rate is the configured attempts per second (0: unlimited).
func (p *Pacer) Rate() int { return p.rate }
