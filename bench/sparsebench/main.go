// Command sparsebench measures scan445 with its default flags on a network shaped like a real
// LAN — a /16 where 256 addresses accept on 445, 256 answer RST and every other SYN is dropped —
// side by side with nmap -sS -T4 and -sT -T4 in one run; then the same with the default safe
// checks on the 256 open hosts (served by the emulated lab); then a whole /8 (everything
// outside the live /16 unreachable), for peak RSS (VmHWM of the scan445 process) and report
// size. It builds a two-namespace lab (root only; it skips without) and touches no address
// outside it: the scanner namespace routes only the /16 and has no default route.
package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/scan445/scan445/bench/internal/benchns"
)

// Addresses of helper C's range: no other bench uses them. The namespaces are named from
// -ns-prefix (default s445c: s445c-scan, s445c-tgt).
const (
	space    = "10.78.0.0/16"
	veth     = "10.78.0.0/30" // the veth pair's own addresses (benchns): excluded from every scan
	openNet  = "10.78.1.0/24" // 256 emulated Windows hosts, dnat'ed onto the lab's 127.0.1.y:4445
	rstNet   = "10.78.2.0/24" // TCP reset
	labFirst = "127.0.1.0"
	labPort  = 4445
)

func main() {
	bin := flag.String("bin", "bin/scan445", "scan445 binary")
	runs := flag.Int("runs", 3, "scan445 runs per measurement (median reported)")
	nmapRuns := flag.Int("nmap-runs", 1, "nmap runs per measurement (a /16 at -T4 takes minutes)")
	nmapCap := flag.Duration("nmap-cap", 6*time.Minute, "stop an nmap run after this long and report its own projection")
	out := flag.String("out", "", "also write the Markdown to this file")
	phases := flag.String("phases", "slash8,discovery,checks,fallback", "comma-separated phases to run (also: table, issue #11's other scan445 rows)")
	keep := flag.String("keep", "", "keep every report in this directory")
	serveLabFirst := flag.String("serve-lab", "", "internal: serve the lab from this 127/8 address")
	nsPrefix := flag.String("ns-prefix", "s445c", "the two network namespaces are PREFIX-scan and PREFIX-tgt")
	beforeBin := flag.String("before-bin", "", "fallback phase: also time this scan445 binary with its defaults (a build from before --ports)")
	flag.Parse()
	if *serveLabFirst != "" {
		if err := benchns.ServeLab(*serveLabFirst, labPort, 256); err != nil {
			fail(err)
		}
		return
	}
	var md strings.Builder
	fmt.Fprintf(&md, "## Sparse network: scan445 defaults vs nmap -T4 (`make bench`, %s, %d cores)\n\n",
		time.Now().UTC().Format("2006-01-02"), runtime.NumCPU())
	err := benchns.AsRoot(&md, "Skipped: needs root to create network namespaces.", func(ctx context.Context) error {
		absBin, err := filepath.Abs(*bin)
		if err != nil {
			return err
		}
		b := &bencher{ctx: ctx, bin: absBin, before: *beforeBin,
			ns: benchns.Pair{Scan: *nsPrefix + "-scan", Target: *nsPrefix + "-tgt", Space: space}}
		return b.bench(&md, *runs, *nmapRuns, *nmapCap, *keep, strings.Split(*phases, ","))
	})
	if err != nil {
		fail(err)
	}
	if err := benchns.Emit(md.String(), *out); err != nil {
		fail(err)
	}
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "sparsebench:", err)
	os.Exit(1)
}

// nftRules: the open /24 is dnat'ed onto the lab, the RST /24 rejected, everything else in the
// /16 dropped (a SYN to an address nobody holds) — on 445 and on 139, the two ports a sweep
// may try (the RST /24 stands for hosts with neither service, so 139 resets too). Only the lab slice is connection-tracked: a
// /16 sweep would otherwise fill the conntrack table and later runs would see dropped SYNs.
func nftRules() string {
	var m []string
	for y := 0; y < 256; y++ {
		m = append(m, fmt.Sprintf("10.78.1.%d : 127.0.1.%d", y, y))
	}
	return fmt.Sprintf(`table ip sparsebench {
  map lab { type ipv4_addr : ipv4_addr; elements = { %s } }
  chain raw_pre {
    type filter hook prerouting priority raw; policy accept;
    ip daddr != %[2]s notrack
  }
  chain raw_out {
    type filter hook output priority raw; policy accept;
    ip saddr != { %[2]s, 127.0.0.0/8 } notrack
  }
  chain pre {
    type nat hook prerouting priority dstnat; policy accept;
    ip daddr %[2]s tcp dport 445 dnat to ip daddr map @lab : %[3]d
  }
  chain in {
    type filter hook input priority 0; policy accept;
    ip daddr %[4]s tcp dport { 445, 139 } reject with tcp reset
    ip daddr %[5]s tcp dport { 445, 139 } drop
  }
}
`, strings.Join(m, ", "), openNet, labPort, rstNet, space)
}

