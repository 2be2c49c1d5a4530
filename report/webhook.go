package report

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sync"
	"time"
)

// WebhookOptions bounds the webhook's queue and retries.
type WebhookOptions struct {
	QueueSize   int           // tickets waiting for delivery; Send beyond this is a failure (default 256)
	MaxAttempts int           // per ticket, including the first (default 5)
	BaseBackoff time.Duration // wait after the first failure, doubled each retry (default 500ms)
	MaxBackoff  time.Duration // cap on the wait (default 30s)
	Timeout     time.Duration // per request, when client has none (default 10s)
	Header      http.Header   // extra headers, e.g. an Authorization token
	// BreakAfter failed attempts in a row (any tickets) mean the receiver is down: the ticket
	// being retried gives up, the next one waits BreakFor before it is tried, and Close fails
	// what is still queued at once instead of spending its whole deadline on a dead URL
	// (default 3 attempts, 30s).
	BreakAfter int
	BreakFor   time.Duration
}

// WebhookOutcome counts what became of the tickets, for a one-line summary.
type WebhookOutcome struct {
	Delivered, Failed int
	LastError         string // the receiver's last failure, without the URL
}

// Webhook posts tickets as JSON to a URL from a background goroutine, so that a slow or dead
// receiver never slows the scan. Failures are collected for the report.
type Webhook struct {
	url    string
	client *http.Client
	opts   WebhookOptions
	queue  chan Ticket

	ctx     context.Context // cancelled when Close gives up, to abort in-flight requests
	cancel  context.CancelFunc
	done    chan struct{}
	closing chan struct{} // closed by Close: a waiting breaker stops waiting

	mu        sync.Mutex
	closed    bool
	failures  []string
	delivered int
	inARow    int       // failed attempts since the last success
	brokeAt   time.Time // when inARow reached BreakAfter
	lastErr   string
}

// NewWebhook starts the delivery goroutine. The URL must be http or https.
func NewWebhook(rawURL string, client *http.Client, opts WebhookOptions) (*Webhook, error) {
	u, err := url.Parse(rawURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("%w: webhook url must be http(s)://host/…", ErrMalformed)
	}
	if client == nil {
		client = &http.Client{}
	}
	if opts.QueueSize <= 0 {
		opts.QueueSize = 256
	}
	if opts.MaxAttempts <= 0 {
		opts.MaxAttempts = 5
	}
	if opts.BaseBackoff <= 0 {
		opts.BaseBackoff = 500 * time.Millisecond
	}
	if opts.MaxBackoff <= 0 {
		opts.MaxBackoff = 30 * time.Second
	}
	if opts.Timeout <= 0 {
		opts.Timeout = 10 * time.Second
	}
	if opts.BreakAfter <= 0 {
		opts.BreakAfter = 3
	}
	if opts.BreakFor <= 0 {
		opts.BreakFor = 30 * time.Second
	}
	ctx, cancel := context.WithCancel(context.Background())
	wh := &Webhook{
		url: rawURL, client: client, opts: opts,
		queue: make(chan Ticket, opts.QueueSize),
		ctx:   ctx, cancel: cancel, done: make(chan struct{}), closing: make(chan struct{}),
	}
	go wh.run()
	return wh, nil
}

// Send queues a ticket and returns at once. A full queue, or a Send after Close, is recorded as
// a failure instead of blocking.
func (wh *Webhook) Send(t Ticket) {
	wh.mu.Lock()
	defer wh.mu.Unlock()
	if wh.closed {
		wh.failures = append(wh.failures, fmt.Sprintf("ticket %s: webhook already closed", t.DedupKey))
		return
	}
	select {
	case wh.queue <- t:
	default:
		wh.failures = append(wh.failures, fmt.Sprintf("ticket %s: webhook queue full (%d), not sent", t.DedupKey, wh.opts.QueueSize))
	}
}

// Close stops accepting tickets, waits for the queue to drain until ctx ends, then aborts what
// is left. When the receiver is down (BreakAfter failures in a row) the queue is failed at
// once: a dead URL must not stretch a two-second scan to the whole deadline. It returns every
// failure, one line per ticket, for Document.WebhookFailures.
func (wh *Webhook) Close(ctx context.Context) []string {
	wh.mu.Lock()
	if !wh.closed {
		wh.closed = true
		close(wh.queue)
		close(wh.closing)
	}
	wh.mu.Unlock()
	select {
	case <-wh.done:
	case <-ctx.Done():
		wh.cancel()
		<-wh.done
	}
	wh.cancel()
	wh.mu.Lock()
	defer wh.mu.Unlock()
	return append([]string(nil), wh.failures...)
}

