package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/scan445/scan445/report"
	"github.com/scan445/scan445/sensor"
)

// connectFrom opens and closes one TCP connection from src to dst (a sensor on 127.3.3.x).
func connectFrom(t *testing.T, src, dst string) {
	t.Helper()
	d := net.Dialer{Timeout: 2 * time.Second, LocalAddr: &net.TCPAddr{IP: net.ParseIP(src)}}
	c, err := d.Dial("tcp4", dst)
	if err != nil {
		t.Errorf("connect %s → %s: %v", src, dst, err)
		return
	}
	c.Close()
}

// waitListening polls until addr accepts (the sensor is up).
func waitListening(t *testing.T, addr string) {
	t.Helper()
	for end := time.Now().Add(20 * time.Second); time.Now().Before(end); time.Sleep(50 * time.Millisecond) {
		if c, err := net.DialTimeout("tcp4", addr, time.Second); err == nil {
			c.Close()
			return
		}
	}
	t.Fatalf("%s never listened", addr)
}

// TestWatchEndToEnd: two sources that contact several dark sensor addresses are reported
// infected (JSON, HTML chart, NDJSON events), an ordinary client is not, the webhook gets
// exactly one alert per infected source, and --fail-on infected exits 1.
func TestWatchEndToEnd(t *testing.T) {
	var mu sync.Mutex
	var alerts []report.Ticket
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var tk report.Ticket
		body, _ := io.ReadAll(r.Body)
		if err := json.Unmarshal(body, &tk); err != nil {
			t.Errorf("webhook body: %v: %s", err, body)
		}
		mu.Lock()
		alerts = append(alerts, tk)
		mu.Unlock()
	}))
	defer hook.Close()
	dir := t.TempDir()
	out, html, events := filepath.Join(dir, "w.json"), filepath.Join(dir, "w.html"), filepath.Join(dir, "w.ndjson")
	dsts := []string{"127.3.3.30:4446", "127.3.3.31:4446", "127.3.3.32:4446"}
	type result struct {
		code           int
		stdout, stderr string
	}
	done := make(chan result, 1)
	go func() {
		code, so, se := runCLI(t, "", "watch", "--listen", strings.Join(dsts, ","), "--duration", "3s",
			"--json", out, "--html", html, "--events", events, "--webhook", hook.URL, "--fail-on", "infected")
		done <- result{code, so, se}
	}()
	// One probe from 127.0.0.1 to one address (the others were bound with it): one attempt,
	// one dark destination, no finding.
	waitListening(t, dsts[0])
	for _, src := range []string{"127.3.3.60", "127.3.3.61"} {
		for round := 0; round < 3; round++ {
			for _, d := range dsts {
				connectFrom(t, src, d)
			}
		}
	}
	connectFrom(t, "127.3.3.62", dsts[0]) // an ordinary client: one connection
	r := <-done
	if r.code != exitFindings {
		t.Fatalf("exit %d, want %d (fail-on infected); stderr: %s", r.code, exitFindings, r.stderr)
	}
	doc := loadDoc(t, out)
	if doc.Kind != report.KindWatch || doc.Sensor == nil {
		t.Fatalf("not a watch report: %+v", doc)
	}
	var got []string
	for _, h := range doc.Hosts {
		got = append(got, h.Address)
		if len(h.SMB.Findings) != 1 || h.SMB.Findings[0].Check != sensor.CheckScanning || h.SMB.Findings[0].Verdict != "infected" {
			t.Errorf("%s: findings %+v", h.Address, h.SMB.Findings)
		}
	}
	if strings.Join(got, ",") != "127.3.3.60,127.3.3.61" {
		t.Errorf("reported sources %v, want the two scanners only", got)
	}
	if doc.Sensor.Attempts != 20 || doc.Sensor.Sources != 4 || len(doc.Sensor.Dark) != 3 {
		t.Errorf("sensor stats: %d attempts from %d sources, dark %v", doc.Sensor.Attempts, doc.Sensor.Sources, doc.Sensor.Dark)
	}
	page, err := os.ReadFile(html)
	if err != nil || !bytes.Contains(page, []byte(`aria-label="Attempts and sources per hour"`)) || !bytes.Contains(page, []byte("<code>127.3.3.60</code>")) {
		t.Errorf("HTML lacks the chart or the sources (%v)", err)
	}
	// `scan445 report` re-renders a watch report, chart included.
	html2 := filepath.Join(dir, "again.html")
	if code, _, se := runCLI(t, "", "report", out, "--html", html2, "--fail-on", "infected"); code != exitFindings {
		t.Errorf("report of a watch report: exit %d: %s", code, se)
	} else if page, _ := os.ReadFile(html2); !bytes.Contains(page, []byte(`aria-label="Attempts and sources per hour"`)) {
		t.Error("the re-rendered HTML lacks the chart")
	}
	f, err := os.Open(events)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	perSource := map[string]int{}
	for sc.Scan() {
		var e watchEvent
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			t.Fatalf("event line %q: %v", sc.Text(), err)
		}
		perSource[e.Source]++
	}
	if perSource["127.3.3.60"] != 1 || perSource["127.3.3.61"] != 1 || len(perSource) != 2 {
		t.Errorf("events per source %v, want one for each scanner", perSource)
	}
	mu.Lock()
	defer mu.Unlock()
	seen := map[string]int{}
	for _, a := range alerts {
		seen[a.Host]++
	}
	if len(alerts) != 2 || seen["127.3.3.60"] != 1 || seen["127.3.3.61"] != 1 {
		t.Errorf("webhook alerts %+v, want one per infected source", seen)
	}
}

