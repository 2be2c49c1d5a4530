package main

import (
	"fmt"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/scan445/scan445/bench/internal/benchns"
)

// spaceSize is the number of addresses nmap scans: the /16 less the veth /30.
const spaceSize = 65536 - 4

// nmapScripts is the SMB script set nmapbench compares the safe checks with.
const nmapScripts = "smb-os-discovery,smb-protocols,smb-security-mode,smb-vuln-ms17-010"

type toolRun struct {
	label string
	argv  func(out string) []string
	nmap  bool
}

// sweep times the /16 with scan445's defaults (discovery: --checks none; checks: the default
// safe checks) against nmap -sS -T4 and -sT -T4 (with the SMB scripts for checks), and holds the
// open sets against the lab's 256 hosts.
func (b *bencher) sweep(md *strings.Builder, runs, nmapRuns int, nmapCap time.Duration, checks bool) error {
	want := expectedOpen()
	scan := []string{b.bin, "scan", space, "--exclude", veth, "-q"}
	nmapArgs := []string{"-Pn", "-n", "-p445", "-T4", "--exclude", veth, "--stats-every", "15s"}
	title := "Discovery of the /16 (`--checks none`)"
	if !checks {
		scan = append(scan, "--checks", "none")
	} else {
		title = "The /16 with scan445's default safe checks on every open host, vs nmap with `--script " + nmapScripts + "`"
		nmapArgs = append(nmapArgs, "--script", nmapScripts)
	}
	tools := []toolRun{
		{label: "scan445 defaults", argv: func(out string) []string { return slices.Concat(scan, []string{"--json", out}) }},
		{label: "nmap -sS -T4", nmap: true, argv: func(out string) []string {
			return slices.Concat([]string{"nmap", "-sS"}, nmapArgs, []string{"-oG", out, space})
		}},
		{label: "nmap -sT -T4", nmap: true, argv: func(out string) []string {
			return slices.Concat([]string{"nmap", "-sT"}, nmapArgs, []string{"-oG", out, space})
		}},
	}
	type result struct {
		walls  []float64
		agree  string
		detail string
		capped []string // runs stopped at the cap: what nmap had done, and its own projection
	}
	results := make([]result, len(tools))
	for i, t := range tools {
		n := runs
		if t.nmap {
			n = nmapRuns
		}
		for r := 0; r < n; r++ {
			out := b.file(strings.ReplaceAll(t.label, " ", "_") + map[bool]string{true: ".gnmap", false: ".json"}[t.nmap])
			// scan445 exits 1 only with --fail-on; nmap 0.
			limit := 30 * time.Minute
			if t.nmap {
				limit = nmapCap
			}
			tr, err := b.inScan(limit, []int{1}, t.argv(out)...)
			if err != nil {
				return err
			}
			fmt.Fprintf(os.Stderr, "sparsebench: %s run %d: %.1f s (capped %v)\n", t.label, r+1, tr.wall.Seconds(), tr.capped)
			results[i].walls = append(results[i].walls, tr.wall.Seconds())
			if tr.capped {
				done := nmapDone(tr.stdout, spaceSize)
				proj := "no progress line"
				if done > 0 {
					proj = fmt.Sprintf("%.1f%% of the /16's port scan done, projected %.0f s", done*100, tr.wall.Seconds()/done)
				}
				results[i].capped = append(results[i].capped, proj)
				results[i].agree = "not finished (see below)"
				continue
			}
			var open map[string]bool
			if t.nmap {
				if open, err = readNmapOpen(out); err != nil {
					return err
				}
			} else {
				rep, err := readScan(out)
				if err != nil {
					return err
				}
				open = rep.open
				results[i].detail = fmt.Sprintf("closed %d, filtered %d; connect slots %s; achieved %.0f/s; %d findings",
					rep.statuses["closed"], rep.statuses["filtered"], rep.options["connect_slots"], rep.achieved, rep.findings)
			}
			if d := sameSet(want, open); d != "" {
				results[i].agree = d
			} else if results[i].agree == "" {
				results[i].agree = "all 256, no extra"
			}
		}
	}
	base := benchns.Median(results[0].walls)
	fmt.Fprintf(md, "### %s\n\n| tool | wall time | nmap ÷ scan445 | open hosts vs the lab's 256 |\n|---|---|---|---|\n", title)
	for i, t := range tools {
		w := benchns.Median(results[i].walls)
		ratio := "1 (baseline)"
		wall := fmt.Sprintf("%.1f s (runs: %s)", w, list(results[i].walls))
		if i > 0 {
			ratio = fmt.Sprintf("**%.1f×**", w/base)
		}
		if len(results[i].capped) > 0 {
			wall = fmt.Sprintf("> %.0f s (stopped at the cap)", w)
			ratio = fmt.Sprintf("**> %.1f×**", w/base)
		}
		fmt.Fprintf(md, "| %s | %s | %s | %s |\n", t.label, wall, ratio, results[i].agree)
	}
	fmt.Fprintf(md, "\nscan445 (last run): %s.\n", results[0].detail)
	for i, t := range tools {
		for _, c := range results[i].capped {
			fmt.Fprintf(md, "%s was stopped after %.0f s: %s (nmap's own `--stats-every` figure; "+
				"with nearly every SYN dropped, its congestion control keeps slowing down).\n", t.label, nmapCap.Seconds(), c)
		}
	}
	md.WriteString("\n")
	return nil
}

