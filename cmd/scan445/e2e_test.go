package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

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

	bin, err := exec.LookPath("chromium")
	if err != nil {
		if os.Getenv("SCAN445_REQUIRE_PEERS") == "1" {
			t.Fatal("chromium missing and SCAN445_REQUIRE_PEERS=1")
		}
		t.Skip("chromium not installed (apt-get install chromium); CI installs it")
	}
	browse := func(extra ...string) string {
		ctx, cancel := context.WithTimeout(context.Background(), 120*time.Second)
		defer cancel()
		args := append([]string{"--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
			"--disable-component-update", "--disable-sync", "--no-first-run", "--disable-dev-shm-usage",
			"--user-data-dir=" + t.TempDir()}, extra...)
		cmd := exec.CommandContext(ctx, bin, args...)
		cmd.Env = append(os.Environ(), "HOME="+t.TempDir())
		var out, errb bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &errb
		if err := cmd.Run(); err != nil {
			t.Fatalf("chromium: %v\n%s", err, errb.String())
		}
		return out.String()
	}
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
