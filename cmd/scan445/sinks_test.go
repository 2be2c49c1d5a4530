package main

import (
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sync/atomic"
	"testing"
)

// TestWebhookWithBaselineOverHostsWithoutSMB: with --webhook and --baseline, each finished host
// is marked against the baseline for its tickets; a host that never spoke SMB (closed on both
// ports) has nothing to mark and must not stop the scan (it used to dereference the missing
// SMB result and panic).
func TestWebhookWithBaselineOverHostsWithoutSMB(t *testing.T) {
	var posts atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { posts.Add(1) }))
	defer srv.Close()
	dir := t.TempDir()
	base := filepath.Join(dir, "base.json")
	if code, _, stderr := runCLI(t, "", "scan", "127.3.2.98", "--checks", "none", "--timeout", "1s", "--json", base); code != exitOK {
		t.Fatalf("baseline run: exit %d: %s", code, stderr)
	}
	code, _, stderr := runCLI(t, "", "scan", "127.3.2.98", "--checks", "none", "--timeout", "1s", "--json", filepath.Join(dir, "r.json"),
		"--baseline", base, "--webhook", srv.URL, "--webhook-wait", "2s")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if n := posts.Load(); n != 0 {
		t.Errorf("%d webhook posts for a closed host", n)
	}
}