// slash8 sweeps 10.0.0.0/8 unpaced: outside the live /16 every address is unreachable (no
// route), inside it the /16 answers as above. Peak RSS and report size are the point.
func (b *bencher) slash8(md *strings.Builder) error {
	out := b.file("slash8.json")
	argv := []string{b.bin, "scan", "10.0.0.0/8", "--exclude", veth, "--checks", "none", "--rate", "0", "-q", "--json", out}
	tr, err := b.inScan(0, []int{1}, argv...)
	if err != nil {
		return err
	}
	st, err := os.Stat(out)
	if err != nil {
		return err
	}
	rep, err := readScan(out)
	if err != nil {
		return err
	}
	targets := 0
	for _, n := range rep.statuses {
		targets += n
	}
	fmt.Fprintf(os.Stderr, "sparsebench: /8: %.1f s, VmHWM %d KiB\n", tr.wall.Seconds(), tr.vmHWMKiB)
	fmt.Fprintf(md, "### A whole /8: `scan 10.0.0.0/8 --checks none --rate 0` (one run)\n\n")
	fmt.Fprintf(md, "| what | figure | goal |\n|---|---|---|\n")
	fmt.Fprintf(md, "| addresses scanned | %d (unreachable %d, filtered %d, closed %d, open %d) | — |\n",
		targets, rep.statuses["unreachable"], rep.statuses["filtered"], rep.statuses["closed"], rep.statuses["open"])
	fmt.Fprintf(md, "| wall time | %.0f s (%.0f addresses/s; connect slots %s) | — |\n",
		tr.wall.Seconds(), float64(targets)/tr.wall.Seconds(), rep.options["connect_slots"])
	fmt.Fprintf(md, "| peak RSS of the scan445 process (VmHWM, /proc) | **%.1f MiB** (rusage maxrss %.1f MiB) | < 256 MiB |\n",
		float64(tr.vmHWMKiB)/1024, float64(tr.maxRSSKiB)/1024)
	fmt.Fprintf(md, "| JSON report | **%.1f KiB**, %d hosts listed (the open ones: %s) | proportional to responsive hosts |\n\n",
		float64(st.Size())/1024, len(rep.open), orNone(sameSet(expectedOpen(), rep.open), "the lab's 256"))
	return nil
}

func orNone(diff, same string) string {
	if diff == "" {
		return same
	}
	return diff
}

func list(v []float64) string {
	s := make([]string, len(v))
	for i, x := range v {
		s[i] = fmt.Sprintf("%.1f", x)
	}
	return strings.Join(s, ", ")
}