func setup(ctx context.Context, lab benchns.Pair) error {
	targetNS := lab.Target
	return lab.Create(ctx, [][]string{
		// The lab's 256 hosts are one kernel: unlimited ICMP, so the Conficker P2P UDP hello
		// gets its port-unreachable instead of a timeout.
		{"ip", "netns", "exec", targetNS, "sysctl", "-qw", "net.ipv4.icmp_ratelimit=0"},
		{"ip", "netns", "exec", targetNS, "sysctl", "-qw", "net.ipv4.icmp_msgs_per_sec=1000000"},
		{"ip", "netns", "exec", targetNS, "sysctl", "-qw", "net.ipv4.icmp_msgs_burst=1000000"},
		{"ip", "netns", "exec", targetNS, "sysctl", "-qw", "net.ipv4.conf.all.route_localnet=1"},
		{"ip", "netns", "exec", targetNS, "sysctl", "-qw", "net.ipv4.conf.veth-t.route_localnet=1"},
	}, nftRules())
}

func (b *bencher) bench(md *strings.Builder, runs, nmapRuns int, nmapCap time.Duration, keep string, phases []string) error {
	ctx, lab := b.ctx, b.ns
	dir := keep
	if dir == "" {
		d, err := os.MkdirTemp("", "sparsebench")
		if err != nil {
			return err
		}
		defer os.RemoveAll(d)
		dir = d
	} else if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	defer lab.Teardown()
	if err := setup(ctx, lab); err != nil {
		return err
	}
	srv, _, err := benchns.StartSelf(ctx, lab.Target, "-serve-lab", labFirst)
	if err != nil {
		return err
	}
	defer srv.Stop()

	nmapVer := "nmap"
	if b, err := exec.Command("nmap", "--version").Output(); err == nil {
		if f := strings.Fields(string(b)); len(f) >= 3 {
			nmapVer = "nmap " + f[2]
		}
	}
	fmt.Fprintf(md, "Lab: two network namespaces joined by a veth pair; the scanner namespace routes only %s (no default route). "+
		"In the target namespace %s = 256 emulated Windows hosts (smblab, nftables dnat), %s = TCP reset, "+
		"every other address of the /16 drops the SYN. %s (the veth pair) is excluded from every scan. "+
		"scan445 runs with its defaults (`--rate 1000 --timeout 3s --retries 0 --concurrency 64`); peer: %s. "+
		"scan445: median of %d runs; nmap: %d run(s), each stopped after %s if unfinished. Ratios are nmap's wall time ÷ scan445's.\n\n",
		space, openNet, rstNet, veth, nmapVer, runs, nmapRuns, nmapCap)

	b.dir = dir
	for _, p := range phases {
		var err error
		switch strings.TrimSpace(p) {
		case "discovery":
			err = b.sweep(md, runs, nmapRuns, nmapCap, false)
		case "checks":
			err = b.sweep(md, runs, nmapRuns, nmapCap, true)
		case "slash8":
			err = b.slash8(md)
		case "table":
			err = b.table(md, runs)
		case "fallback":
			err = b.fallback(md, runs)
		case "":
		default:
			err = fmt.Errorf("unknown phase %q", p)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

type bencher struct {
	ctx    context.Context
	bin    string
	before string       // -before-bin: a scan445 from before --ports, or ""
	ns     benchns.Pair // the two namespaces (-ns-prefix)
	dir    string
	seq    int
}

func (b *bencher) file(name string) string {
	b.seq++
	return filepath.Join(b.dir, fmt.Sprintf("%03d-%s", b.seq, name))
}

// run is one process inside the scanner namespace: its wall time and peak RSS, read as VmHWM
// from /proc/<pid>/status while it runs (ip netns exec execs the tool in place, so the pid is
// the tool's own), and from its rusage at exit as a cross-check.
type run struct {
	wall      time.Duration
	vmHWMKiB  int64
	maxRSSKiB int64
	stdout    string
	capped    bool // stopped at the time cap, unfinished
}

// inScan runs argv in the scanner namespace. A run still going after capAfter (0: none) is
// stopped and returned as capped, not as an error: nmap on a sparse /16 can take over an hour.
func (b *bencher) inScan(capAfter time.Duration, okCodes []int, argv ...string) (run, error) {
	ctx, cancel := context.WithCancel(b.ctx)
	defer cancel()
	var capped atomic.Bool
	if capAfter > 0 {
		t := time.AfterFunc(capAfter, func() { capped.Store(true); cancel() })
		defer t.Stop()
	}
	cmd := exec.CommandContext(ctx, "ip", append([]string{"netns", "exec", b.ns.Scan}, argv...)...)
	var stderr, stdout strings.Builder
	cmd.Stdout = &stdout
	cmd.Stderr = &stderr
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return run{}, err
	}
	stopPoll := make(chan struct{})
	peak := make(chan int64, 1)
	go func() {
		var hwm int64
		t := time.NewTicker(50 * time.Millisecond)
		defer t.Stop()
		for {
			if v := vmHWM(cmd.Process.Pid); v > hwm {
				hwm = v
			}
			select {
			case <-stopPoll:
				peak <- hwm
				return
			case <-t.C:
			}
		}
	}()
	err := cmd.Wait()
	r := run{wall: time.Since(start), stdout: stdout.String()}
	close(stopPoll)
	r.vmHWMKiB = <-peak
	if cmd.ProcessState != nil {
		r.maxRSSKiB = cmd.ProcessState.SysUsage().(*syscall.Rusage).Maxrss
	}
	var ee *exec.ExitError
	if errors.As(err, &ee) && ctx.Err() == nil && slices.Contains(okCodes, ee.ExitCode()) {
		err = nil
	}
	if capped.Load() && b.ctx.Err() == nil {
		r.capped, err = true, nil
	}
	if err != nil {
		return r, fmt.Errorf("%s: %w (%s)", strings.Join(argv, " "), err, benchns.Tail(stderr.String()))
	}
	return r, nil
}

// vmHWM is the peak resident set of pid in KiB, 0 once the process is gone.
func vmHWM(pid int) int64 {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmHWM:"); ok {
			n, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return n
		}
	}
	return 0
}

