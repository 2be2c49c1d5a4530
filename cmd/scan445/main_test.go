package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/scan445/scan445/report"
	"github.com/scan445/scan445/scanner"
	"github.com/scan445/scan445/smbprobe"
)

// runCLI runs the whole command line in-process.
func runCLI(t *testing.T, stdin string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = run(append([]string{"scan445"}, args...), strings.NewReader(stdin), &out, &errb)
	return code, out.String(), errb.String()
}

// listeners opens port on each given loopback address (accept-and-close) and returns the port.
func listeners(t *testing.T, addrs ...string) int {
	t.Helper()
	port := 0
	for _, a := range addrs {
		ln, err := net.Listen("tcp", net.JoinHostPort(a, fmt.Sprint(port)))
		if err != nil {
			t.Fatal(err)
		}
		port = ln.Addr().(*net.TCPAddr).Port
		t.Cleanup(func() { ln.Close() })
		go func() {
			for {
				c, err := ln.Accept()
				if err != nil {
					return
				}
				c.Close()
			}
		}()
	}
	return port
}

func TestUsageErrorsExit2AndNameTheProblem(t *testing.T) {
	dir := t.TempDir()
	empty := filepath.Join(dir, "empty.txt")
	os.WriteFile(empty, []byte("# only a comment\n\n"), 0o644)
	bad := filepath.Join(dir, "bad.txt")
	os.WriteFile(bad, []byte("10.0.0.1\n10.0.0.300\n"), 0o644)
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"prefix too long", []string{"scan", "10.0.0.0/33"}, "10.0.0.0/33"},
		{"octet too large", []string{"scan", "10.0.0.300"}, "10.0.0.300"},
		{"reversed range", []string{"scan", "10.0.0.5-3"}, "10.0.0.5-3"},
		{"public address refused", []string{"scan", "8.8.8.8"}, "--allow-public"},
		{"empty list file", []string{"scan", "-iL", empty}, "empty.txt"},
		{"bad line in list", []string{"scan", "-iL", bad}, "bad.txt:2"},
		{"missing list file", []string{"scan", "-iL", filepath.Join(dir, "nope")}, "nope"},
		{"no targets", []string{"scan"}, "no targets"},
		{"unknown flag", []string{"scan", "--frobnicate", "127.0.0.1"}, "frobnicate"},
		{"unknown command", []string{"frobnicate"}, "frobnicate"},
		{"bad fail-on", []string{"scan", "--fail-on", "sometimes", "127.0.0.1"}, "sometimes"},
		{"bad shard", []string{"scan", "--shard", "4/4", "127.0.0.1"}, "shard index 4"},
		{"bad shard syntax", []string{"scan", "--shard", "x", "127.0.0.1"}, "--shard"},
		{"bad port", []string{"scan", "--port", "70000", "127.0.0.1"}, "--port"},
		{"bad rate", []string{"scan", "--rate", "-1", "127.0.0.1"}, "--rate"},
		{"bad tickets format", []string{"scan", "--tickets", filepath.Join(dir, "t.jsonl"), "--tickets-format", "xml", "127.0.0.1"}, "xml"},
		{"missing baseline", []string{"scan", "--baseline", filepath.Join(dir, "none.json"), "127.0.0.1"}, "none.json"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, stdout, stderr := runCLI(t, "", tc.args...)
			if code != exitUsage {
				t.Fatalf("exit %d, want %d; stderr: %s", code, exitUsage, stderr)
			}
			if !strings.Contains(stderr, tc.want) {
				t.Fatalf("stderr does not name %q:\n%s", tc.want, stderr)
			}
			if strings.Contains(stdout, "scanned") {
				t.Fatalf("a scan ran despite the usage error: %s", stdout)
			}
		})
	}
}

func TestHelpDocumentsExitCodes(t *testing.T) {
	for _, args := range [][]string{{"--help"}, {"scan", "--help"}} {
		code, stdout, _ := runCLI(t, "", args...)
		if code != 0 || !strings.Contains(stdout, "EXIT CODES") || !strings.Contains(stdout, "usage or input error") {
			t.Fatalf("%v: exit %d, help without exit codes:\n%s", args, code, stdout)
		}
	}
	code, stdout, _ := runCLI(t, "", "version")
	if code != 0 || !strings.HasPrefix(stdout, "scan445 ") {
		t.Fatalf("version: %d %q", code, stdout)
	}
}