// table re-measures the other scan445 rows of issue #11's table on the same /16: the old
// defaults' one retry, and the engine unleashed.
func (b *bencher) table(md *strings.Builder, runs int) error {
	rows := []struct{ label, flags string }{
		{"defaults", ""},
		{"`--retries 1` (the retry the defaults had)", "--retries 1"},
		{"`--rate 10000 --timeout 1s --retries 0`", "--rate 10000 --timeout 1s --retries 0"},
	}
	fmt.Fprintf(md, "### scan445 alone on the /16, `--checks none` (median of %d)\n\n| flags | wall time | achieved rate | connect slots | open hosts |\n|---|---|---|---|---|\n", runs)
	for _, r := range rows {
		walls, rep, err := b.discovery("table "+r.flags, b.bin, strings.Fields(r.flags), runs)
		if err != nil {
			return err
		}
		fmt.Fprintf(md, "| %s | %.1f s | %.0f/s | %s | %s |\n", r.label, benchns.Median(walls), rep.achieved, rep.options["connect_slots"],
			orNone(sameSet(expectedOpen(), rep.open), "all 256, no extra"))
	}
	md.WriteString("\n")
	return nil
}

// fallback times the /16 discovery (`--checks none`) under each port policy: one port (445,
// the sweep before --ports; also -before-bin's defaults when given), the default --ports
// 445,139 that moves on to 139 only after a RST, and the opt-in --fallback-on filtered. On this
// network 256 addresses reset both ports and 65 020 drop both: the default costs one more SYN
// per resetting host, the opt-in a second timeout per dead address.
func (b *bencher) fallback(md *strings.Builder, runs int) error {
	type variant struct {
		label string
		argv  []string // after "scan SPACE --exclude VETH -q --checks none --json OUT"
		bin   string
	}
	var vs []variant // the first is the baseline of the ratios
	if b.before != "" {
		vs = append(vs, variant{"defaults of the build before `--ports` (445 only)", nil, b.before})
	}
	vs = append(vs,
		variant{"`--port 445` (one port)", []string{"--port", "445"}, b.bin},
		variant{"defaults: `--ports 445,139 --fallback-on closed`", nil, b.bin},
		variant{"`--fallback-on filtered`", []string{"--fallback-on", "filtered"}, b.bin})
	fmt.Fprintf(md, "### Port 139 fallback on the /16 (`--checks none`, median of %d)\n\n"+
		"| port policy | wall time | ÷ first row | SYNs (attempts) | achieved rate | connect slots | closed / filtered | open hosts |\n|---|---|---|---|---|---|---|---|\n", runs)
	var base float64
	for i, v := range vs {
		walls, rep, err := b.discovery("fallback "+v.label, v.bin, v.argv, runs)
		if err != nil {
			return err
		}
		w := benchns.Median(walls)
		if i == 0 {
			base = w
		}
		fmt.Fprintf(md, "| %s | %.1f s (runs: %s) | %.2f× | %d | %.0f/s | %s | %d / %d | %s |\n", v.label, w, list(walls), w/base,
			rep.attempts, rep.achieved, rep.options["connect_slots"], rep.statuses["closed"], rep.statuses["filtered"],
			orNone(sameSet(expectedOpen(), rep.open), "all 256, no extra"))
	}
	md.WriteString("\n")
	return nil
}

// discovery runs bin's `scan` of the /16 with `--checks none` and the extra flags, runs times:
// the wall times and the last run's report.
func (b *bencher) discovery(label, bin string, flags []string, runs int) ([]float64, *scanReport, error) {
	var walls []float64
	var rep *scanReport
	for i := 0; i < runs; i++ {
		out := b.file("discovery.json")
		argv := slices.Concat([]string{bin, "scan", space, "--exclude", veth, "-q", "--checks", "none", "--json", out}, flags)
		tr, err := b.inScan(0, []int{1}, argv...)
		if err != nil {
			return nil, nil, err
		}
		fmt.Fprintf(os.Stderr, "sparsebench: %s run %d: %.1f s\n", label, i+1, tr.wall.Seconds())
		walls = append(walls, tr.wall.Seconds())
		if rep, err = readScan(out); err != nil {
			return nil, nil, err
		}
	}
	return walls, rep, nil
}
