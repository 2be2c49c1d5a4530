// Command watchbench measures how many connection attempts per second `scan445 watch` keeps up
// with, and its peak RSS (VmHWM), in its two modes:
//
//   - capture: Conficker-like scanners (sensor/simulate) send SYNs to random addresses of a
//     dark /17 routed to the sensor's namespace, which drops them; the sensor captures its
//     interface (AF_PACKET) and must count every one;
//   - listen: the scanners sweep four addresses the sensor listens on, and every attempt is a
//     whole exploit session (negotiate, null session, IPC$, srvsvc bind, the MS08-067 path).
//
// For each offered rate it reports, as medians of -runs runs, the attempts the simulator made
// per second, the share of them the sensor observed, its kernel drops and its VmHWM. It builds
// two namespaces (root only; it skips without) and touches no address outside them: the
// scanners' namespace routes only the sensor's blocks and has no default route.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/scan445/scan445/bench/internal/benchns"
	"github.com/scan445/scan445/report"
	"github.com/scan445/scan445/sensor/simulate"
)

// Namespaces and blocks of helper CAPTURE's benchmark; no other bench uses them.
const (
	scanNS    = "s3c-wb-scan"
	sensorNS  = "s3c-wb-sensor"
	listenNet = "10.79.0.0/30"   // local in the sensor namespace: the listener's four addresses
	darkNet   = "10.79.128.0/17" // routed to the sensor, dropped there
	srcNet    = "10.79.64.0/24"  // the scanners' own addresses, local in their namespace
	srcFirst  = "10.79.64.1"
	sensorIf  = "veth-t" // benchns names the sensor (target) end of the pair so
)

func main() {
	bin := flag.String("bin", "bin/scan445", "scan445 binary")
	runs := flag.Int("runs", 3, "runs per measurement (median reported)")
	out := flag.String("out", "", "also write the Markdown to this file")
	seconds := flag.Int("seconds", 8, "how long the scanners run in each measurement")
	captureRates := flag.String("capture-rates", "1000,4000,16000", "offered attempts/s in capture mode")
	listenRates := flag.String("listen-rates", "100,400,1600", "offered attempts/s in listen mode")
	simJSON := flag.String("sim", "", "internal: run the simulator with these JSON options and print its result")
	flag.Parse()
	if *simJSON != "" {
		if err := runSim(*simJSON); err != nil {
			fail(err)
		}
		return
	}
	var md strings.Builder
	fmt.Fprintf(&md, "## `scan445 watch`: attempts per second kept up with, and RSS (`watchbench`, %s, %d cores)\n\n",
		time.Now().UTC().Format("2006-01-02"), runtime.NumCPU())
	err := benchns.AsRoot(&md, "Skipped: needs root to create network namespaces.", func(ctx context.Context) error {
		absBin, err := filepath.Abs(*bin)
		if err != nil {
			return err
		}
		return bench(ctx, &md, absBin, *runs, time.Duration(*seconds)*time.Second, ints(*captureRates), ints(*listenRates))
	})
	if err != nil {
		fail(err)
	}
	if err := benchns.Emit(md.String(), *out); err != nil {
		fail(err)
	}
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "watchbench:", err)
	os.Exit(1)
}

func ints(s string) []int {
	var out []int
	for _, f := range strings.Split(s, ",") {
		if n, err := strconv.Atoi(strings.TrimSpace(f)); err == nil && n > 0 {
			out = append(out, n)
		}
	}
	return out
}

// simSpec is what the parent asks the simulator child for.
type simSpec struct {
	Scanners int
	Range    string
	Rate     float64 // per scanner
	Timeout  time.Duration
	Seconds  float64
}

// simOutcome is the child's answer.
type simOutcome struct {
	Result  simulate.Result
	Elapsed float64
}

// runSim is the child: it runs in the scanners' namespace (a namespace of its own, so the
// simulator's safety check lets it reach the sensor's blocks).
func runSim(spec string) error {
	var s simSpec
	if err := json.Unmarshal([]byte(spec), &s); err != nil {
		return err
	}
	src := netip.MustParseAddr(srcFirst)
	var sources []netip.Addr
	for range s.Scanners {
		sources = append(sources, src)
		src = src.Next()
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Duration(s.Seconds*float64(time.Second)))
	defer cancel()
	start := time.Now()
	res, err := simulate.Run(ctx, simulate.Options{Scanners: s.Scanners, Range: netip.MustParsePrefix(s.Range),
		Rate: s.Rate, Timeout: s.Timeout, Sources: sources, Seed: uint64(time.Now().UnixNano())})
	if err != nil {
		return err
	}
	return json.NewEncoder(os.Stdout).Encode(simOutcome{Result: res, Elapsed: time.Since(start).Seconds()})
}

// measurement is one run's figures.
type measurement struct {
	made, observed, drops float64
	backlogDrops          float64 // frames the kernel dropped before any socket saw them
	madePerSec, share     float64
	hwmKiB                float64
}