// loadDoc reads a JSON report and holds it against report/schema.json.
func loadDoc(t *testing.T, path string) *report.Document {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if problems := report.Validate(raw); len(problems) > 0 {
		t.Fatalf("%s does not match report/schema.json:\n%s", path, strings.Join(problems, "\n"))
	}
	doc, err := report.Load(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	return doc
}

func statuses(doc *report.Document) map[string]scanner.Status {
	m := map[string]scanner.Status{}
	for _, h := range doc.Hosts {
		m[h.Address] = h.Status
	}
	return m
}

func TestScanWritesJSONReport(t *testing.T) {
	port := listeners(t, "127.0.0.2", "127.0.0.6")
	out := filepath.Join(t.TempDir(), "r.json")
	code, stdout, stderr := runCLI(t, "", "scan", "--port", fmt.Sprint(port), "--checks", "none",
		"127.0.0.1-8", "--exclude", "127.0.0.7", "--json", out)
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	// By default the report lists the hosts that answered and counts the rest.
	doc := loadDoc(t, out)
	if !doc.Complete || len(doc.Hosts) != 2 || doc.Summary.Scanned != 7 || doc.Unlisted == nil || doc.Unlisted.Statuses["closed"] != 5 {
		t.Fatalf("complete=%v hosts=%d summary=%+v unlisted=%+v", doc.Complete, len(doc.Hosts), doc.Summary, doc.Unlisted)
	}
	if doc.Summary.Statuses["open"] != 2 || doc.Summary.Statuses["closed"] != 5 {
		t.Fatalf("summary %+v", doc.Summary.Statuses)
	}
	if !strings.Contains(stdout, "7 of 7 targets") {
		t.Fatalf("no human summary on stdout: %q", stdout)
	}
	// --report-all lists every address, from the spill file.
	code, _, stderr = runCLI(t, "", "scan", "--port", fmt.Sprint(port), "--checks", "none",
		"127.0.0.1-8", "--exclude", "127.0.0.7", "--json", out, "--report-all")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	doc = loadDoc(t, out)
	if !doc.Complete || len(doc.Hosts) != 7 || doc.Summary.Scanned != 7 || doc.Unlisted != nil {
		t.Fatalf("--report-all: complete=%v hosts=%d summary=%+v unlisted=%+v", doc.Complete, len(doc.Hosts), doc.Summary, doc.Unlisted)
	}
	if doc.Options["report_all"] != "true" || doc.Options["connect_slots"] == "" {
		t.Fatalf("options do not show the report form and the derived slots: %v", doc.Options)
	}
	st := statuses(doc)
	if st["127.0.0.2"] != scanner.StatusOpen || st["127.0.0.6"] != scanner.StatusOpen || st["127.0.0.3"] != scanner.StatusClosed {
		t.Fatalf("statuses %v", st)
	}
	if _, ok := st["127.0.0.7"]; ok {
		t.Fatal("excluded host scanned")
	}
	if doc.Summary.Statuses["open"] != 2 || doc.Summary.Statuses["closed"] != 5 {
		t.Fatalf("summary %+v", doc.Summary.Statuses)
	}
	if !strings.Contains(stdout, "7 of 7 targets") {
		t.Fatalf("no human summary on stdout: %q", stdout)
	}
}

func TestJSONDashStreamsNDJSONThenReport(t *testing.T) {
	port := listeners(t, "127.0.0.3")
	code, stdout, stderr := runCLI(t, "", "scan", "--port", fmt.Sprint(port), "--checks", "none", "127.0.0.1-4", "--json", "-")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	lines := strings.Split(strings.TrimSpace(stdout), "\n")
	if len(lines) != 5 {
		t.Fatalf("want 4 host lines + 1 report line, got %d:\n%s", len(lines), stdout)
	}
	for _, l := range lines[:4] {
		var h scanner.HostResult
		if err := json.Unmarshal([]byte(l), &h); err != nil || h.Address == "" {
			t.Fatalf("bad NDJSON line %q: %v", l, err)
		}
	}
	doc, err := report.Load(strings.NewReader(lines[4]))
	if err != nil || len(doc.Hosts) != 1 || doc.Summary.Scanned != 4 {
		t.Fatalf("last line is not the report: %v", err)
	}
}

func TestSettingsPrecedenceFlagEnvFileDefault(t *testing.T) {
	port := listeners(t, "127.0.0.1")
	dir := t.TempDir()
	cfg := filepath.Join(dir, "scan445.yaml")
	os.WriteFile(cfg, []byte("rate: 7\nconcurrency: 5\nretries: 3\n"), 0o644)
	out := filepath.Join(dir, "r.json")
	t.Setenv("SCAN445_CONCURRENCY", "9")
	t.Setenv("SCAN445_RETRIES", "4")
	code, _, stderr := runCLI(t, "", "scan", "--config", cfg, "--retries", "2", "--port", fmt.Sprint(port),
		"--checks", "none", "127.0.0.1", "--json", out)
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	o := loadDoc(t, out).Options
	// rate: file only; concurrency: env beats file; retries: flag beats env and file; timeout: default.
	want := map[string]string{"rate": "7", "concurrency": "9", "retries": "2", "timeout": "3s"}
	for k, v := range want {
		if o[k] != v {
			t.Errorf("%s = %q, want %q (options %v)", k, o[k], v, o)
		}
	}
}

func TestResumeSkipsFinishedHosts(t *testing.T) {
	port := listeners(t, "127.0.0.1", "127.0.0.2", "127.0.0.3", "127.0.0.4")
	dir := t.TempDir()
	journalPath := filepath.Join(dir, "state.ndjson")
	// A journal from a killed run: .1 done (recorded as closed, which a rescan would change to
	// open), .2 cut short by an interrupt, and a torn last line.
	done := scanner.HostResult{Address: "127.0.0.1", Port: port, Status: scanner.StatusClosed}
	cut := scanner.HostResult{Address: "127.0.0.2", Port: port, Status: scanner.StatusError, Interrupted: true}
	var buf bytes.Buffer
	for _, h := range []scanner.HostResult{done, cut} {
		b, _ := json.Marshal(h)
		buf.Write(append(b, '\n'))
	}
	buf.WriteString(`{"address":"127.0.0.3","po`)
	os.WriteFile(journalPath, buf.Bytes(), 0o644)

	out := filepath.Join(dir, "r.json")
	code, _, stderr := runCLI(t, "", "scan", "--port", fmt.Sprint(port), "--checks", "none", "--no-shuffle",
		"127.0.0.1-4", "--resume", journalPath, "--json", out, "--report-all")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	st := statuses(loadDoc(t, out))
	want := map[string]scanner.Status{"127.0.0.1": scanner.StatusClosed, "127.0.0.2": scanner.StatusOpen,
		"127.0.0.3": scanner.StatusOpen, "127.0.0.4": scanner.StatusOpen}
	if fmt.Sprint(st) != fmt.Sprint(want) {
		t.Fatalf("statuses %v, want %v (finished host rescanned or unfinished host skipped)", st, want)
	}
	// The journal now holds every host once more than before, intact, torn line gone.
	f, _ := os.Open(journalPath)
	defer f.Close()
	sc := bufio.NewScanner(f)
	n := 0
	for sc.Scan() {
		var h scanner.HostResult
		if err := json.Unmarshal(sc.Bytes(), &h); err != nil {
			t.Fatalf("journal line %d broken: %q", n+1, sc.Text())
		}
		n++
	}
	if n != 2+3 {
		t.Fatalf("journal has %d lines, want 5", n)
	}
}

func TestShardsPartitionTheSpace(t *testing.T) {
	port := listeners(t, "127.0.0.1")
	seen := map[string]int{}
	for i := 0; i < 3; i++ {
		out := filepath.Join(t.TempDir(), "r.json")
		t.Setenv("JOB_COMPLETION_INDEX", fmt.Sprint(i))
		code, _, stderr := runCLI(t, "", "scan", "--port", fmt.Sprint(port), "--checks", "none",
			"--shard-count", "3", "127.0.0.1-20", "--json", out, "--report-all")
		if code != exitOK {
			t.Fatalf("shard %d: exit %d: %s", i, code, stderr)
		}
		for _, h := range loadDoc(t, out).Hosts {
			seen[h.Address]++
		}
	}
	if len(seen) != 20 {
		t.Fatalf("shards cover %d of 20 addresses", len(seen))
	}
	for a, n := range seen {
		if n != 1 {
			t.Fatalf("%s scanned by %d shards", a, n)
		}
	}
}

// TestInterruptWritesPartialReport runs the real binary and sends it SIGINT mid-scan.
func TestInterruptWritesPartialReport(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	bin := filepath.Join(t.TempDir(), "scan445")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	port := listeners(t, "127.0.0.1")
	dir := t.TempDir()
	out := filepath.Join(dir, "r.json")
	journalPath := filepath.Join(dir, "state")
	// 4 attempts/s over 200 targets would take 50 s; we interrupt after ~1.5 s.
	cmd := exec.Command(bin, "scan", "--port", fmt.Sprint(port), "--checks", "none", "--rate", "4",
		"127.0.0.1-200", "--json", out, "--resume", journalPath, "--report-all")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(1500 * time.Millisecond)
	cmd.Process.Signal(syscall.SIGINT)
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case <-done:
	case <-time.After(15 * time.Second):
		cmd.Process.Kill()
		t.Fatal("scan did not stop within 15 s of SIGINT")
	}
	if code := cmd.ProcessState.ExitCode(); code != exitIncomplete {
		t.Fatalf("exit %d, want %d; stderr: %s", code, exitIncomplete, stderr.String())
	}
	doc := loadDoc(t, out)
	if doc.Complete || doc.Interrupted == "" {
		t.Fatalf("partial report not marked: complete=%v interrupted=%q", doc.Complete, doc.Interrupted)
	}
	if n := len(doc.Hosts); n < 2 || n >= 200 {
		t.Fatalf("%d hosts in the partial report", n)
	}
	// Resuming picks up where it stopped: nothing scanned twice, and the first run's hosts kept.
	first := len(doc.Hosts)
	out2 := filepath.Join(dir, "r2.json")
	code, _, errs := runCLI(t, "", "scan", "--port", fmt.Sprint(port), "--checks", "none", "--rate", "0",
		"127.0.0.1-200", "--json", out2, "--resume", journalPath, "--report-all")
	if code != exitOK {
		t.Fatalf("resume: exit %d: %s", code, errs)
	}
	doc2 := loadDoc(t, out2)
	if len(doc2.Hosts) != 200 || !doc2.Complete {
		t.Fatalf("resumed report: %d hosts, complete=%v (first run had %d)", len(doc2.Hosts), doc2.Complete, first)
	}
}

