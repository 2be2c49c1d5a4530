package main

import (
	"context"
	"fmt"
	"io"
	"math"
	"sync"
	"sync/atomic"
	"time"

	"github.com/scan445/scan445/scanner"
)

// progress reports on stderr how far the scan is: one line redrawn in place when stderr is a
// terminal, or a plain line every few seconds when it is a log (CI), where \r redraws would
// pile up as one unreadable line or not show at all.
type progress struct {
	w          io.Writer
	total      uint64
	done, open atomic.Uint64
	started    time.Time
	every      time.Duration // 0: redraw in place (terminal); otherwise print a line this often
	stopOnce   sync.Once
	quit, gone chan struct{}
}

// sampleEvery is how often the rate is sampled, whatever the display.
const sampleEvery = 250 * time.Millisecond

// rateHalfLife is how fast the smoothed rate follows a change: after it, half of the way from
// the old rate to the new one is covered.
const rateHalfLife = 10 * time.Second

// newProgress starts the display the settings ask for, or returns nil.
func newProgress(w io.Writer, s *scanSettings, total, alreadyDone uint64) *progress {
	switch {
	case s.quiet:
		return nil
	case s.interactive:
		return startProgress(w, total, alreadyDone)
	case s.ops.progressEvery > 0:
		return startProgressLines(w, total, alreadyDone, s.ops.progressEvery)
	}
	return nil
}

func startProgress(w io.Writer, total, alreadyDone uint64) *progress {
	return startProgressLines(w, total, alreadyDone, 0)
}

func startProgressLines(w io.Writer, total, alreadyDone uint64, every time.Duration) *progress {
	p := &progress{w: w, total: total, started: time.Now(), every: every, quit: make(chan struct{}), gone: make(chan struct{})}
	p.total += alreadyDone
	p.done.Store(alreadyDone)
	go p.loop()
	return p
}

func (p *progress) add(r scanner.HostResult) {
	p.done.Add(1)
	if r.Status == scanner.StatusOpen {
		p.open.Add(1)
	}
}

func (p *progress) loop() {
	defer close(p.gone)
	t := time.NewTicker(sampleEvery)
	defer t.Stop()
	var est rateEstimator
	est.observe(p.started, p.done.Load())
	lastLine := p.started
	for {
		select {
		case <-p.quit:
			if p.every == 0 {
				fmt.Fprint(p.w, "\r\033[K")
			}
			return
		case now := <-t.C:
			done := p.done.Load()
			rate := est.observe(now, done)
			left := eta(p.total-min(done, p.total), rate)
			if p.every == 0 {
				fmt.Fprintf(p.w, "\r\033[K%d/%d hosts  %.0f/s  open %d  ETA %s", done, p.total, rate, p.open.Load(), left)
				continue
			}
			if now.Sub(lastLine) < p.every {
				continue
			}
			lastLine = now
			pct := 100.0
			if p.total > 0 {
				pct = 100 * float64(done) / float64(p.total)
			}
			fmt.Fprintf(p.w, "scan445: progress %d/%d hosts (%.1f%%), %.1f/s, %d open, %s elapsed, ETA %s\n",
				done, p.total, pct, rate, p.open.Load(), now.Sub(p.started).Round(time.Second), left)
		}
	}
}

// rateEstimator smooths the rate at which hosts finish with an exponential moving average over
// time, so that the ETA follows a scan that slows down. The average since the start kept the
// ETA at 0s while the rate fell from 92/s to 8/s.
type rateEstimator struct {
	start    time.Time
	last     time.Time
	lastDone uint64
	rate     float64
}

// observe takes the count of finished hosts at now and returns the smoothed rate per second.
func (e *rateEstimator) observe(now time.Time, done uint64) float64 {
	if e.last.IsZero() {
		e.start, e.last, e.lastDone = now, now, done
		return 0
	}
	dt := now.Sub(e.last).Seconds()
	if dt <= 0 {
		return e.rate
	}
	inst := float64(done-min(e.lastDone, done)) / dt
	// The weight of the new sample: that of an average with the given half-life, or more at
	// the start, where the average since the start is the better estimate.
	a := max(1-math.Exp2(-dt/rateHalfLife.Seconds()), dt/now.Sub(e.start).Seconds())
	e.rate += a * (inst - e.rate)
	e.last, e.lastDone = now, done
	return e.rate
}

// eta is the time left for remaining hosts at rate hosts per second, to the second. Hosts that
// remain never show as 0s.
func eta(remaining uint64, rate float64) string {
	if rate <= 0 {
		return "?"
	}
	d := time.Duration(float64(remaining) / rate * float64(time.Second)).Round(time.Second)
	if remaining > 0 && d < time.Second {
		return "<1s"
	}
	return d.String()
}

func (p *progress) stop() {
	p.stopOnce.Do(func() {
		close(p.quit)
		<-p.gone
	})
}

func contextWithTimeout(d time.Duration) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), d)
}