// Outcome counts delivered and failed tickets; call it after Close.
func (wh *Webhook) Outcome() WebhookOutcome {
	wh.mu.Lock()
	defer wh.mu.Unlock()
	return WebhookOutcome{Delivered: wh.delivered, Failed: len(wh.failures), LastError: wh.lastErr}
}

func (wh *Webhook) fail(format string, args ...any) {
	wh.mu.Lock()
	wh.failures = append(wh.failures, fmt.Sprintf(format, args...))
	wh.mu.Unlock()
}

func (wh *Webhook) run() {
	defer close(wh.done)
	for t := range wh.queue {
		if wh.ctx.Err() != nil {
			wh.fail("ticket %s: not sent, webhook closed before delivery", t.DedupKey)
			continue
		}
		if err := wh.waitBreaker(); err != nil {
			wh.fail("ticket %s: not sent: %v", t.DedupKey, err)
			continue
		}
		if err := wh.deliver(t); err != nil {
			wh.fail("ticket %s: %v", t.DedupKey, err)
		}
	}
}

// broken reports whether the receiver failed BreakAfter attempts in a row, and since when.
func (wh *Webhook) broken() (bool, time.Time, error) {
	wh.mu.Lock()
	defer wh.mu.Unlock()
	if wh.inARow < wh.opts.BreakAfter {
		return false, time.Time{}, nil
	}
	return true, wh.brokeAt, fmt.Errorf("the receiver failed %d attempts in a row (last: %s)", wh.inARow, wh.lastErr)
}

// waitBreaker lets a ticket through when the receiver is not known to be down; otherwise it
// waits out BreakFor and lets one ticket try again, unless Close came first.
func (wh *Webhook) waitBreaker() error {
	down, since, err := wh.broken()
	if !down {
		return nil
	}
	select {
	case <-wh.closing:
		return err
	default:
	}
	timer := time.NewTimer(time.Until(since.Add(wh.opts.BreakFor)))
	defer timer.Stop()
	select {
	case <-timer.C:
		return nil
	case <-wh.closing:
		return err
	case <-wh.ctx.Done():
		return err
	}
}

// attempted records the result of one POST for the breaker.
func (wh *Webhook) attempted(err error) {
	wh.mu.Lock()
	defer wh.mu.Unlock()
	if err == nil {
		wh.inARow = 0
		wh.delivered++
		return
	}
	wh.inARow++
	wh.lastErr = err.Error()
	if wh.inARow >= wh.opts.BreakAfter {
		wh.brokeAt = time.Now() // opens the breaker, or starts a new pause after a failed trial
	}
}

// deliver posts one ticket, retrying network errors, 429 and 5xx with exponential backoff.
func (wh *Webhook) deliver(t Ticket) error {
	body, err := json.Marshal(t)
	if err != nil {
		return err
	}
	wait := wh.opts.BaseBackoff
	var last error
	for attempt := 1; attempt <= wh.opts.MaxAttempts; attempt++ {
		retry, err := wh.post(body)
		wh.attempted(err)
		if err == nil {
			return nil
		}
		last = fmt.Errorf("attempt %d/%d: %w", attempt, wh.opts.MaxAttempts, err)
		if !retry || attempt == wh.opts.MaxAttempts {
			break
		}
		if down, _, why := wh.broken(); down {
			return fmt.Errorf("%w; gave up: %v", last, why)
		}
		timer := time.NewTimer(wait)
		select {
		case <-timer.C:
		case <-wh.ctx.Done():
			timer.Stop()
			return fmt.Errorf("%w; gave up: webhook closed", last)
		}
		wait = min(wait*2, wh.opts.MaxBackoff)
	}
	return last
}

func (wh *Webhook) post(body []byte) (retry bool, err error) {
	ctx, cancel := context.WithTimeout(wh.ctx, wh.opts.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, wh.url, bytes.NewReader(body))
	if err != nil {
		return false, err
	}
	for k, vs := range wh.opts.Header {
		for _, v := range vs {
			req.Header.Add(k, v)
		}
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "scan445-webhook")
	resp, err := wh.client.Do(req)
	if err != nil {
		// The client's error quotes the URL, whose query may hold a token: keep only the cause.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
			if ue.Timeout() {
				err = fmt.Errorf("no answer within %v", wh.opts.Timeout)
			}
		}
		return wh.ctx.Err() == nil, err
	}
	// Drain a bounded amount so the connection can be reused.
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	switch {
	case resp.StatusCode >= 200 && resp.StatusCode < 300:
		return false, nil
	case resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode >= 500:
		return true, fmt.Errorf("HTTP %d", resp.StatusCode)
	default:
		return false, fmt.Errorf("HTTP %d (not retried)", resp.StatusCode)
	}
}
