package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/scan445/scan445/internal/testpeer"
	"github.com/scan445/scan445/smbprobe/smblab"
)

// startLab serves the given personalities (all of them when none are named) on a random
// 127.0.x.0 block and a free port, so parallel test packages never collide.
func startLab(t *testing.T, names ...string) (*smblab.Lab, string, int) {
	t.Helper()
	var ps []smblab.Personality
	for _, p := range smblab.DefaultPersonalities() {
		if len(names) == 0 || contains(names, p.Name) {
			ps = append(ps, p)
		}
	}
	if len(ps) == 0 {
		t.Fatalf("no personality named %v", names)
	}
	first := netip.AddrFrom4([4]byte{127, 0, byte(20 + rand.IntN(200)), 10})
	port := 20000 + rand.IntN(20000)
	ctx, cancel := context.WithCancel(context.Background())
	lab, err := smblab.Start(ctx, smblab.Options{First: first, Port: port, Personalities: ps, Hosts: len(ps)})
	if err != nil {
		cancel()
		t.Fatalf("lab: %v", err)
	}
	t.Cleanup(func() { lab.Close(); cancel() })
	last := lab.Hosts()[len(ps)-1].Addr
	return lab, fmt.Sprintf("%s-%s", first, last), port
}

// TestHostileLabHostReportIsInert scans the lab's injection host for real and opens the HTML
// report in headless Chromium: the Native OS and host name it sent (<script>, an <img onerror>)
// must show as text, never run or become elements; the CSV must neutralise formula cells.
func TestHostileLabHostReportIsInert(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a browser")
	}
	lab, targets, port := startLab(t, "hostile-injection", "xp-sp2")
	dir := t.TempDir()
	page, csvPath := filepath.Join(dir, "report.html"), filepath.Join(dir, "report.csv")
	code, _, stderr := runCLI(t, "", "scan", targets, "--port", fmt.Sprint(port), "--html", page, "--csv", csvPath, "--timeout", "2s")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	raw, _ := os.ReadFile(page)
	if !bytes.Contains(raw, []byte("&lt;script&gt;alert(1)&lt;/script&gt;")) {
		t.Fatalf("the hostile Native OS is not in the report, escaped; the test would prove nothing")
	}
	if len(lab.Crashes()) != 0 {
		t.Fatalf("the default scan crashed lab hosts: %v", lab.Crashes())
	}

	f, _ := os.Open(csvPath)
	rows, err := csv.NewReader(f).ReadAll()
	f.Close()
	if err != nil {
		t.Fatalf("CSV does not re-read: %v", err)
	}
	for _, row := range rows[1:] {
		for _, cell := range row {
			if cell != "" && strings.ContainsRune("=+-@\t\r", rune(cell[0])) {
				t.Fatalf("CSV cell %q would run as a formula", cell)
			}
		}
	}

	browse := func(extra ...string) string { return string(testpeer.Chromium(t, extra...)) }
	dom := browse("--virtual-time-budget=2000", "--dump-dom", "file://"+page)
	if !strings.Contains(dom, `data-js="ready"`) {
		t.Fatalf("the report's own script did not run; DOM starts %.300q", dom)
	}
	if title := regexp.MustCompile(`(?s)<title>(.*?)</title>`).FindStringSubmatch(dom); title == nil || !strings.HasPrefix(title[1], "scan445 report") {
		t.Fatalf("title changed: %q", title)
	}
	if n := strings.Count(strings.ToLower(dom), "<script"); n != 1 {
		t.Fatalf("%d <script> elements in the rendered page, want only ours", n)
	}
	if regexp.MustCompile(`(?i)<img[^>]*onerror`).MatchString(dom) {
		t.Fatal("an injected <img onerror> became an element")
	}
	shot := filepath.Join(dir, "hostile.png")
	browse("--hide-scrollbars", "--window-size=1280,2000", "--screenshot="+shot, "file://"+page)
	if st, err := os.Stat(shot); err != nil || st.Size() < 10000 {
		t.Fatalf("no screenshot: %v", err)
	}
}

func TestFailOnGatesOnLabFindings(t *testing.T) {
	_, infected, port := startLab(t, "xp-sp3-conficker-d")
	_, patched, port2 := startLab(t, "w2008-sp2")
	for _, tc := range []struct {
		targets string
		port    int
		failOn  string
		want    int
	}{
		{infected, port, "infected", exitFindings},
		{infected, port, "none", exitOK},
		{patched, port2, "infected", exitOK},
		{patched, port2, "exposed", exitOK},   // 2008 SP2 is not affected by MS08-067
		{patched, port2, "any", exitFindings}, // but SMBv1 is on and signing is not required
	} {
		junit := filepath.Join(t.TempDir(), "junit.xml")
		code, _, stderr := runCLI(t, "", "scan", tc.targets, "--port", fmt.Sprint(tc.port), "--fail-on", tc.failOn, "--junit", junit)
		if code != tc.want {
			t.Errorf("%s --fail-on %s: exit %d, want %d (%s)", tc.targets, tc.failOn, code, tc.want, stderr)
		}
		if b, err := os.ReadFile(junit); err != nil || !bytes.Contains(b, []byte("<testsuite")) {
			t.Errorf("no JUnit report written (%v)", err)
		}
	}
}

