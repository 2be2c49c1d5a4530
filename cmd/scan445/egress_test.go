package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/scan445/scan445/egress"
	"github.com/scan445/scan445/report"
)

// TestEgressCommand: no --to explains and exits 2; an open port is egress-…-open, exposed,
// exit 1, in the JSON report of a scan; a refused port is blocked, exit 0; bad values are
// usage errors.
func TestEgressCommand(t *testing.T) {
	code, _, stderr := runCLI(t, "", "egress")
	if code != exitUsage || !strings.Contains(stderr, "--to HOST[:PORT] is required") || !strings.Contains(stderr, "no default host") {
		t.Errorf("no --to: exit %d, stderr %q", code, stderr)
	}
	for _, bad := range [][]string{{"--to", "host:99999"}, {"--to", "127.3.5.30:445", "extra"}, {"--to", "127.3.5.30", "--timeout", "0s"}} {
		if code, _, stderr := runCLI(t, "", append([]string{"egress"}, bad...)...); code != exitUsage {
			t.Errorf("%v: exit %d (%s)", bad, code, stderr)
		}
	}

	port := listeners(t, "127.3.5.30")
	out := filepath.Join(t.TempDir(), "egress.json")
	code, stdout, stderr := runCLI(t, "", "egress", "--to", fmt.Sprintf("127.3.5.30:%d", port), "--json", out)
	if code != exitFindings {
		t.Fatalf("open port: exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
	id := fmt.Sprintf("egress-%d-open", port)
	if !strings.Contains(stdout, id) || !strings.Contains(stdout, "exposed") {
		t.Errorf("console: %q", stdout)
	}
	raw, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if errs := report.Validate(raw); len(errs) > 0 {
		t.Errorf("the egress report does not follow report/schema.json: %v", errs)
	}
	doc, err := readReportFile(out)
	if err != nil {
		t.Fatal(err)
	}
	f := doc.Hosts[0].SMB.Findings[0]
	if f.Check != id || f.Verdict != "exposed" || f.ID == "" || len(doc.Hosts[0].SMB.Exchanges) != 1 {
		b, _ := json.Marshal(doc.Hosts[0])
		t.Errorf("report: %s", b)
	}

	code, stdout, _ = runCLI(t, "", "egress", "--to", "127.3.5.31:445")
	if code != 0 || !strings.Contains(stdout, "not-affected") || !strings.Contains(stdout, "reset (RST)") {
		t.Errorf("refused: exit %d, %q", code, stdout)
	}
}

// TestEgressInterrupted: Ctrl-C before or during the run leaves an incomplete report, exit 3,
// and no port reported as blocked for want of an answer.
func TestEgressInterrupted(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var d net.Dialer
	targets, _ := egress.ParseTarget("127.3.5.32")
	doc, code := runEgress(ctx, d.DialContext, targets, time.Second)
	if code != exitIncomplete || doc.Complete || doc.Interrupted == "" {
		t.Errorf("exit %d, complete %v, interrupted %q", code, doc.Complete, doc.Interrupted)
	}
	for _, h := range doc.Hosts {
		if v := h.SMB.Findings[0].Verdict; v != "unknown" {
			t.Errorf("%s:%d judged %s after the interrupt", h.Address, h.Port, v)
		}
	}
}
