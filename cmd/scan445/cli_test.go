package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/scan445/scan445/report"
)

var (
	binOnce sync.Once
	binPath string
	binErr  error
)

// scan445Binary builds the command once per test run: exit codes and messages are checked on
// the real binary, as a CI job would meet them.
func scan445Binary(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("builds the binary")
	}
	binOnce.Do(func() {
		dir, err := os.MkdirTemp("", "scan445-bin-")
		if err != nil {
			binErr = err
			return
		}
		binPath = filepath.Join(dir, "scan445")
		if out, err := exec.Command("go", "build", "-o", binPath, ".").CombinedOutput(); err != nil {
			binErr = fmt.Errorf("%v\n%s", err, out)
		}
	})
	if binErr != nil {
		t.Fatalf("build: %v", binErr)
	}
	return binPath
}

// countingListener accepts on 127.0.0.1 and counts connections: a refused run must send nothing.
func countingListener(t *testing.T) (port int, accepted *atomic.Int32) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	accepted = new(atomic.Int32)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			accepted.Add(1)
			c.Close()
		}
	}()
	return ln.Addr().(*net.TCPAddr).Port, accepted
}

// runBinary runs the real binary with a clean SCAN445_* environment plus env.
func runBinary(t *testing.T, env []string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	cmd := exec.Command(scan445Binary(t), args...)
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "SCAN445_") && !strings.HasPrefix(kv, "JOB_COMPLETION_INDEX=") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.Env = append(cmd.Env, env...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	if _, ok := err.(*exec.ExitError); err != nil && !ok {
		t.Fatal(err)
	}
	return cmd.ProcessState.ExitCode(), out.String(), errb.String()
}

// leaks are words of Go, of packages or of a temporary file that a user must never read.
var leaks = []string{"strconv", "parse error", "Unable to", "inner error", "flag provided but not defined",
	"smbprobe:", "report:", "credcheck:", "invalid character", ".tmp-", "for flag -"}

