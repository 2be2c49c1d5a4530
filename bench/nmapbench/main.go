// Command nmapbench measures scan445 against nmap on the same targets in one run, as ratios:
// discovery of a /16, the safe checks of 256 emulated Windows hosts and of Samba, whether the
// two tools agree on open hosts and OS, and scan445's peak RSS and per-host cost. It builds a
// two-namespace lab (root only; it skips without) and touches no address outside it.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/scan445/scan445/bench/internal/benchns"
)

const rate = 10000 // configured connection rate of the discovery comparison, both tools

func main() {
	bin := flag.String("bin", "bin/scan445", "scan445 binary")
	runs := flag.Int("runs", 3, "runs per measurement (median reported)")
	out := flag.String("out", "", "also write the Markdown to this file")
	serveOpenAddr := flag.String("serve-open", "", "internal: accept and close on this address")
	serveLabFirst := flag.String("serve-lab", "", "internal: serve the lab from this 127/8 address")
	labHosts := flag.Int("lab-hosts", 256, "internal: lab size")
	hold := flag.Bool("hold", false, "build the lab, print how to reach it, and wait for Ctrl-C instead of measuring")
	keep := flag.String("keep", "", "keep every report (scan445 JSON, nmap XML, smbd log) in this directory")
	flag.Parse()
	switch {
	case *serveOpenAddr != "":
		if err := serveOpen(*serveOpenAddr); err != nil {
			fail(err)
		}
		return
	case *serveLabFirst != "":
		if err := serveLab(*serveLabFirst, *labHosts); err != nil {
			fail(err)
		}
		return
	}
	if *runs < 1 {
		fail(fmt.Errorf("-runs %d: want at least 1", *runs))
	}

	var md strings.Builder
	fmt.Fprintf(&md, "## scan445 vs nmap (`make bench`, %s, %d cores, median of %d runs)\n\n",
		time.Now().UTC().Format("2006-01-02"), runtime.NumCPU(), *runs)
	err := benchns.AsRoot(&md, "Skipped: the nmap comparison needs root to create network namespaces.", func(ctx context.Context) error {
		absBin, err := filepath.Abs(*bin)
		if err != nil {
			return err
		}
		return bench(ctx, &md, absBin, *runs, *keep, *hold)
	})
	if err != nil {
		fail(err)
	}
	if err := benchns.Emit(md.String(), *out); err != nil {
		fail(err)
	}
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "nmapbench:", err)
	os.Exit(1)
}

func bench(ctx context.Context, md *strings.Builder, bin string, runs int, keep string, hold bool) error {
	if err := ensureTools(ctx); err != nil {
		return err
	}
	nmapVer := "nmap"
	if b, err := exec.Command("nmap", "--version").Output(); err == nil {
		if f := strings.Fields(string(b)); len(f) >= 3 {
			nmapVer = "nmap " + f[2]
		}
	}
	dir := keep
	if dir == "" {
		d, err := os.MkdirTemp("", "nmapbench")
		if err != nil {
			return err
		}
		defer os.RemoveAll(d)
		dir = d
	} else if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}

	// Teardown runs on return, and a signal cancels ctx, which ends every child and so returns.
	defer teardown()
	if err := setupNamespaces(ctx); err != nil {
		return err
	}
	open, _, err := startSelf(ctx, "-serve-open", "0.0.0.0:445")
	if err != nil {
		return err
	}
	defer open.Stop()
	lab, mapLine, err := startSelf(ctx, "-serve-lab", labFirst, "-lab-hosts", "256")
	if err != nil {
		return err
	}
	defer lab.Stop()
	truth, err := labTruth(mapLine)
	if err != nil {
		return err
	}
	samba, err := startSamba(ctx, filepath.Join(dir, "samba"))
	if err != nil {
		return err
	}
	defer samba.Stop()

	if hold {
		fmt.Fprintf(os.Stderr, "nmapbench: lab up; e.g. ip netns exec %s %s scan %s — Ctrl-C tears it down\n", scanNS, bin, labSlice)
		<-ctx.Done()
		return nil
	}
	b := &bencher{ctx: ctx, bin: bin, dir: dir}
	fmt.Fprintf(md, "Lab: two network namespaces joined by a veth pair; in the target namespace all of %s is local. "+
		"Third octet 1 = 256 emulated Windows hosts (smblab, %d non-hostile personalities in turn, nftables dnat), "+
		"2 = %d addresses on one Samba smbd (dnat), ≡ 0 mod 8 = accept-and-close, ≡ 7 mod 8 = dropped, "+
		"the rest = TCP reset. Peer: %s. Ratios are nmap's wall time ÷ scan445's.\n\n",
		space, truth.personalities, sambaHosts, nmapVer)

	if err := b.discovery(md, runs); err != nil {
		return err
	}
	if err := b.checks(md, runs, truth); err != nil {
		return err
	}
	return nil
}
