package main

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/scan445/scan445/bench/internal/benchns"
)

// The /8 target spec of the RSS comparison: excludes leave exactly the lab's /16, so the spec
// is a /8 but nothing outside the namespaces is dialled (and the scanner namespace has no
// route there anyway).
var slash8Excludes = []string{
	"10.0.0.0/10", "10.64.0.0/13", "10.72.0.0/14", "10.76.0.0/16",
	"10.78.0.0/15", "10.80.0.0/12", "10.96.0.0/11", "10.128.0.0/9",
}

func (b *bencher) scanSweep(spec string, excludes []string) (timing, *scanReport, error) {
	out := b.file("sweep.json")
	argv := []string{b.bin, "scan", "--checks", "none", "--quiet", "--rate", fmt.Sprint(rate),
		"--concurrency", "8192", "--timeout", "1s", "--retries", "0", "--keep-network-broadcast",
		"--json", out}
	for _, e := range excludes {
		argv = append(argv, "--exclude", e)
	}
	t, err := b.inScan(3*time.Minute, []int{1}, append(argv, spec)...)
	if err != nil {
		return t, nil, err
	}
	r, err := readScan(out)
	return t, r, err
}

func (b *bencher) nmapSweep(scanType string) (timing, nmapResult, error) {
	out := b.file("nmap.xml")
	t, err := b.inScan(6*time.Minute, nil, "nmap", scanType, "-Pn", "-n", "-p445",
		"--min-rate", fmt.Sprint(rate), "--max-rate", fmt.Sprint(rate), "--max-retries", "0",
		"--max-rtt-timeout", "1000ms", "--open", "-oX", out, space)
	if err != nil {
		return t, nil, err
	}
	r, err := readNmap(out)
	return t, r, err
}

func secs(ts []timing) []float64 {
	var v []float64
	for _, t := range ts {
		v = append(v, t.wall.Seconds())
	}
	return v
}

func rss(ts []timing) []float64 {
	var v []float64
	for _, t := range ts {
		v = append(v, float64(t.maxRSS))
	}
	return v
}

// discovery sweeps the /16 with each tool at the same rate, timeout and retries.
func (b *bencher) discovery(md *strings.Builder, runs int) error {
	want := expectedOpen()
	var s16, s8, nT, nS []timing
	var rates []float64
	var d16, d8, dT, dS string
	for i := 0; i < runs; i++ {
		t, r, err := b.scanSweep(space, nil)
		if err != nil {
			return err
		}
		s16, rates = append(s16, t), append(rates, r.Stats.AchievedRate)
		d16 = diffSets(want, keys(r.open()))

		t, r, err = b.scanSweep("10.0.0.0/8", slash8Excludes)
		if err != nil {
			return err
		}
		s8 = append(s8, t)
		d8 = diffSets(want, keys(r.open()))

		t, n, err := b.nmapSweep("-sT")
		if err != nil {
			return err
		}
		nT, dT = append(nT, t), diffSets(want, keys(n))

		t, n, err = b.nmapSweep("-sS")
		if err != nil {
			return err
		}
		nS, dS = append(nS, t), diffSets(want, keys(n))
	}
	base := benchns.Median(secs(s16))
	total := float64(1 << 16)
	fmt.Fprintf(md, "### Discovery: %s, port 445, every tool at %d/s, 1 s timeout, no retries\n\n", space, rate)
	fmt.Fprintf(md, "| tool | wall time | nmap ÷ scan445 | targets/s ÷ configured | open hosts vs the lab's %d |\n|---|---|---|---|---|\n", len(want))
	row := func(name string, ts []timing, diff string) {
		w := benchns.Median(secs(ts))
		agree := "all, no extra"
		if diff != "" {
			agree = diff
		}
		ratio := fmt.Sprintf("%.1f×", w/base)
		if name == "scan445 `scan --checks none`" {
			ratio = "1 (baseline)"
		}
		fmt.Fprintf(md, "| %s | %.1f s | %s | %.2f | %s |\n", name, w, ratio, total/w/rate, agree)
	}
	row("scan445 `scan --checks none`", s16, d16)
	row("nmap -sT -Pn -n", nT, dT)
	row("nmap -sS -Pn -n (raw SYN, reference)", nS, dS)
	fmt.Fprintf(md, "\nscan445's own paced rate (JSON `stats.achieved_rate`): %.0f/s = %.2f of configured. "+
		"nmap: `--min-rate %d --max-rate %d --max-retries 0 --max-rtt-timeout 1000ms`; scan445: "+
		"`--rate %d --timeout 1s --retries 0 --concurrency 8192`.\n\n", benchns.Median(rates), benchns.Median(rates)/rate, rate, rate, rate)

	r16, r8 := benchns.Median(rss(s16)), benchns.Median(rss(s8))
	md.WriteString("| scan445 peak RSS, same sweep | peak RSS | ratio to /16 |\n|---|---|---|\n")
	fmt.Fprintf(md, "| target %s | %.1f MiB | 1.00 |\n", space, r16/1024)
	agree := ""
	if d8 != "" {
		agree = "; open hosts differ: " + d8
	}
	fmt.Fprintf(md, "| target 10.0.0.0/8 with excludes leaving the same /16 | %.1f MiB | %.2f%s |\n\n", r8/1024, r8/r16, agree)
	return nil
}

// checkResult is one side-by-side of the safe checks on a slice.
type checkResult struct {
	scan, nmap []timing
	last       *scanReport
	lastNmap   nmapResult
}

