package smbprobe_test

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/scan445/scan445/smbprobe"
	"github.com/scan445/scan445/smbprobe/credcheck"
)

var updateEvidence = flag.Bool("update-evidence", false, "rewrite testdata/evidence.golden from the lab")

// ephemeral hides what changes from run to run in an error text: local ports.
var ephemeral = regexp.MustCompile(`127\.0\.0\.1:\d+|:\d{4,5}->`)

// TestLabEvidenceGolden pins the evidence every lab personality yields (each Exchange's step,
// class, request, status and response, the credentialed one included) to a golden file, so a
// change of the SMB client beneath the prober cannot change a report's wording unnoticed.
// Hostile personalities are left out: what they yield depends on timing; so is the Conficker
// P2P exchange, which is not SMB.
func TestLabEvidenceGolden(t *testing.T) {
	lab := startLab(t, "127.3.1.21", &syncBuffer{})
	var b strings.Builder
	for _, h := range lab.Hosts() {
		per, _ := lab.Personality(h.Addr)
		if per.Hostile != "" {
			continue
		}
		opts := smbprobe.Options{ReadTimeout: 3 * time.Second}
		if per.Account != nil {
			opts.Credentials = &credcheck.Credentials{User: per.Account.User, Password: per.Account.Password}
		}
		p, err := smbprobe.New(opts)
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		res := probeAddr(ctx, t, p, h.AddrPort())
		cancel()
		fmt.Fprintf(&b, "== %s (%s) SMB round trips %d\n", per.Name, h.Addr, res.RoundTrips)
		for _, e := range res.Exchanges {
			if strings.HasPrefix(e.Step, "p2p.") {
				continue // ports derived from today's date, answered by whatever listens there
			}
			line := fmt.Sprintf("%s [%s] %s | %s | %s\n", e.Step, e.Class, e.Request, e.Status, e.Response)
			b.WriteString(ephemeral.ReplaceAllString(line, "127.0.0.1:PORT"))
		}
	}
	path := filepath.Join("testdata", "evidence.golden")
	if *updateEvidence {
		if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := b.String(); got != string(want) {
		gl, wl := strings.Split(got, "\n"), strings.Split(string(want), "\n")
		for i := 0; i < len(gl) && i < len(wl); i++ {
			if gl[i] != wl[i] {
				t.Fatalf("evidence differs from %s at line %d:\n got  %s\n want %s", path, i+1, gl[i], wl[i])
			}
		}
		t.Fatalf("evidence differs from %s: %d lines, want %d", path, len(gl), len(wl))
	}
}