// TestBadRunsRefusedBeforeTheFirstPacket holds every bad run of issue 13 to exit 2, a message
// naming the problem in plain words, and no connection made.
func TestBadRunsRefusedBeforeTheFirstPacket(t *testing.T) {
	port, accepted := countingListener(t)
	dir := t.TempDir()
	write := func(name, text string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	typo := write("typo.yaml", "rate: 5\nratee: 5\n")
	badDuration := write("duration.yaml", "timeout: 3\n")
	cmdlineOnly := write("verbose.yaml", "verbose: true\n")
	notJSON := write("old.csv", "address,check\n10.0.0.1,ms08-067\n")
	saved := write("saved.json", `{"schema":"scan445/report/v1","tool":"scan445","hosts":[]}`)
	out := filepath.Join(dir, "r.json")
	target := []string{"127.0.0.1", "--port", fmt.Sprint(port), "--checks", "none"}
	scan := func(args ...string) []string { return append(append([]string{"scan"}, target...), args...) }

	for _, tc := range []struct {
		name string
		env  []string
		args []string
		want []string
	}{
		{"missing output directory", nil, scan("--json", "/nonexistent/dir/r.json"), []string{"--json /nonexistent/dir/r.json", "does not exist"}},
		{"output is a directory", nil, scan("--html", dir), []string{"--html", "is a directory"}},
		{"output is a device", nil, scan("--csv", "/dev/null"), []string{"--csv /dev/null", "not a regular file"}},
		{"two outputs one file", nil, scan("--json", out, "--html", out), []string{"--json", "--html", "both write"}},
		{"resume is the report", nil, scan("--json", out, "--resume", out), []string{"--resume", "--json", "same file"}},
		{"report overwrites the target list", nil, []string{"scan", "-iL", write("targets.txt", "127.0.0.1\n"), "--port", fmt.Sprint(port), "--csv", filepath.Join(dir, "targets.txt")},
			[]string{"--csv", "--input-list", "overwrite what the run reads"}},
		{"html over the baseline", nil, scan("--baseline", saved, "--html", saved), []string{"--html", "--baseline", "same file"}},
		{"report overwrites its input", nil, []string{"report", saved, "--html", saved}, []string{"--html", "the input", "same file"}},
		{"-v before the command", nil, []string{"-v", "scan", "127.0.0.1"}, []string{"-v is not a flag of scan445 itself", "scan445 scan -v", "scan445 version"}},
		{"scan flag before the command", nil, []string{"--rate", "5", "scan", "127.0.0.1"}, []string{"--rate is a flag of 'scan'"}},
		{"shard twice", nil, scan("--shard", "1/4", "--shard-count", "3"), []string{"--shard 1/4", "--shard-count 3"}},
		{"shard index alone", nil, scan("--shard-index", "2"), []string{"--shard-index 2", "--shard-count"}},
		{"quiet and verbose", nil, scan("--quiet", "--verbose"), []string{"--quiet", "--verbose"}},
		{"tickets format without tickets", nil, scan("--tickets-format", "jira-csv"), []string{"--tickets-format", "--tickets"}},
		{"webhook header without webhook", []string{"HOOK_AUTH=Authorization: Bearer x"}, scan("--webhook-header-env", "HOOK_AUTH"), []string{"--webhook-header-env", "--webhook"}},
		{"list targets with a report", nil, scan("-sL", "--json", out), []string{"--list-targets", "--json"}},
		{"unknown config key", nil, scan("--config", typo), []string{"typo.yaml", `"ratee"`, "did you mean rate?"}},
		{"config duration without unit", nil, scan("--config", badDuration), []string{"timeout: 3", "write 3s"}},
		{"config key for the command line only", nil, scan("--config", cmdlineOnly), []string{"verbose cannot be set in the file"}},
		{"missing config", nil, scan("--config", filepath.Join(dir, "none.yaml")), []string{"--config", "none.yaml: no such file"}},
		{"not a number", nil, scan("--rate", "abc"), []string{`--rate "abc": not a whole number`}},
		{"duration without unit", nil, scan("--timeout", "3"), []string{`--timeout "3"`, "write 3s"}},
		{"not a duration", nil, scan("--host-timeout", "soon"), []string{`--host-timeout "soon": not a duration`}},
		{"unknown flag", nil, scan("--bogus"), []string{"unknown flag --bogus", "scan445 scan --help"}},
		{"misspelt flag", nil, scan("--ratee", "5"), []string{"unknown flag --ratee: did you mean --rate?"}},
		{"flag without value", nil, []string{"scan", "127.0.0.1", "--json"}, []string{"--json needs a value"}},
		{"bad environment number", []string{"SCAN445_RATE=fast"}, scan(), []string{`SCAN445_RATE="fast": not a whole number (for --rate)`}},
		{"bad environment duration", []string{"SCAN445_TIMEOUT=3"}, scan(), []string{`SCAN445_TIMEOUT="3"`, "write 3s"}},
		{"bad fail-on", nil, scan("--fail-on", "sometimes"), []string{`--fail-on "sometimes": want one of infected`}},
		{"unknown check", nil, []string{"scan", "127.0.0.1", "--port", fmt.Sprint(port), "--checks", "ms08-067,foo"}, []string{`--checks: unknown check "foo"`}},
		{"baseline not a report", nil, scan("--baseline", notJSON), []string{"--baseline", "old.csv is not a scan445 JSON report"}},
		{"unset password variable", nil, []string{"scan", "127.0.0.1", "--port", fmt.Sprint(port), "--user", "bob", "--password-env", "SCAN445_TEST_NOPE"},
			[]string{"SCAN445_TEST_NOPE is not set"}},
		{"public address", nil, []string{"scan", "127.0.0.1", "192.0.2.7", "--port", fmt.Sprint(port)}, []string{"192.0.2.7", "--allow-public"}},
		{"report without output", nil, []string{"report", saved}, []string{"'scan445 report' has nothing to write", "--html FILE"}},
		{"report output missing directory", nil, []string{"report", saved, "--html", "/nonexistent/r.html"}, []string{"/nonexistent", "does not exist"}},
		{"merge tickets format without tickets", nil, []string{"merge", saved, "-o", out, "--tickets-format", "jira-csv"}, []string{"--tickets-format", "--tickets"}},
		{"misspelt command", nil, []string{"sacn", "127.0.0.1"}, []string{`unknown command "sacn": did you mean scan?`}},
		{"webhook not http", nil, scan("--webhook", "ftp://u:pw@127.0.0.1/x"), []string{"--webhook", "want an http:// or https:// URL", "REDACTED"}},
		{"unknown shell", nil, []string{"completion", "tcsh"}, []string{`unknown shell "tcsh"`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, stdout, stderr := runBinary(t, tc.env, tc.args...)
			if code != exitUsage {
				t.Fatalf("exit %d, want %d\nstdout: %s\nstderr: %s", code, exitUsage, stdout, stderr)
			}
			for _, w := range tc.want {
				if !strings.Contains(stderr, w) {
					t.Errorf("stderr does not say %q:\n%s", w, stderr)
				}
			}
			for _, l := range leaks {
				if strings.Contains(stderr, l) {
					t.Errorf("stderr leaks %q:\n%s", l, stderr)
				}
			}
			if n := strings.Count(strings.TrimSpace(stderr), "\n"); n > 0 {
				t.Errorf("want one line, got %d:\n%s", n+1, stderr)
			}
		})
	}
	if n := accepted.Load(); n != 0 {
		t.Fatalf("%d connections reached the target during refused runs", n)
	}
	if _, err := os.Stat(out); err == nil {
		t.Fatal("a refused run wrote a report")
	}
}

func TestVersionFlagAndCommand(t *testing.T) {
	for _, args := range [][]string{{"--version"}, {"version"}} {
		code, stdout, stderr := runBinary(t, nil, args...)
		if code != exitOK || !strings.HasPrefix(stdout, "scan445 ") {
			t.Errorf("%v: exit %d, stdout %q, stderr %q", args, code, stdout, stderr)
		}
	}
}

// An excluded public address is never touched, so it needs no --allow-public.
func TestExcludeAppliesBeforeThePublicRail(t *testing.T) {
	code, stdout, stderr := runCLI(t, "", "scan", "-sL", "--no-shuffle", "127.0.0.1-2", "192.0.2.7", "--exclude", "192.0.2.7")
	if code != exitOK || stdout != "127.0.0.1\n127.0.0.2\n" {
		t.Fatalf("exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
}

// A Kubernetes Indexed Job sets JOB_COMPLETION_INDEX in every pod; with --shard I/N that is
// no conflict.
func TestShardWithJobIndexIsNoConflict(t *testing.T) {
	t.Setenv("JOB_COMPLETION_INDEX", "1")
	code, stdout, stderr := runCLI(t, "", "scan", "-sL", "--no-shuffle", "--shard", "0/2", "127.0.0.1-4")
	if code != exitOK || strings.Count(stdout, "\n") != 2 {
		t.Fatalf("exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
}

// Config values are taken as a person writes them: one item or a comma list for a list flag,
// a number for a text flag.
func TestConfigFileValueForms(t *testing.T) {
	cfg := filepath.Join(t.TempDir(), "scan445.yaml")
	os.WriteFile(cfg, []byte("exclude: 127.0.0.2, 127.0.0.3\nseed: 42\nno-shuffle: true\ninput-list: [\"-\"]\n"), 0o644)
	code, stdout, stderr := runCLI(t, "127.0.0.1-5\n", "scan", "-sL", "--config", cfg)
	if code != exitOK || stdout != "127.0.0.1\n127.0.0.4\n127.0.0.5\n" {
		t.Fatalf("exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
}

func TestRedactURL(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"https://hooks.example/services/T0/B0", "https://hooks.example/services/T0/B0"},
		{"https://hooks.example/hook?token=s3cret&x=1", "https://hooks.example/hook?REDACTED"},
		{"http://user:s3cret@127.0.0.1:8080/hook", "http://REDACTED@127.0.0.1:8080/hook"},
		{"http://127.0.0.1/hook#s3cret", "http://127.0.0.1/hook#REDACTED"},
		{"--webhook=https://h.example/x?s3cret", "--webhook=https://h.example/x?REDACTED"},
		{"10.0.0.0/24", "10.0.0.0/24"},
		{"--rate=5", "--rate=5"},
		{"ftp://u:s3cret@127.0.0.1/x", "ftp://REDACTED@127.0.0.1/x"},
		{"bob@corp.example", "bob@corp.example"},
		{"CORP\\bob", "CORP\\bob"},
	} {
		if got := redactArgURL(tc.in); got != tc.want {
			t.Errorf("redactArgURL(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestWebhookHeaderSources(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "headers")
	os.WriteFile(file, []byte("# for the SOC's receiver\nX-Team: soc\n\nX-Api-Key: k-123\n"), 0o600)
	t.Setenv("HOOK_AUTH", "Authorization: Bearer t-456")
	h, err := readWebhookHeaders([]string{"HOOK_AUTH"}, file)
	if err != nil {
		t.Fatal(err)
	}
	if h.Get("Authorization") != "Bearer t-456" || h.Get("X-Team") != "soc" || h.Get("X-Api-Key") != "k-123" {
		t.Fatalf("headers %v", h)
	}
	for _, tc := range []struct {
		name, env, file string
		want            string
	}{
		{"unset variable", "", "", "not set"},
		{"no colon", "Bearer t-456", "", `want "Name: value"`},
		{"bad name", "Auth orization: x", "", "not a header name"},
		{"framing header", "Content-Length: 5", "", "set by scan445 itself"},
		{"empty file", "", "# nothing\n", "no \"Name: value\" line"},
		{"bad file line", "", "X-Ok: 1\nBearer t-456\n", "headers:2"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var vars []string
			if tc.env != "" || tc.name == "unset variable" {
				t.Setenv("HOOK_TEST", tc.env)
				if tc.name == "unset variable" {
					os.Unsetenv("HOOK_TEST")
				}
				vars = []string{"HOOK_TEST"}
			}
			f := ""
			if tc.file != "" {
				f = filepath.Join(t.TempDir(), "headers")
				os.WriteFile(f, []byte(tc.file), 0o600)
			}
			_, err := readWebhookHeaders(vars, f)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want %q", err, tc.want)
			}
			if strings.Contains(err.Error(), "t-456") {
				t.Fatalf("the error quotes the secret: %v", err)
			}
		})
	}
}

// TestWebhookDeadReceiverIsReportedAndRedacted scans lab hosts with findings against a dead
// webhook URL that carries a token: the failure is one line on stderr, the exit code stays the
// scan's, and the token appears nowhere (stderr, arguments, report).
func TestWebhookDeadReceiverIsReportedAndRedacted(t *testing.T) {
	_, targets, port := startLab(t, "xp-sp3-conficker-d", "xp-sp2")
	srv := httptest.NewServer(http.NotFoundHandler())
	dead := "http://hookuser:hookpass@" + srv.Listener.Addr().String() + "/hook?token=s3cret-token"
	srv.Close()
	out := filepath.Join(t.TempDir(), "r.json")
	start := time.Now()
	code, _, stderr := runCLI(t, "", "scan", targets, "--port", fmt.Sprint(port), "--json", out, "--webhook", dead)
	t.Logf("scan with a dead webhook took %v", time.Since(start)) // measured, not asserted
	if code != exitOK {
		t.Fatalf("exit %d, want %d (webhook failures do not change the exit code): %s", code, exitOK, stderr)
	}
	raw, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	doc := loadDoc(t, out)
	if len(doc.WebhookFailures) == 0 {
		t.Fatal("no webhook failure recorded; the test would prove nothing")
	}
	want := fmt.Sprintf("webhook: %d of %d findings not delivered to http://REDACTED@", len(doc.WebhookFailures), len(doc.WebhookFailures))
	if !strings.Contains(stderr, want) || !strings.Contains(stderr, "hook?REDACTED") {
		t.Fatalf("stderr does not summarise the failure (%q):\n%s", want, stderr)
	}
	if strings.Count(strings.TrimSpace(stderr), "\n") != 0 {
		t.Fatalf("more than one line on stderr:\n%s", stderr)
	}
	for _, where := range []string{stderr, string(raw), strings.Join(doc.Arguments, " ")} {
		if strings.Contains(where, "s3cret") || strings.Contains(where, "hookpass") {
			t.Fatalf("the webhook secret leaked:\n%.2000s", where)
		}
	}
	if !strings.Contains(strings.Join(doc.Arguments, " "), "--webhook http://REDACTED@") {
		t.Fatalf("arguments %q", doc.Arguments)
	}
}

// TestWebhookSendsHeadersFromEnvAndFile: a real loopback receiver sees the headers; nothing
// fails, so stderr stays silent.
func TestWebhookSendsHeadersFromEnvAndFile(t *testing.T) {
	_, targets, port := startLab(t, "xp-sp3-conficker-d")
	var mu sync.Mutex
	var got []http.Header
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var tk report.Ticket
		if json.NewDecoder(r.Body).Decode(&tk) != nil || tk.DedupKey == "" {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		mu.Lock()
		got = append(got, r.Header.Clone())
		mu.Unlock()
		w.WriteHeader(http.StatusAccepted)
	}))
	defer srv.Close()
	file := filepath.Join(t.TempDir(), "headers")
	os.WriteFile(file, []byte("X-Team: soc\n"), 0o600)
	t.Setenv("HOOK_AUTH", "Authorization: Bearer t-456")
	code, _, stderr := runCLI(t, "", "scan", targets, "--port", fmt.Sprint(port), "--webhook", srv.URL,
		"--webhook-header-env", "HOOK_AUTH", "--webhook-header-file", file)
	if code != exitOK || strings.Contains(stderr, "webhook") {
		t.Fatalf("exit %d, stderr %s", code, stderr)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(got) == 0 {
		t.Fatal("the receiver got no ticket")
	}
	for _, h := range got {
		if h.Get("Authorization") != "Bearer t-456" || h.Get("X-Team") != "soc" {
			t.Fatalf("request headers %v", h)
		}
	}
}

// TestProgressLinesForLogs: with stderr not a terminal, progress comes as plain lines (no \r, no
// escape codes) every --progress-interval, and not at all with -q.
func TestProgressLinesForLogs(t *testing.T) {
	port := listeners(t, "127.0.0.1")
	args := []string{"scan", "--port", fmt.Sprint(port), "--checks", "none", "--rate", "25", "127.0.0.1-40", "--progress-interval", "300ms"}
	code, _, stderr := runCLI(t, "", args...)
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	lines := strings.Split(strings.TrimSpace(stderr), "\n")
	if len(lines) < 2 {
		t.Fatalf("want several progress lines over ~1.6 s, got:\n%s", stderr)
	}
	for _, l := range lines {
		if !strings.HasPrefix(l, "scan445: progress ") || !strings.Contains(l, "/40 hosts") || !strings.Contains(l, "ETA ") {
			t.Fatalf("not a progress line: %q", l)
		}
	}
	if strings.ContainsAny(stderr, "\r\033") {
		t.Fatalf("terminal control characters in a log: %q", stderr)
	}
	quietArgs := append(args[:len(args)-2:len(args)-2], "-q")
	if code, _, stderr := runCLI(t, "", quietArgs...); code != exitOK || stderr != "" {
		t.Fatalf("-q: exit %d, stderr %q", code, stderr)
	}
}

// The smoothed rate follows a scan that slows down; the average since the start did not.
func TestRateEstimatorFollowsSlowdown(t *testing.T) {
	var e rateEstimator
	t0 := time.Unix(1_800_000_000, 0)
	done := 0.0
	var rate float64
	step := 250 * time.Millisecond
	for i := 0; i <= 240; i++ { // 60 s at 92 hosts/s
		rate = e.observe(t0.Add(time.Duration(i)*step), uint64(done))
		done += 92 * step.Seconds()
	}
	if rate < 85 || rate > 99 {
		t.Fatalf("steady 92/s estimated as %.1f/s", rate)
	}
	for i := 241; i <= 241+160; i++ { // then 40 s at 8 hosts/s
		rate = e.observe(t0.Add(time.Duration(i)*step), uint64(done))
		done += 8 * step.Seconds()
	}
	average := done / (100 * time.Second).Seconds()
	if rate > 20 || average < 50 {
		t.Fatalf("after 40 s at 8/s the estimate is %.1f/s (the average since the start is %.1f/s)", rate, average)
	}
}

func TestClosestName(t *testing.T) {
	names := []string{"rate", "port", "retries", "resume", "fail-on", "scan", "report", "json", "iL"}
	for _, tc := range []struct{ in, want string }{
		{"ratee", "rate"}, {"rat", "rate"}, {"sacn", "scan"}, {"fail-onn", "fail-on"}, {"failon", "fail-on"},
		{"jsno", "json"}, {"bogus", ""}, {"x", ""}, {"reprot", "report"},
	} {
		if got := closest(tc.in, names); got != tc.want {
			t.Errorf("closest(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// --json over --baseline is the one overwrite of an input that is meant: each scheduled run
// compares with the last one and replaces it.
func TestRollingBaselineIsAllowed(t *testing.T) {
	port := listeners(t, "127.0.0.1")
	out := filepath.Join(t.TempDir(), "r.json")
	args := []string{"scan", "127.0.0.1", "--port", fmt.Sprint(port), "--checks", "none", "--json", out}
	if code, _, stderr := runCLI(t, "", args...); code != exitOK {
		t.Fatalf("first run: exit %d: %s", code, stderr)
	}
	if code, _, stderr := runCLI(t, "", append(args, "--baseline", out)...); code != exitOK {
		t.Fatalf("rolling baseline: exit %d: %s", code, stderr)
	}
	if doc := loadDoc(t, out); doc.Baseline == nil {
		t.Fatal("the second report was not compared with the first")
	}
}