func bench(ctx context.Context, md *strings.Builder, bin string, runs int, dur time.Duration, captureRates, listenRates []int) error {
	pair := benchns.Pair{Scan: scanNS, Target: sensorNS, Space: listenNet}
	extra := [][]string{
		{"ip", "-n", sensorNS, "route", "add", "blackhole", darkNet},
		{"ip", "-n", sensorNS, "route", "add", srcNet, "via", "10.78.0.1"},
		{"ip", "-n", scanNS, "route", "add", darkNet, "via", "10.78.0.2"},
		{"ip", "-n", scanNS, "route", "add", "local", srcNet, "dev", "lo"},
	}
	if err := pair.Create(ctx, extra, ""); err != nil {
		return err
	}
	defer pair.Teardown()
	self, err := os.Executable()
	if err != nil {
		return err
	}
	listen := []string{"10.79.0.0:445", "10.79.0.1:445", "10.79.0.2:445", "10.79.0.3:445"}
	modes := []struct {
		name     string
		rates    []int
		scanners int
		rng      string
		timeout  time.Duration
		args     []string
	}{
		{"capture", captureRates, 16, darkNet, 100 * time.Millisecond,
			[]string{"--listen", "none", "--interface", sensorIf, "--dark", darkNet}},
		{"listen", listenRates, 8, listenNet, time.Second,
			[]string{"--listen", strings.Join(listen, ","), "--max-conns", "4096", "--max-conns-per-source", "512"}},
	}
	md.WriteString("Medians of " + strconv.Itoa(runs) + " runs of " + dur.String() + " each. *Made*: attempts the simulated scanners made per second; " +
		"*observed*: the share of them in the watch report (`sensor.attempts`); *capture ring drops*: frames the capture socket's ring dropped " +
		"(PACKET_STATISTICS); *input backlog drops*: frames the kernel dropped before any socket saw them (`/proc/net/softnet_stat`, " +
		"machine-wide: both ends of the veth share the 2 cores, so past the simulator's own ceiling the rig, not the sensor, loses SYNs); " +
		"VmHWM: the watch process's peak RSS.\n\n")
	md.WriteString("| mode | offered/s | made/s | observed ÷ made | capture ring drops | input backlog drops (whole machine) | VmHWM |\n|---|---|---|---|---|---|---|\n")
	for _, m := range modes {
		for _, rate := range m.rates {
			var made, share, drops, backlog, hwm []float64
			for r := 0; r < runs; r++ {
				x, err := measure(ctx, bin, self, m.args, simSpec{Scanners: m.scanners, Range: m.rng,
					Rate: float64(rate) / float64(m.scanners), Timeout: m.timeout, Seconds: dur.Seconds()}, dur)
				if err != nil {
					return fmt.Errorf("%s at %d/s: %w", m.name, rate, err)
				}
				fmt.Fprintf(os.Stderr, "watchbench: %s %d/s run %d: made %.0f (%.0f/s), observed %.0f (%.4f), drops %.0f, backlog drops %.0f, VmHWM %.0f KiB\n",
					m.name, rate, r+1, x.made, x.madePerSec, x.observed, x.share, x.drops, x.backlogDrops, x.hwmKiB)
				made = append(made, x.madePerSec)
				share = append(share, x.share)
				drops = append(drops, x.drops)
				backlog = append(backlog, x.backlogDrops)
				hwm = append(hwm, x.hwmKiB)
			}
			fmt.Fprintf(md, "| %s | %d | %.0f | %.3f | %.0f | %.0f | %.1f MiB |\n", m.name, rate,
				benchns.Median(made), benchns.Median(share), benchns.Median(drops), benchns.Median(backlog), benchns.Median(hwm)/1024)
		}
	}
	md.WriteString("\n")
	return nil
}