// TestCredentialedScanVerifiesHosts: with the lab's admin account, exposed hosts that serve
// ADMIN$ are verified from their netapi32.dll version; the secret never reaches the report.
func TestCredentialedScanVerifiesHosts(t *testing.T) {
	lab, targets, port := startLab(t, "xp-no-browser", "xp-sp3-patched", "xp-sp2")
	var acct *smblab.Account
	for _, h := range lab.Hosts() {
		if h.Account != nil {
			acct = h.Account
		}
	}
	if acct == nil {
		t.Fatal("no lab account")
	}
	t.Setenv("LAB_SECRET", acct.Password)
	out := filepath.Join(t.TempDir(), "r.json")
	code, stdout, stderr := runCLI(t, "", "scan", targets, "--port", fmt.Sprint(port), "--checks", "ms08-067",
		"--user", acct.User, "--password-env", "LAB_SECRET", "--json", out)
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	raw, _ := os.ReadFile(out)
	if bytes.Contains(raw, []byte(acct.Password)) || strings.Contains(stdout+stderr, acct.Password) {
		t.Fatal("the password leaked into the report or the output")
	}
	doc := loadDoc(t, out)
	got := map[string]string{}
	for _, h := range doc.Hosts {
		for _, f := range h.SMB.Findings {
			got[h.Address] = string(f.Verdict) + "/" + string(f.Class)
		}
	}
	want := map[string]string{}
	for _, h := range lab.Hosts() {
		switch {
		case h.Account != nil:
			want[h.Addr.String()] = string(h.CredTruth) + "/credentialed"
		default: // no account on this host: the login fails and the safe verdict stays
			want[h.Addr.String()] = "exposed/safe"
		}
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("verdicts %v, want %v", got, want)
	}
	if !strings.Contains(stdout, "2 hosts verified") || !strings.Contains(stdout, "1 stayed exposed") {
		t.Fatalf("the summary does not say which hosts were verified:\n%s", stdout)
	}
}

// TestReportMergeDiffCommands drives the report tooling on real scans of the lab: two shards
// merged back into the whole, a saved report re-rendered, and a diff that sees a host go away.
func TestReportMergeDiffCommands(t *testing.T) {
	_, targets, port := startLab(t, "xp-sp3-conficker-d", "xp-sp3-patched", "win7-sp1", "w2008-sp2")
	dir := t.TempDir()
	var shards []string
	for i := 0; i < 2; i++ {
		out := filepath.Join(dir, fmt.Sprintf("shard%d.json", i))
		code, _, stderr := runCLI(t, "", "scan", targets, "--port", fmt.Sprint(port), "--shard", fmt.Sprintf("%d/2", i), "--json", out)
		if code != exitOK {
			t.Fatalf("shard %d: exit %d: %s", i, code, stderr)
		}
		shards = append(shards, out)
	}
	all := filepath.Join(dir, "all.json")
	if code, _, stderr := runCLI(t, "", append([]string{"merge", "-o", all}, shards...)...); code != exitOK {
		t.Fatalf("merge: exit %d: %s", code, stderr)
	}
	merged := loadDoc(t, all)
	if len(merged.Hosts) != 4 || !merged.Complete {
		t.Fatalf("merged report: %d hosts, complete %v", len(merged.Hosts), merged.Complete)
	}

	html, csvOut := filepath.Join(dir, "r.html"), filepath.Join(dir, "r.csv")
	code, _, stderr := runCLI(t, "", "report", all, "--html", html, "--csv", csvOut, "--fail-on", "infected")
	if code != exitFindings {
		t.Fatalf("report --fail-on infected on a report with an infected host: exit %d (%s)", code, stderr)
	}
	for _, p := range []string{html, csvOut} {
		if st, err := os.Stat(p); err != nil || st.Size() == 0 {
			t.Fatalf("%s not written: %v", p, err)
		}
	}

	// The second shard alone as "new": the first shard's findings are gone (unverified).
	code, stdout, stderr := runCLI(t, "", "diff", all, shards[1])
	if code != exitOK || stdout == "" {
		t.Fatalf("diff: exit %d, %q %s", code, stdout, stderr)
	}
	first := loadDoc(t, shards[0])
	if !strings.Contains(stdout, first.Hosts[0].Address) {
		t.Fatalf("diff does not mention %s, which the new report lacks:\n%s", first.Hosts[0].Address, stdout)
	}
}