func TestProgressETA(t *testing.T) {
	for _, tc := range []struct {
		remaining uint64
		rate      float64
		want      string
	}{
		{99, 51, "2s"}, // 1.94 s: rounded, not truncated
		{0, 10, "0s"},
		{3600, 1, "1h0m0s"},
		{10, 0, "?"},
		{1, 1000, "<1s"}, // hosts that remain never show as 0s
	} {
		if got := eta(tc.remaining, tc.rate); got != tc.want {
			t.Errorf("eta(%d, %v) = %s, want %s", tc.remaining, tc.rate, got, tc.want)
		}
	}
}

func TestProgressLineOnlyForTerminals(t *testing.T) {
	var buf bytes.Buffer
	if isTerminal(&buf) {
		t.Fatal("a buffer is not a terminal")
	}
	p := startProgress(&buf, 10, 0)
	p.add(scanner.HostResult{Status: scanner.StatusOpen})
	time.Sleep(400 * time.Millisecond)
	p.stop()
	if out := buf.String(); !strings.Contains(out, "1/10 hosts") || !strings.Contains(out, "open 1") {
		t.Fatalf("progress line %q", out)
	}
}

// TestChecksHelpNamesEveryCheck keeps the --checks help in step with the registry.
func TestChecksHelpNamesEveryCheck(t *testing.T) {
	_, stdout, _ := runCLI(t, "", "scan", "--help")
	for _, c := range smbprobe.Checks() {
		if !strings.Contains(stdout, c.ID) {
			t.Errorf("scan --help does not name check %s", c.ID)
		}
	}
}

