package report

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func fastOpts() WebhookOptions {
	// BreakAfter above MaxAttempts: these tests are about one ticket's retries, not the breaker.
	return WebhookOptions{MaxAttempts: 4, BaseBackoff: 5 * time.Millisecond, MaxBackoff: 20 * time.Millisecond, Timeout: 2 * time.Second, BreakAfter: 100}
}

func TestWebhookRetriesUntilDelivered(t *testing.T) {
	var calls atomic.Int32
	var mu sync.Mutex
	got := map[string]int{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// Every ticket fails twice (503, then 429) before it is accepted.
		var tk Ticket
		if err := json.NewDecoder(r.Body).Decode(&tk); err != nil || r.Header.Get("Content-Type") != "application/json" {
			http.Error(w, "bad request", http.StatusBadRequest)
			return
		}
		mu.Lock()
		got[tk.DedupKey]++
		n := got[tk.DedupKey]
		mu.Unlock()
		calls.Add(1)
		switch n {
		case 1:
			w.WriteHeader(http.StatusServiceUnavailable)
		case 2:
			w.WriteHeader(http.StatusTooManyRequests)
		default:
			w.WriteHeader(http.StatusAccepted)
		}
	}))
	defer srv.Close()
	if !strings.HasPrefix(srv.URL, "http://127.0.0.1:") {
		t.Fatalf("test server not on loopback: %s", srv.URL)
	}
	wh, err := NewWebhook(srv.URL, srv.Client(), fastOpts())
	if err != nil {
		t.Fatal(err)
	}
	tickets := Tickets(fixtureDocument())
	for _, tk := range tickets {
		wh.Send(tk)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if failures := wh.Close(ctx); len(failures) != 0 {
		t.Fatalf("failures: %v", failures)
	}
	if int(calls.Load()) != 3*len(tickets) || len(got) != len(tickets) {
		t.Fatalf("%d calls for %d tickets (%d distinct), want 3 each", calls.Load(), len(tickets), len(got))
	}
}

func TestWebhookFailures(t *testing.T) {
	cases := []struct {
		name      string
		status    int
		wantCalls int32
		wantErr   string
	}{
		{"server error exhausts attempts", http.StatusInternalServerError, 4, "attempt 4/4: HTTP 500"},
		{"client error is not retried", http.StatusForbidden, 1, "HTTP 403 (not retried)"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var calls atomic.Int32
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				calls.Add(1)
				w.WriteHeader(c.status)
			}))
			defer srv.Close()
			wh, err := NewWebhook(srv.URL, srv.Client(), fastOpts())
			if err != nil {
				t.Fatal(err)
			}
			wh.Send(Ticket{DedupKey: "k1"})
			f := wh.Close(context.Background())
			if len(f) != 1 || !strings.Contains(f[0], "k1") || !strings.Contains(f[0], c.wantErr) {
				t.Fatalf("failures %q, want one containing %q", f, c.wantErr)
			}
			if calls.Load() != c.wantCalls {
				t.Fatalf("%d calls, want %d", calls.Load(), c.wantCalls)
			}
		})
	}
}

