// Command sweepbench measures the sweep engine as ratios: achieved/configured connection rate
// against a network-namespace lab of open, closed and dropped addresses, and peak RSS of target
// generation for a /8 against a /24. It creates and removes its own namespaces (root only) and
// touches no address outside them.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"time"

	"github.com/scan445/scan445/bench/internal/benchns"
)

const (
	scanNS   = "s445bench-scan"
	targetNS = "s445bench-tgt"
	space    = "10.77.0.0/16" // local inside targetNS only
)

func main() {
	bin := flag.String("bin", "bin/scan445", "scan445 binary")
	runs := flag.Int("runs", 3, "runs per measurement (median reported)")
	out := flag.String("out", "", "also write the Markdown table to this file")
	listen := flag.String("listen", "", "internal: serve accept-and-close on this address")
	flag.Parse()
	if *listen != "" {
		serve(*listen)
		return
	}
	var md strings.Builder
	fmt.Fprintf(&md, "## Sweep engine (`make bench`, %s, %d cores, median of %d runs)\n\n", time.Now().UTC().Format("2006-01-02"), runtime.NumCPU(), *runs)

	rss8, rss24, err := rssRatio(*bin, *runs)
	if err != nil {
		fail(err)
	}
	fmt.Fprintf(&md, "| target generation (`scan -sL`, nothing sent) | peak RSS | ratio to /24 |\n|---|---|---|\n")
	fmt.Fprintf(&md, "| 10.0.0.0/24 | %d KiB | 1.00 |\n| 10.0.0.0/8 | %d KiB | %.2f (goal ≤ 1.20) |\n\n", rss24, rss8, float64(rss8)/float64(rss24))

	if os.Geteuid() != 0 {
		fmt.Fprintf(&md, "Rate benchmark skipped: it needs root to create network namespaces.\n")
	} else if err := rateBench(&md, *bin, *runs); err != nil {
		fail(err)
	}
	if err := benchns.Emit(md.String(), *out); err != nil {
		fail(err)
	}
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "sweepbench:", err)
	os.Exit(1)
}

// rssRatio runs target generation alone and reads the child's peak RSS from the kernel.
func rssRatio(bin string, runs int) (int64, int64, error) {
	peak := func(spec string) (int64, error) {
		var vals []float64
		for i := 0; i < runs; i++ {
			cmd := exec.Command(bin, "scan", "-sL", spec)
			cmd.Stdout = io.Discard
			if err := cmd.Run(); err != nil {
				return 0, fmt.Errorf("%s -sL %s: %w", bin, spec, err)
			}
			vals = append(vals, float64(cmd.ProcessState.SysUsage().(*syscall.Rusage).Maxrss))
		}
		return int64(benchns.Median(vals)), nil
	}
	r8, err := peak("10.0.0.0/8")
	if err != nil {
		return 0, 0, err
	}
	r24, err := peak("10.0.0.0/24")
	return r8, r24, err
}

// The target namespace answers the whole /16 locally: one listener on 0.0.0.0:445 makes every
// address open, except the third octets ≡ 6 (mod 8), which nftables rejects with a TCP reset
// (closed), and ≡ 7 (mod 8), which it drops (filtered).
func setup() (func(), error) {
	var rejectSet, dropSet []string
	for x := 0; x < 256; x++ {
		switch x % 8 {
		case 6:
			rejectSet = append(rejectSet, fmt.Sprintf("10.77.%d.0/24", x))
		case 7:
			dropSet = append(dropSet, fmt.Sprintf("10.77.%d.0/24", x))
		}
	}
	rules := fmt.Sprintf(`table inet bench {
  chain input {
    type filter hook input priority 0; policy accept;
    ip daddr { %s } tcp dport 445 reject with tcp reset
    ip daddr { %s } tcp dport 445 drop
  }
}`, strings.Join(rejectSet, ", "), strings.Join(dropSet, ", "))
	pair := benchns.Pair{Scan: scanNS, Target: targetNS, Space: space}
	if err := pair.Create(context.Background(), nil, rules); err != nil {
		return nil, err
	}
	return pair.Teardown, nil
}

type runResult struct {
	Stats struct {
		Attempts     int64   `json:"attempts"`
		AchievedRate float64 `json:"achieved_rate"`
	} `json:"stats"`
	Summary struct {
		Statuses map[string]int `json:"statuses"`
	} `json:"summary"`
}

func rateBench(md *strings.Builder, bin string, runs int) error {
	teardown, err := setup()
	if err != nil {
		return err
	}
	defer teardown()
	self, err := os.Executable()
	if err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	srv := exec.CommandContext(ctx, "ip", "netns", "exec", targetNS, self, "-listen", "0.0.0.0:445")
	srv.Stderr = os.Stderr
	if err := srv.Start(); err != nil {
		return err
	}
	defer srv.Wait()
	defer cancel()
	time.Sleep(300 * time.Millisecond)

	dir, err := os.MkdirTemp("", "sweepbench")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	fmt.Fprintf(md, "| configured rate | targets | achieved (median) | achieved/configured | open/closed/filtered |\n|---|---|---|---|---|\n")
	for _, tc := range []struct{ rate, shards int }{{1000, 16}, {5000, 4}, {20000, 1}} {
		var rates []float64
		var last runResult
		for i := 0; i < runs; i++ {
			out := filepath.Join(dir, fmt.Sprintf("r%d-%d.json", tc.rate, i))
			cmd := exec.Command("ip", "netns", "exec", scanNS, bin, "scan", "--checks", "none", "--quiet",
				"--rate", fmt.Sprint(tc.rate), "--concurrency", "8192", "--timeout", "1s", "--retries", "0",
				"--shard", fmt.Sprintf("0/%d", tc.shards), space, "--json", out)
			if b, err := cmd.CombinedOutput(); err != nil {
				return fmt.Errorf("scan at %d/s: %v: %s", tc.rate, err, b)
			}
			b, err := os.ReadFile(out)
			if err != nil {
				return err
			}
			if err := json.Unmarshal(b, &last); err != nil {
				return err
			}
			rates = append(rates, last.Stats.AchievedRate)
		}
		m := benchns.Median(rates)
		st := last.Summary.Statuses
		fmt.Fprintf(md, "| %d/s | %d | %.0f/s | %.3f | %d/%d/%d |\n", tc.rate, 65536/tc.shards, m, m/float64(tc.rate),
			st["open"], st["closed"], st["filtered"])
	}
	md.WriteString("\n")
	return nil
}

// serve accepts and closes connections until killed.
func serve(addr string) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		fail(err)
	}
	for {
		c, err := ln.Accept()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			continue
		}
		c.Close()
	}
}
