package main

import (
	"context"
	"fmt"
	"io"
	"sync"
	"sync/atomic"
	"time"

	"github.com/scan445/scan445/scanner"
)

// progress redraws one status line on stderr. Only used when stderr is a terminal.
type progress struct {
	w          io.Writer
	total      uint64
	done, open atomic.Uint64
	started    time.Time
	stopOnce   sync.Once
	quit, gone chan struct{}
}

func startProgress(w io.Writer, total, alreadyDone uint64) *progress {
	p := &progress{w: w, total: total, started: time.Now(), quit: make(chan struct{}), gone: make(chan struct{})}
	p.total += alreadyDone
	p.done.Store(alreadyDone)
	go p.loop(alreadyDone)
	return p
}

func (p *progress) add(r scanner.HostResult) {
	p.done.Add(1)
	if r.Status == scanner.StatusOpen {
		p.open.Add(1)
	}
}

func (p *progress) loop(base uint64) {
	defer close(p.gone)
	t := time.NewTicker(250 * time.Millisecond)
	defer t.Stop()
	for {
		select {
		case <-p.quit:
			fmt.Fprint(p.w, "\r\033[K")
			return
		case <-t.C:
			done := p.done.Load()
			elapsed := time.Since(p.started).Seconds()
			rate := float64(done-base) / max(elapsed, 0.001)
			fmt.Fprintf(p.w, "\r\033[K%d/%d hosts  %.0f/s  open %d  ETA %s", done, p.total, rate, p.open.Load(), eta(p.total-min(done, p.total), rate))
		}
	}
}

// eta is the time left for remaining hosts at rate hosts per second, to the second.
func eta(remaining uint64, rate float64) string {
	if rate <= 0 {
		return "?"
	}
	return time.Duration(float64(remaining) / rate * float64(time.Second)).Round(time.Second).String()
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