// measure runs one watch for dur + margins, the simulator for dur, and reads the report.
func measure(ctx context.Context, bin, self string, args []string, spec simSpec, dur time.Duration) (measurement, error) {
	dir, err := os.MkdirTemp("", "watchbench")
	if err != nil {
		return measurement{}, err
	}
	defer os.RemoveAll(dir)
	out := filepath.Join(dir, "w.json")
	watchArgs := append([]string{"netns", "exec", sensorNS, bin, "watch", "--duration", (dur + 4*time.Second).String(), "--json", out, "-q"}, args...)
	watch := exec.CommandContext(ctx, "ip", watchArgs...)
	var stderr strings.Builder
	watch.Stderr = &stderr
	if err := watch.Start(); err != nil {
		return measurement{}, err
	}
	// `ip netns exec` execs the binary: the process is scan445 itself. VmHWM is a peak, so the
	// last reading before it exits is the run's.
	hwm := 0.0
	done := make(chan error, 1)
	go func() { done <- watch.Wait() }()
	poll := time.NewTicker(200 * time.Millisecond)
	defer poll.Stop()
	if err := waitReady(ctx, args); err != nil {
		watch.Process.Kill()
		return measurement{}, err
	}
	backlog0 := softnetDropped()
	b, err := json.Marshal(spec)
	if err != nil {
		return measurement{}, err
	}
	simDone := make(chan struct {
		out []byte
		err error
	}, 1)
	go func() {
		o, err := benchns.Run(ctx, dur+30*time.Second, "ip", "netns", "exec", scanNS, self, "-sim", string(b))
		simDone <- struct {
			out []byte
			err error
		}{o, err}
	}()
	var sim simOutcome
	var simErr error
	gotSim := false
	for {
		select {
		case s := <-simDone:
			gotSim = true
			if s.err != nil {
				simErr = s.err
			} else {
				lines := strings.Split(strings.TrimSpace(string(s.out)), "\n")
				simErr = json.Unmarshal([]byte(lines[len(lines)-1]), &sim)
			}
		case err := <-done:
			if code := watch.ProcessState.ExitCode(); err != nil && code != 1 {
				return measurement{}, fmt.Errorf("watch: %v: %s", err, benchns.Tail(stderr.String()))
			}
			if !gotSim {
				s := <-simDone
				if s.err != nil {
					return measurement{}, s.err
				}
				lines := strings.Split(strings.TrimSpace(string(s.out)), "\n")
				simErr = json.Unmarshal([]byte(lines[len(lines)-1]), &sim)
			}
			if simErr != nil {
				return measurement{}, fmt.Errorf("simulator: %w", simErr)
			}
			m, err := result(out, sim, hwm)
			m.backlogDrops = softnetDropped() - backlog0
			return m, err
		case <-poll.C:
			if v := vmHWM(watch.Process.Pid); v > hwm {
				hwm = v
			}
		}
	}
}

func result(out string, sim simOutcome, hwm float64) (measurement, error) {
	raw, err := os.ReadFile(out)
	if err != nil {
		return measurement{}, err
	}
	var doc report.Document
	if err := json.Unmarshal(raw, &doc); err != nil {
		return measurement{}, err
	}
	if doc.Sensor == nil {
		return measurement{}, fmt.Errorf("%s is not a watch report", out)
	}
	m := measurement{made: float64(sim.Result.Attempts), observed: float64(doc.Sensor.Attempts),
		drops: float64(doc.Sensor.CaptureDrops), hwmKiB: hwm}
	if sim.Elapsed > 0 {
		m.madePerSec = m.made / sim.Elapsed
	}
	if m.made > 0 {
		m.share = m.observed / m.made
	}
	return m, nil
}

// vmHWM reads the peak resident set of pid in KiB (0 when it is gone).
func vmHWM(pid int) float64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			f := strings.Fields(v)
			if len(f) > 0 {
				n, _ := strconv.ParseFloat(f[0], 64)
				return n
			}
		}
	}
	return 0
}

// softnetDropped sums the "dropped" column of /proc/net/softnet_stat over the CPUs: frames a
// full per-CPU input backlog (net.core.netdev_max_backlog) threw away before any socket — the
// capture's included — saw them. The counter is machine-wide: with both ends of the veth on the
// same 2 cores, this is where an overloaded rig loses SYNs, not in the sensor.
func softnetDropped() float64 {
	b, err := os.ReadFile("/proc/net/softnet_stat")
	if err != nil {
		return 0
	}
	var sum float64
	for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		f := strings.Fields(line)
		if len(f) > 1 {
			n, _ := strconv.ParseUint(f[1], 16, 64)
			sum += float64(n)
		}
	}
	return sum
}

// waitReady waits until the watch in the sensor namespace is ready: its packet socket open
// (capture mode; the first one is a probe that is closed again, so the socket must stay for
// half a second) or its four listeners bound. A loaded machine can take seconds to start it,
// and SYNs sent before would be missed by the rig, not by the sensor.
func waitReady(ctx context.Context, args []string) error {
	capture := slices.Contains(args, "--interface")
	ready := func() bool {
		if capture {
			out, _ := exec.CommandContext(ctx, "ip", "netns", "exec", sensorNS, "cat", "/proc/net/packet").Output()
			return strings.Count(strings.TrimSpace(string(out)), "\n") >= 1
		}
		out, _ := exec.CommandContext(ctx, "ip", "netns", "exec", sensorNS, "ss", "-ltnH", "sport = :445").Output()
		return strings.Count(string(out), "\n") >= 4
	}
	stable := 0
	for end := time.Now().Add(60 * time.Second); time.Now().Before(end); time.Sleep(100 * time.Millisecond) {
		if ready() {
			if stable++; stable >= 5 {
				return nil
			}
		} else {
			stable = 0
		}
	}
	return errors.New("the watch was not ready within 60 s")
}