// nmapDone is how much of the whole scan nmap had done, from its last --stats-every lines:
// "Stats: … elapsed; 4096 hosts completed (…), 1024 undergoing SYN Stealth Scan" and the
// "About 37.5% done" that follows it, which is the share of the current host group only.
func nmapDone(stdout string, total int) float64 {
	completed, group, pct := 0, 0, 0.0
	for _, l := range strings.Split(stdout, "\n") {
		if _, after, ok := strings.Cut(l, " elapsed; "); ok {
			f := strings.Fields(after) // 4096 hosts completed (1024 up), 1024 undergoing …
			if len(f) >= 6 {
				completed, _ = strconv.Atoi(f[0])
				group, _ = strconv.Atoi(f[5])
				pct = 0
			}
			continue
		}
		if _, after, ok := strings.Cut(l, "About "); ok {
			if p, _, ok := strings.Cut(after, "% done"); ok {
				if v, err := strconv.ParseFloat(p, 64); err == nil {
					pct = v / 100
				}
			}
		}
	}
	if total <= 0 {
		return 0
	}
	return (float64(completed) + pct*float64(group)) / float64(total)
}

// ---- reports ---------------------------------------------------------------------------

// scanReport is the part of scan445's JSON the bench reads. Hosts are decoded one by one.
type scanReport struct {
	open     map[string]bool
	statuses map[string]int
	options  map[string]string
	achieved float64
	attempts int64
	findings int
}

func readScan(path string) (*scanReport, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var doc struct {
		Options map[string]string `json:"options"`
		Summary struct {
			Statuses map[string]int `json:"statuses"`
			Verdicts map[string]int `json:"verdicts"`
		} `json:"summary"`
		Stats struct {
			AchievedRate float64 `json:"achieved_rate"`
			Attempts     int64   `json:"attempts"`
		} `json:"stats"`
		Hosts []struct {
			Address string `json:"address"`
			Status  string `json:"status"`
		} `json:"hosts"`
	}
	if err := json.NewDecoder(bufio.NewReaderSize(f, 1<<20)).Decode(&doc); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	r := &scanReport{open: map[string]bool{}, statuses: doc.Summary.Statuses, options: doc.Options, achieved: doc.Stats.AchievedRate,
		attempts: doc.Stats.Attempts}
	for _, h := range doc.Hosts {
		if h.Status == "open" {
			r.open[h.Address] = true
		}
	}
	for _, n := range doc.Summary.Verdicts {
		r.findings += n
	}
	return r, nil
}

// readNmapOpen reads nmap's greppable output: the addresses with 445/open.
func readNmapOpen(path string) (map[string]bool, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	open := map[string]bool{}
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		l := sc.Text()
		if !strings.HasPrefix(l, "Host: ") || !strings.Contains(l, "445/open/") {
			continue
		}
		if f := strings.Fields(l); len(f) >= 2 {
			open[f[1]] = true
		}
	}
	return open, sc.Err()
}

func expectedOpen() map[string]bool {
	m := map[string]bool{}
	for y := 0; y < 256; y++ {
		m[fmt.Sprintf("10.78.1.%d", y)] = true
	}
	return m
}

// sameSet describes how got differs from want ("" when equal).
func sameSet(want, got map[string]bool) string {
	missing, extra := 0, 0
	for a := range want {
		if !got[a] {
			missing++
		}
	}
	for a := range got {
		if !want[a] {
			extra++
		}
	}
	if missing+extra == 0 {
		return ""
	}
	return fmt.Sprintf("%d missing, %d extra", missing, extra)
}