// TestWatchRefusesBadRuns: bad watch flags exit 2 with one plain line, before listening.
func TestWatchRefusesBadRuns(t *testing.T) {
	dir := t.TempDir()
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"--listen", "127.3.3.70:99999"}, "is not 1-65535"},
		{[]string{"--listen", "not-an-address:445"}, "is not an IP address"},
		{[]string{"--listen", "none"}, "would observe nothing"},
		{[]string{"--duration", "-1s"}, "must be 0"},
		{[]string{"--suspect-distinct", "50"}, "between 1 and the infected threshold"},
		{[]string{"--dark", "10.0.0.0/33"}, "want an address or a CIDR prefix"},
		{[]string{"--events", "-", "--json", "-"}, "both write to stdout"},
		{[]string{"--json", filepath.Join(dir, "no", "such", "dir.json")}, "--json"},
		{[]string{"--max-conns", "0"}, "must be at least 1"},
		{[]string{"extra"}, "takes no arguments"},
	}
	for _, tc := range cases {
		args := append([]string{"watch", "--listen", "127.3.3.70:4447", "--duration", "1s"}, tc.args...)
		if tc.args[0] == "--listen" {
			args = append([]string{"watch", "--duration", "1s"}, tc.args...)
		}
		code, _, stderr := runCLI(t, "", args...)
		if code != exitUsage || !strings.Contains(stderr, tc.want) || strings.Count(strings.TrimSpace(stderr), "\n") > 0 {
			t.Errorf("%v: exit %d, stderr %q; want 2 and %q", tc.args, code, stderr, tc.want)
		}
	}
}

// TestWatchCaptureStubOrder: a capture that cannot open (here a fake one) is an exit 2 with
// its reason; a working fake capture's SYNs count like the listener's connections.
func TestWatchFakeCapture(t *testing.T) {
	if ok, _ := hasCapNetRaw(); !ok {
		t.Skip("capture mode needs CAP_NET_RAW (TestWatchAsOrdinaryUser covers the refusal)")
	}
	dir := t.TempDir()
	out := filepath.Join(dir, "w.json")
	env := &environment{stdin: strings.NewReader(""), stdout: io.Discard, stderr: &bytes.Buffer{},
		openCapture: func(o sensor.CaptureOptions) (sensor.Capture, error) { return fakeCapture{}, nil }}
	code := runEnv(env, []string{"scan445", "watch", "--listen", "none", "--interface", "fake0", "--duration", "500ms", "--json", out})
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, env.stderr)
	}
	doc := loadDoc(t, out)
	if len(doc.Hosts) != 1 || doc.Hosts[0].Address != "10.1.2.3" || doc.Sensor.Interface != "fake0" || doc.Sensor.CapturePackets != 40 {
		t.Errorf("capture report: hosts %+v sensor %+v", doc.Hosts, doc.Sensor)
	}
	env.openCapture = func(o sensor.CaptureOptions) (sensor.Capture, error) { return nil, sensor.ErrNoCapability }
	env.stderr = &bytes.Buffer{}
	if code := runEnv(env, []string{"scan445", "watch", "--listen", "none", "--interface", "fake0", "--duration", "500ms"}); code != exitUsage ||
		!strings.Contains(fmt.Sprint(env.stderr), "CAP_NET_RAW") {
		t.Errorf("no capability: exit %d, stderr %s", code, env.stderr)
	}
}

// TestWatchCaptureFails: a capture that dies mid-run ends the watch with its reason, the
// report written and marked incomplete, exit 3.
func TestWatchCaptureFails(t *testing.T) {
	if ok, _ := hasCapNetRaw(); !ok {
		t.Skip("capture mode needs CAP_NET_RAW")
	}
	out := filepath.Join(t.TempDir(), "w.json")
	errb := &bytes.Buffer{}
	env := &environment{stdin: strings.NewReader(""), stdout: io.Discard, stderr: errb,
		openCapture: func(o sensor.CaptureOptions) (sensor.Capture, error) { return failingCapture{}, nil }}
	code := runEnv(env, []string{"scan445", "watch", "--listen", "none", "--interface", "fake0", "--duration", "1m", "--json", out})
	if code != exitIncomplete || !strings.Contains(errb.String(), "interface went down") {
		t.Fatalf("exit %d, stderr %s", code, errb)
	}
	if doc := loadDoc(t, out); doc.Complete || !strings.Contains(doc.Interrupted, "interface went down") {
		t.Errorf("complete=%v interrupted=%q", doc.Complete, doc.Interrupted)
	}
}