func (b *bencher) checkSlice(spec string) (timing, *scanReport, timing, nmapResult, error) {
	out := b.file("check.json")
	// nmap's scripts run unpaced, so scan445 does too here (--rate 0): its default 1000/s counts
	// every attempt, the Conficker P2P hellos included, and would measure the pacer instead.
	ts, err := b.inScan(5*time.Minute, []int{1}, b.bin, "scan", "--quiet", "--rate", "0", "--keep-network-broadcast", "--json", out, spec)
	if err != nil {
		return ts, nil, timing{}, nil, err
	}
	r, err := readScan(out)
	if err != nil {
		return ts, nil, timing{}, nil, err
	}
	xo := b.file("check.xml")
	tn, err := b.inScan(8*time.Minute, nil, "nmap", "-sT", "-Pn", "-n", "-p445", "--script",
		"smb-os-discovery,smb-protocols,smb-security-mode,smb-vuln-ms17-010", "-oX", xo, spec)
	if err != nil {
		return ts, r, tn, nil, err
	}
	n, err := readNmap(xo)
	return ts, r, tn, n, err
}

// checks runs scan445's default safe set and nmap's SMB scripts on the lab and on Samba.
func (b *bencher) checks(md *strings.Builder, runs int, lab *labInfo) error {
	slices := []struct {
		name, spec string
		hosts      int
		goal       string
	}{
		{"256 emulated Windows hosts (smblab)", labSlice, 256, "≥ 10×"},
		{fmt.Sprintf("%d addresses on one Samba smbd", sambaHosts), sambaSlice, sambaHosts, "—"},
	}
	res := make([]checkResult, len(slices))
	for i := 0; i < runs; i++ {
		for j, s := range slices {
			ts, r, tn, n, err := b.checkSlice(s.spec)
			if err != nil {
				return err
			}
			res[j].scan = append(res[j].scan, ts)
			res[j].nmap = append(res[j].nmap, tn)
			res[j].last, res[j].lastNmap = r, n
		}
	}
	md.WriteString("### Safe checks: scan445 default safe checks, unpaced like nmap (`scan --rate 0 TARGET`) vs " +
		"`nmap -sT -Pn -n -p445 --script smb-os-discovery,smb-protocols,smb-security-mode,smb-vuln-ms17-010`\n\n")
	md.WriteString("| targets | scan445 | nmap | nmap ÷ scan445 | goal |\n|---|---|---|---|---|\n")
	for j, s := range slices {
		ws, wn := benchns.Median(secs(res[j].scan)), benchns.Median(secs(res[j].nmap))
		fmt.Fprintf(md, "| %s | %.2f s | %.2f s | **%.1f×** | %s |\n", s.name, ws, wn, wn/ws, s.goal)
	}

	md.WriteString("\n### Agreement (last run): open hosts and OS per host\n\n")
	for j, s := range slices {
		r, n := res[j].last, res[j].lastNmap
		so := r.open()
		fmt.Fprintf(md, "- %s: scan445 found %d open, nmap %d", s.name, len(so), len(n))
		if d := diffSets(keys(so), keys(n)); d != "" {
			fmt.Fprintf(md, "; nmap vs scan445: %s", d)
		} else {
			md.WriteString(", the same set")
		}
		md.WriteString(".\n")
		type pair struct{ who, ours, theirs string }
		groups := map[pair][]string{}
		same := 0
		for a, h := range so {
			theirs, ok := n[a]
			if !ok {
				continue
			}
			if h.osOf() == osKey(theirs) {
				same++
				continue
			}
			who := lab.byAddr[a]
			if who == "" {
				who = "samba"
			}
			p := pair{who: who, theirs: theirs}
			if h.SMB != nil {
				p.ours = h.SMB.Fingerprint.OS
			}
			groups[p] = append(groups[p], a)
		}
		fmt.Fprintf(md, "  OS agrees on %d hosts", same)
		if len(groups) == 0 {
			md.WriteString("; no disagreement.\n")
			continue
		}
		md.WriteString("; disagreements:\n")
		var ps []pair
		for p := range groups {
			ps = append(ps, p)
		}
		sort.Slice(ps, func(i, k int) bool { return ps[i].who < ps[k].who || ps[i].who == ps[k].who && ps[i].ours < ps[k].ours })
		for _, p := range ps {
			theirs := fmt.Sprintf("%q", p.theirs)
			if p.theirs == "" {
				theirs = "no OS (smb-os-discovery needs SMB1)"
			}
			fmt.Fprintf(md, "  - %s ×%d: scan445 %q, nmap %s\n", p.who, len(groups[p]), p.ours, theirs)
		}
	}

	md.WriteString("\n### scan445 cost per open host (last run, from the JSON report)\n\n")
	md.WriteString("| targets | connections median / max | round trips median / max |\n|---|---|---|\n")
	for j, s := range slices {
		var cs, rts []float64
		for _, h := range res[j].last.open() {
			if h.SMB != nil {
				cs = append(cs, float64(h.SMB.Connections))
				rts = append(rts, float64(h.SMB.RoundTrips))
			}
		}
		fmt.Fprintf(md, "| %s | %.0f / %.0f | %.0f / %.0f |\n", s.name, benchns.Median(cs), maxOf(cs), benchns.Median(rts), maxOf(rts))
	}
	md.WriteString("\n")
	return nil
}

func maxOf(v []float64) float64 {
	m := 0.0
	for _, x := range v {
		m = max(m, x)
	}
	return m
}