func TestConfickerPortsMatchesIndependentVector(t *testing.T) {
	// nmap 7.93 p2p-conficker under faketime (docs/checks.md §4b): 10.1.2.3 at
	// 2026-11-27T12:00:00Z → TCP 18263 and 15429, UDP 13471 and 11053.
	code, stdout, stderr := runCLI(t, "", "conficker-ports", "10.1.2.3", "--time", "2026-11-27T12:00:00Z")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if !strings.Contains(stdout, "18263,15429") || !strings.Contains(stdout, "13471,11053") {
		t.Fatalf("ports differ from nmap's vector:\n%s", stdout)
	}
	if code, _, _ := runCLI(t, "", "conficker-ports", "not-an-address"); code != exitUsage {
		t.Fatalf("bad address: exit %d", code)
	}
}

// TestP2PClockOverride: --p2p-week moves the week-dependent port pair and is recorded; the
// address-only pair still finds the lab's Conficker C peer whatever the clock says.
func TestP2PClockOverride(t *testing.T) {
	_, targets, port := startLab(t, "xp-sp3-conficker-c-p2p")
	out := filepath.Join(t.TempDir(), "r.json")
	code, _, stderr := runCLI(t, "", "scan", targets, "--port", fmt.Sprint(port), "--checks", "conficker-p2p",
		"--p2p-week", "2000", "--json", out)
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	doc := loadDoc(t, out)
	h := doc.Hosts[0]
	if v := h.SMB.Findings[0].Verdict; v != "infected" {
		t.Fatalf("verdict %s, want infected (the address-only ports do not depend on the week)", v)
	}
	found := false
	for _, e := range h.SMB.Exchanges {
		if e.Step == "p2p.hello" && strings.Contains(e.Request, "(week 2000)") {
			found = true
		}
	}
	if !found || doc.Options["p2p_time"] == "" {
		t.Fatalf("the week override is not in the evidence (%+v) or options (%v)", h.SMB.Exchanges, doc.Options)
	}
	if code, _, _ := runCLI(t, "", "scan", targets, "--port", fmt.Sprint(port), "--p2p-week", "1", "--p2p-time", "2026-01-01T00:00:00Z"); code != exitUsage {
		t.Fatalf("--p2p-week with --p2p-time: exit %d, want usage error", code)
	}
}

// TestWebhookReceivesNewFindingsDuringScan: each actionable finding of the infected host is
// POSTed as a ticket; with a baseline that already had them, nothing is sent again.
func TestWebhookReceivesNewFindingsDuringScan(t *testing.T) {
	_, targets, port := startLab(t, "xp-sp3-conficker-d")
	var mu sync.Mutex
	var got []map[string]any
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var m map[string]any
		if err := json.NewDecoder(r.Body).Decode(&m); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		mu.Lock()
		got = append(got, m)
		mu.Unlock()
		w.WriteHeader(http.StatusAccepted)
	}))
	defer srv.Close()
	first := filepath.Join(t.TempDir(), "first.json")
	code, _, stderr := runCLI(t, "", "scan", targets, "--port", fmt.Sprint(port), "--webhook", srv.URL, "--json", first)
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	mu.Lock()
	n := len(got)
	keys := map[string]bool{}
	for _, m := range got {
		keys[fmt.Sprint(m["dedup_key"])] = true
	}
	mu.Unlock()
	doc := loadDoc(t, first)
	if len(doc.WebhookFailures) != 0 {
		t.Fatalf("webhook failures: %v", doc.WebhookFailures)
	}
	want := 0
	for _, f := range doc.Hosts[0].SMB.Findings {
		if f.Verdict == "infected" || f.Verdict == "vulnerable" || f.Verdict == "exposed" {
			want++
			if !keys[f.ID] {
				t.Errorf("no ticket for %s %s (id %s)", f.Check, f.Verdict, f.ID)
			}
		}
	}
	if n != want || want == 0 {
		t.Fatalf("%d tickets posted, want %d", n, want)
	}
	// Same scan against its own baseline: every finding is unchanged, so no ticket is new.
	code, _, stderr = runCLI(t, "", "scan", targets, "--port", fmt.Sprint(port), "--webhook", srv.URL, "--baseline", first)
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(got) != n {
		t.Fatalf("%d tickets re-sent for unchanged findings", len(got)-n)
	}
}