type failingCapture struct{}

func (failingCapture) Run(ctx context.Context, observe func(sensor.Observation)) error {
	return errors.New("interface went down")
}

func (failingCapture) Stats() sensor.CaptureStats { return sensor.CaptureStats{} }

// fakeCapture delivers 40 SYNs from one source to 40 addresses of a dark-less /24.
type fakeCapture struct{}

func (fakeCapture) Run(ctx context.Context, observe func(sensor.Observation)) error {
	src := netip.MustParseAddr("10.1.2.3")
	dst := netip.MustParseAddr("10.9.0.1")
	for i := 0; i < 40; i++ {
		observe(sensor.Observation{Time: time.Now(), Src: src, Dst: dst, DstPort: 445, Via: sensor.ViaCaptureSYN})
		dst = dst.Next()
	}
	<-ctx.Done()
	return nil
}

func (fakeCapture) Stats() sensor.CaptureStats { return sensor.CaptureStats{Packets: 40} }

// TestWatchAsOrdinaryUser: the built binary, run as an ordinary user (nobody, when the test
// runs as root), listens on a high port, writes its report on SIGINT (exit 0: a signal is how
// an open-ended watch ends; exit 3 when it cuts a --duration short), and refuses capture mode
// without CAP_NET_RAW with exit 2.
func TestWatchAsOrdinaryUser(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	dir := t.TempDir()
	// nobody must reach the binary and write the reports.
	os.Chmod(filepath.Dir(dir), 0o755)
	os.Chmod(dir, 0o777)
	bin := filepath.Join(dir, "scan445")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	asUser := func(cmd *exec.Cmd) {
		if os.Geteuid() == 0 {
			cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
		}
	}
	// Capture without CAP_NET_RAW.
	if os.Geteuid() == 0 {
		cmd := exec.Command(bin, "watch", "--interface", "lo", "--listen", "none")
		asUser(cmd)
		out, _ := cmd.CombinedOutput()
		if code := cmd.ProcessState.ExitCode(); code != exitUsage || !strings.Contains(string(out), "CAP_NET_RAW") {
			t.Errorf("capture as nobody: exit %d, %s", code, out)
		}
	}
	for _, tc := range []struct {
		name     string
		extra    []string
		wantCode int
		complete bool
	}{
		{"open-ended", nil, exitOK, true},
		{"cut short", []string{"--duration", "10m"}, exitIncomplete, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out := filepath.Join(dir, tc.name+".json")
			addr := "127.3.3.80:4448"
			cmd := exec.Command(bin, append([]string{"watch", "--listen", addr, "--json", out, "-q"}, tc.extra...)...)
			asUser(cmd)
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			defer cmd.Process.Kill()
			waitListening(t, addr)
			for i := 0; i < 4; i++ {
				connectFrom(t, "127.3.3.81", addr)
			}
			time.Sleep(200 * time.Millisecond)
			cmd.Process.Signal(syscall.SIGINT)
			waited := make(chan error, 1)
			go func() { waited <- cmd.Wait() }()
			select {
			case <-waited:
			case <-time.After(15 * time.Second):
				t.Fatal("watch did not stop within 15 s of SIGINT")
			}
			if code := cmd.ProcessState.ExitCode(); code != tc.wantCode {
				t.Fatalf("exit %d, want %d; stderr: %s", code, tc.wantCode, stderr.String())
			}
			doc := loadDoc(t, out)
			// The waitListening probe is an attempt too.
			if doc.Complete != tc.complete || doc.Sensor.Attempts != 5 || doc.Sensor.Sources != 2 {
				t.Errorf("complete=%v attempts=%d sources=%d", doc.Complete, doc.Sensor.Attempts, doc.Sensor.Sources)
			}
		})
	}
}

// TestReadmeWatchLines: every `scan445 watch` line of the README uses flags watch has, and
// every watch flag is documented.
func TestReadmeWatchLines(t *testing.T) {
	text, blocks := readmeBlocks(t)
	flags := watchCommand(&environment{}).Flags
	for _, f := range flags {
		if !strings.Contains(text, "`--"+f.Names()[0]) {
			t.Errorf("README does not document watch --%s", f.Names()[0])
		}
	}
	re := regexp.MustCompile(`(?:^|\s)--([a-z][a-z0-9-]*)`)
	n := 0
	for _, b := range blocks {
		for _, line := range strings.Split(strings.ReplaceAll(b.text, "\\\n", " "), "\n") {
			i := strings.Index(line, "scan445 watch ")
			if i < 0 {
				continue
			}
			n++
			for _, m := range re.FindAllStringSubmatch(line[i:], -1) {
				if findFlag(flags, m[1]) == nil {
					t.Errorf("README: %q uses --%s, which scan445 watch does not have", strings.TrimSpace(line), m[1])
				}
			}
		}
	}
	if n < 3 {
		t.Fatalf("found %d watch command lines in the README", n)
	}
}
