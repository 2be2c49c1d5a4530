package report

import (
	"bytes"
	"context"
	"encoding/json"
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
}

// Webhook posts tickets as JSON to a URL from a background goroutine, so that a slow or dead
// receiver never slows the scan. Failures are collected for the report.
type Webhook struct {
	url    string
	client *http.Client
	opts   WebhookOptions
	queue  chan Ticket

	ctx    context.Context // cancelled when Close gives up, to abort in-flight requests
	cancel context.CancelFunc
	done   chan struct{}

	mu       sync.Mutex
	closed   bool
	failures []string
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
	ctx, cancel := context.WithCancel(context.Background())
	wh := &Webhook{
		url: rawURL, client: client, opts: opts,
		queue: make(chan Ticket, opts.QueueSize),
		ctx:   ctx, cancel: cancel, done: make(chan struct{}),
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
// is left. It returns every failure, one line per ticket, for Document.WebhookFailures.
func (wh *Webhook) Close(ctx context.Context) []string {
	wh.mu.Lock()
	if !wh.closed {
		wh.closed = true
		close(wh.queue)
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
		if err := wh.deliver(t); err != nil {
			wh.fail("ticket %s: %v", t.DedupKey, err)
		}
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
		if err == nil {
			return nil
		}
		last = fmt.Errorf("attempt %d/%d: %w", attempt, wh.opts.MaxAttempts, err)
		if !retry || attempt == wh.opts.MaxAttempts {
			break
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