// TestResumeCountsDeadHostsWithoutListing: a journal's dead addresses are skipped and counted,
// not listed, and the compact report's summary still covers both runs.
func TestResumeCountsDeadHostsWithoutListing(t *testing.T) {
	port := listeners(t, "127.0.0.2")
	dir := t.TempDir()
	journalPath := filepath.Join(dir, "state.ndjson")
	var buf bytes.Buffer
	for _, h := range []scanner.HostResult{
		{Address: "127.0.0.1", Port: port, Status: scanner.StatusClosed},
		{Address: "127.0.0.5", Port: port, Status: scanner.StatusFiltered},
		{Address: "127.0.0.5", Port: port, Status: scanner.StatusFiltered}, // a duplicate line counts once
	} {
		b, _ := json.Marshal(h)
		buf.Write(append(b, '\n'))
	}
	os.WriteFile(journalPath, buf.Bytes(), 0o644)
	out := filepath.Join(dir, "r.json")
	code, _, stderr := runCLI(t, "", "scan", "--port", fmt.Sprint(port), "--checks", "none",
		"127.0.0.1-6", "--resume", journalPath, "--json", out)
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	doc := loadDoc(t, out)
	if len(doc.Hosts) != 1 || doc.Hosts[0].Address != "127.0.0.2" {
		t.Fatalf("listed %v, want only the open 127.0.0.2", statuses(doc))
	}
	if s := doc.Summary; s.Scanned != 6 || s.Statuses["closed"] != 4 || s.Statuses["filtered"] != 1 || s.Statuses["open"] != 1 {
		t.Fatalf("summary %+v", s)
	}
	if doc.Stats.Skipped != 2 || doc.Stats.Dispatched != 4 {
		t.Fatalf("stats %+v: journal hosts rescanned", doc.Stats)
	}
}