// A receiver that hangs must neither block Send nor Close past its deadline; what could not be
// delivered is reported.
func TestWebhookNeverBlocks(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer srv.Close()
	defer close(release)
	opts := fastOpts()
	opts.QueueSize = 2
	wh, err := NewWebhook(srv.URL, srv.Client(), opts)
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	for i := range 10 {
		wh.Send(Ticket{DedupKey: "t" + string(rune('0'+i))})
	}
	if d := time.Since(start); d > 500*time.Millisecond {
		t.Fatalf("Send blocked for %v", d)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	start = time.Now()
	f := wh.Close(ctx)
	if d := time.Since(start); d > 3*time.Second {
		t.Fatalf("Close took %v past its deadline", d)
	}
	// 10 tickets: one in flight, at most 2 queued, the rest overflowed; all of them fail.
	if len(f) != 10 {
		t.Fatalf("%d failures, want 10: %q", len(f), f)
	}
	overflow := 0
	for _, s := range f {
		if strings.Contains(s, "queue full") {
			overflow++
		}
	}
	if overflow < 7 {
		t.Fatalf("%d overflow failures, want ≥ 7: %q", overflow, f)
	}
	wh.Send(Ticket{DedupKey: "late"})
}

func TestNewWebhookRejectsBadURL(t *testing.T) {
	for _, u := range []string{"", "ftp://127.0.0.1/x", "127.0.0.1:80", "http://"} {
		if _, err := NewWebhook(u, nil, WebhookOptions{}); err == nil {
			t.Errorf("accepted %q", u)
		}
	}
}

// deadURL is a loopback URL nothing listens on (a port just released), with a token in its
// query and userinfo that must never appear in a failure.
func deadURL(t *testing.T) string {
	t.Helper()
	srv := httptest.NewServer(http.NotFoundHandler())
	addr := srv.Listener.Addr().String()
	srv.Close()
	return "http://hookuser:hookpass@" + addr + "/hook?token=s3cret-token"
}

// A receiver that is down must not cost the whole Close deadline: once BreakAfter attempts in a
// row failed, what is queued fails at once. Counted in requests, not timed.
func TestWebhookBreakerFailsQueueAtOnce(t *testing.T) {
	for _, tc := range []struct {
		name string
		url  func(t *testing.T, calls *atomic.Int32) string
	}{
		{"server errors", func(t *testing.T, calls *atomic.Int32) string {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				calls.Add(1)
				w.WriteHeader(http.StatusServiceUnavailable)
			}))
			t.Cleanup(srv.Close)
			return srv.URL + "/hook?token=s3cret-token"
		}},
		{"connection refused", func(t *testing.T, _ *atomic.Int32) string { return deadURL(t) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var calls atomic.Int32
			opts := fastOpts()
			opts.MaxAttempts = 5
			opts.BreakAfter = 3
			opts.BreakFor = time.Hour // only Close can end the pause
			wh, err := NewWebhook(tc.url(t, &calls), nil, opts)
			if err != nil {
				t.Fatal(err)
			}
			for i := range 109 {
				wh.Send(Ticket{DedupKey: "t" + strconv.Itoa(i)})
			}
			// Wait for the breaker to open (the first ticket's third failure).
			for wait := 0; ; wait++ {
				if down, _, _ := wh.broken(); down {
					break
				}
				if wait > 5000 {
					t.Fatal("the breaker never opened")
				}
				time.Sleep(2 * time.Millisecond)
			}
			// No deadline: without the breaker this Close would retry 108 tickets 5 times each.
			failures := wh.Close(context.Background())
			if len(failures) != 109 {
				t.Fatalf("%d failures, want 109", len(failures))
			}
			if tc.name == "server errors" && calls.Load() != 3 {
				t.Fatalf("%d requests, want 3: the dead receiver was retried past the breaker", calls.Load())
			}
			out := wh.Outcome()
			if out.Failed != 109 || out.Delivered != 0 || out.LastError == "" {
				t.Fatalf("outcome %+v", out)
			}
			for _, f := range append(failures, out.LastError) {
				if strings.Contains(f, "s3cret") || strings.Contains(f, "hookpass") {
					t.Fatalf("a failure quotes the URL's secret: %q", f)
				}
			}
			if !strings.Contains(failures[108], "in a row") {
				t.Fatalf("queued ticket failure does not say why: %q", failures[108])
			}
		})
	}
}

// After BreakFor the breaker lets a ticket try again, and a receiver that came back gets the
// rest.
func TestWebhookBreakerRecovers(t *testing.T) {
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if calls.Add(1) <= 3 {
			w.WriteHeader(http.StatusBadGateway)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	}))
	defer srv.Close()
	opts := fastOpts()
	opts.BreakAfter = 3
	opts.BreakFor = 20 * time.Millisecond
	wh, err := NewWebhook(srv.URL, srv.Client(), opts)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 5 {
		wh.Send(Ticket{DedupKey: "t" + strconv.Itoa(i)})
	}
	// Give the worker time to pass the pause before Close stops waiting; Close without a
	// deadline then drains the rest.
	for calls.Load() < 4 {
		time.Sleep(5 * time.Millisecond)
	}
	failures := wh.Close(context.Background())
	if out := wh.Outcome(); out.Delivered != 4 || out.Failed != 1 || len(failures) != 1 {
		t.Fatalf("outcome %+v, failures %q; want the first ticket lost and 4 delivered", out, failures)
	}
}
