package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/scan445/scan445/internal/testns"
	"github.com/scan445/scan445/report"
	"github.com/scan445/scan445/sensor"
)

// TestWatchNetns is issue #14's "done when": the sensor (`scan445 watch`, listening on four
// addresses of a dark /24 and capturing the interface that /24 is routed to) runs in one
// network namespace; three Conficker-like scanners and two ordinary clients (`scan445 lab
// --scanners 3 --clients 2`) run in another, each from its own address. Every scanner is
// reported infected with its numbers and its exploit attempt, no client is reported, the HTML
// chart carries the surge, and the webhook (served inside the sensor's namespace) gets one
// alert per infected source.
func TestWatchNetns(t *testing.T) {
	ns := testns.New(t, "s3c", "ws", "wh")
	const sensorNS, hostsNS = 0, 1
	ns.Link(t, sensorNS, "s3c-w0", "10.203.0.1/30", hostsNS, "s3c-w1", "10.203.0.2/30")
	// The dark /24 is routed to the sensor, which drops what it does not answer itself.
	ns.In(t, sensorNS, "route", "add", "blackhole", "10.203.9.0/24")
	listen := []string{"10.203.9.1:445", "10.203.9.2:445", "10.203.9.3:445", "10.203.9.4:445"}
	for _, l := range listen {
		ns.In(t, sensorNS, "addr", "add", strings.TrimSuffix(l, ":445")+"/32", "dev", "lo")
	}
	ns.In(t, sensorNS, "route", "add", "10.203.1.0/24", "via", "10.203.0.2")
	// The simulated hosts' own addresses: a local block, each host binding one.
	ns.In(t, hostsNS, "route", "add", "local", "10.203.1.0/24", "dev", "lo")
	ns.In(t, hostsNS, "route", "add", "10.203.9.0/24", "via", "10.203.0.1")

	bin := filepath.Join(t.TempDir(), "scan445")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}

	// The webhook receiver listens inside the sensor's namespace.
	var hookLn net.Listener
	if err := ns.Do(sensorNS, func() (err error) { hookLn, err = net.Listen("tcp4", "127.0.0.1:0"); return }); err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	alerts := map[string]int{}
	hook := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var tk report.Ticket
		body, _ := io.ReadAll(r.Body)
		if err := json.Unmarshal(body, &tk); err != nil {
			t.Errorf("webhook body: %v: %s", err, body)
		}
		mu.Lock()
		alerts[tk.Host]++
		mu.Unlock()
	}), ReadHeaderTimeout: 5 * time.Second}
	go hook.Serve(hookLn)
	defer hook.Close()

	dir := t.TempDir()
	out, html, events := filepath.Join(dir, "w.json"), filepath.Join(dir, "w.html"), filepath.Join(dir, "w.ndjson")
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	watch := ns.Command(ctx, sensorNS, bin, "watch", "--listen", strings.Join(listen, ","), "--interface", "s3c-w0",
		"--dark", "10.203.9.0/24", "--json", out, "--html", html, "--events", events,
		"--webhook", "http://"+hookLn.Addr().String()+"/alert", "--fail-on", "infected", "-q")
	var watchErr bytes.Buffer
	watch.Stderr = &watchErr
	if err := watch.Start(); err != nil {
		t.Fatal(err)
	}
	waitNetnsListening(t, ns, sensorNS, len(listen))
	time.Sleep(500 * time.Millisecond) // the capture socket opens right after the listeners

	scanners := []string{"10.203.1.10", "10.203.1.11", "10.203.1.12"}
	clients := []string{"10.203.1.13", "10.203.1.14"}
	sim := ns.Command(ctx, hostsNS, bin, "lab", "--listen", "127.0.0.1", "--hosts", "1",
		"--scanners", "3", "--clients", "2", "--scan-range", "10.203.9.0/24", "--scan-first", "10.203.9.1",
		"--servers", "10.203.9.2:445,10.203.9.3:445", "--sources", scanners[0], "--scan-rate", "6",
		"--client-interval", "3s", "--duration", "8s")
	simOut, err := sim.CombinedOutput()
	if err != nil {
		t.Fatalf("simulator: %v\n%s", err, simOut)
	}
	for _, w := range []string{"sim: exploit 10.203.1.10 -> 10.203.9.1:445", "sim: client 10.203.1.13 -> 10.203.9.2:445: WERROR 0x00000000"} {
		if !strings.Contains(string(simOut), w) {
			t.Errorf("simulator output lacks %q:\n%s", w, simOut)
		}
	}
	// Without --duration a watch ends on SIGINT and writes its reports: the test does not
	// depend on how long a loaded machine took to start it.
	time.Sleep(time.Second)
	watch.Process.Signal(syscall.SIGINT)
	err = watch.Wait()
	if code := watch.ProcessState.ExitCode(); code != exitFindings {
		t.Fatalf("watch exit %d (%v), want %d; stderr:\n%s", code, err, exitFindings, watchErr.String())
	}

	doc := loadDoc(t, out)
	if doc.Kind != report.KindWatch || doc.Sensor == nil {
		t.Fatalf("not a watch report")
	}
	detail := map[string]report.SensorSource{}
	for _, s := range doc.Sensor.SourceDetail {
		detail[s.Address] = s
	}
	var got []string
	for _, h := range doc.Hosts {
		got = append(got, h.Address)
		checks := map[string]string{}
		for _, f := range h.SMB.Findings {
			checks[f.Check] = string(f.Verdict)
		}
		if checks[sensor.CheckScanning] != "infected" || checks[sensor.CheckExploit] != "infected" {
			t.Errorf("%s: findings %v, want %s and %s infected", h.Address, checks, sensor.CheckScanning, sensor.CheckExploit)
		}
		s := detail[h.Address]
		t.Logf("%s: %d attempts, %d distinct (%d dark, %d dark attempts), %.0f/min, pattern %s", h.Address, s.Attempts, s.Distinct, s.DarkDistinct, s.DarkAttempts, s.PerMinute, s.Pattern)
		// 6/s for 8 s over a /24: dozens of distinct, mostly dark, destinations, seen both by
		// the capture (dark SYNs) and the listener (the four addresses it holds).
		if s.Attempts < 20 || s.Distinct < 15 || s.DarkDistinct < 15 || s.Pattern != "random" {
			t.Errorf("%s: numbers %+v", h.Address, s)
		}
	}
	sort.Strings(got)
	if strings.Join(got, ",") != strings.Join(scanners, ",") {
		t.Errorf("reported sources %v, want exactly the scanners %v (clients %v must not be)", got, scanners, clients)
	}
	for _, c := range clients {
		if s, ok := detail[c]; ok && s.Distinct != 1 {
			t.Errorf("client %s: %+v", c, s)
		}
	}
	t.Logf("sensor: %d attempts from %d sources, %d connections, capture %d packets (%d dropped)", doc.Sensor.Attempts, doc.Sensor.Sources, doc.Sensor.Connections, doc.Sensor.CapturePackets, doc.Sensor.CaptureDrops)
	if doc.Sensor.CapturePackets == 0 {
		t.Error("the capture passed no packet")
	}
	// One observation per attempt, exactly: the capture leaves the SYNs to the listener's
	// endpoints to it, and counts a retransmission once. The simulator says what it made.
	var attempts, sessions, failed int64
	if _, err := fmt.Sscanf(lineWith(string(simOut), " connection attempts in "), "sim: %d connection attempts in", &attempts); err != nil {
		t.Fatalf("simulator summary: %v\n%s", err, simOut)
	}
	sum := lineWith(string(simOut), " client sessions, ")
	if _, err := fmt.Sscanf(sum[strings.LastIndex(sum, ";")+1:], " %d client sessions, %d failed", &sessions, &failed); err != nil {
		t.Fatalf("simulator summary %q: %v", sum, err)
	}
	if want := attempts + sessions + failed; doc.Sensor.Attempts != want {
		t.Errorf("the sensor observed %d attempts; the simulator made %d (%d scanner attempts, %d client sessions)", doc.Sensor.Attempts, want, attempts, sessions+failed)
	}

	page, err := os.ReadFile(html)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(page, []byte(`aria-label="Attempts and sources per hour"`)) {
		t.Error("HTML lacks the hourly chart")
	}
	var total int64
	for _, h := range doc.Sensor.Hours {
		total += h.Attempts
		if h.Attempts > 0 && !bytes.Contains(page, []byte(fmt.Sprintf(": %d attempts, %d sources", h.Attempts, h.Sources))) {
			t.Errorf("HTML chart has no bar for %d attempts, %d sources", h.Attempts, h.Sources)
		}
	}
	if total < 100 {
		t.Errorf("the chart's surge is %d attempts, want the scanners' ≥ 100", total)
	}

	mu.Lock()
	defer mu.Unlock()
	for _, s := range scanners {
		if alerts[s] != 1 {
			t.Errorf("webhook alerts %v, want one for each of %v", alerts, scanners)
			break
		}
	}
	if len(alerts) != len(scanners) {
		t.Errorf("webhook alerts %v, want only the scanners", alerts)
	}
}

// waitNetnsListening waits until n TCP sockets listen on port 445 in namespace i.
func waitNetnsListening(t *testing.T, ns *testns.Set, i, n int) {
	t.Helper()
	for end := time.Now().Add(30 * time.Second); time.Now().Before(end); time.Sleep(100 * time.Millisecond) {
		out, _ := ns.Command(context.Background(), i, "ss", "-ltnH", "sport = :445").Output()
		if strings.Count(string(out), "\n") >= n {
			return
		}
	}
	t.Fatalf("the sensor never listened on %d addresses", n)
}

// lineWith returns the first line of s containing sub ("" if none).
func lineWith(s, sub string) string {
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, sub) {
			return l
		}
	}
	return ""
}