// TestFileLimitLowersRateAndSaysSoOnce runs the binary under a low RLIMIT_NOFILE: the connect
// stage cannot hold rate × timeout sockets, so the rate is lowered, one warning says so, and
// the report's options show both rates.
func TestFileLimitLowersRateAndSaysSoOnce(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	bin := filepath.Join(t.TempDir(), "scan445")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	port := listeners(t, "127.0.0.1")
	out := filepath.Join(t.TempDir(), "r.json")
	// 600 descriptors - 64 reserved - 3 × 64 for probes = 344 slots; at 3 s that is 114/s.
	cmd := exec.Command("sh", "-c", `ulimit -n 600 && exec "$@"`, "sh", bin, "scan", "--port", fmt.Sprint(port),
		"127.0.0.1-3", "--json", out)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("%v: %s", err, stderr.String())
	}
	if n := strings.Count(stderr.String(), "RLIMIT_NOFILE"); n != 1 {
		t.Fatalf("the lowered rate is said %d times, want once:\n%s", n, stderr.String())
	}
	doc := loadDoc(t, out)
	if o := doc.Options; o["rate"] != "114" || o["configured_rate"] != "1000" || o["connect_slots"] != "344" || o["file_limit"] != "600" {
		t.Fatalf("options %v", o)
	}
	if len(doc.Warnings) != 1 || !strings.Contains(doc.Warnings[0], "RLIMIT_NOFILE") {
		t.Fatalf("warnings %q", doc.Warnings)
	}
}

// TestMergeCompactShards: shards in the default compact form merge into one report whose
// counts cover the whole space, and `report` re-renders it (HTML included) from the counts.
func TestMergeCompactShards(t *testing.T) {
	port := listeners(t, "127.0.0.1")
	dir := t.TempDir()
	var shards []string
	for i := 0; i < 2; i++ {
		out := filepath.Join(dir, fmt.Sprintf("s%d.json", i))
		code, _, stderr := runCLI(t, "", "scan", "--port", fmt.Sprint(port), "--checks", "none",
			"--shard", fmt.Sprintf("%d/2", i), "127.0.0.1-20", "--json", out)
		if code != exitOK {
			t.Fatalf("shard %d: exit %d: %s", i, code, stderr)
		}
		shards = append(shards, out)
	}
	all := filepath.Join(dir, "all.json")
	if code, _, stderr := runCLI(t, "", append([]string{"merge", "-o", all}, shards...)...); code != exitOK {
		t.Fatalf("merge: exit %d: %s", code, stderr)
	}
	doc := loadDoc(t, all)
	if len(doc.Hosts) != 1 || doc.Summary.Scanned != 20 || doc.Summary.Targets != 20 || doc.Unlisted.Statuses["closed"] != 19 {
		t.Fatalf("merged: %d hosts listed, summary %+v, unlisted %+v", len(doc.Hosts), doc.Summary, doc.Unlisted)
	}
	html := filepath.Join(dir, "r.html")
	if code, _, stderr := runCLI(t, "", "report", all, "--html", html); code != exitOK {
		t.Fatalf("report: exit %d: %s", code, stderr)
	}
	// The open host's shard counted its /24's unlisted addresses; a shard with no answering
	// host in a /24 keeps no per-/24 count (that is what keeps a report proportional to the
	// hosts that answered), so the chart's "swept" covers the first shard's half.
	b, err := os.ReadFile(html)
	if err != nil || !strings.Contains(string(b), "1 of 10 swept hosts have 445 open") {
		t.Fatalf("the network chart does not count the shard's unlisted addresses as swept (%v)", err)
	}
}
