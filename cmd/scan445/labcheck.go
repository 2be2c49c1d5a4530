package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"

	"github.com/urfave/cli/v2"

	"github.com/scan445/scan445/report"
	"github.com/scan445/scan445/smbprobe/smblab"
)

// labCheckCommand holds a scan report against the lab's truth tables: the demo's proof that
// every vulnerable, infected and exposed personality was found, the rest judged right, and that
// nothing crashed.
func labCheckCommand(env *environment) *cli.Command {
	return &cli.Command{
		Name:      "lab-check",
		Usage:     "compare a scan report of the lab with each personality's truth table",
		ArgsUsage: "REPORT.json",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "map", Usage: "the lab's host map (`FILE` from scan445 lab --map-json)", Required: true},
			&cli.StringFlag{Name: "crash-log", Usage: "the lab's crash log `FILE`; any CRASH line fails the check"},
		},
		Action: func(c *cli.Context) error {
			if c.NArg() != 1 {
				return usagef("lab-check: give the scan's JSON report")
			}
			doc, err := loadReport(c.Args().First())
			if err != nil {
				return err
			}
			raw, err := os.ReadFile(c.String("map"))
			if err != nil {
				return usageError{err}
			}
			var hosts []smblab.Host
			if err := json.Unmarshal(raw, &hosts); err != nil {
				return usagef("--map %s: %v", c.String("map"), err)
			}
			crashes := 0
			if p := c.String("crash-log"); p != "" {
				b, err := os.ReadFile(p)
				if err != nil && !os.IsNotExist(err) {
					return usageError{err}
				}
				for _, line := range strings.Split(string(b), "\n") {
					if strings.HasPrefix(line, "CRASH ") {
						crashes++
						fmt.Fprintf(env.stdout, "lab logged: %s\n", termSafe(line))
					}
				}
			}
			mismatches := compareWithLab(env.stdout, doc, hosts)
			fmt.Fprintf(env.stdout, "lab-check: %d hosts, %d mismatches, %d CRASH lines\n", len(hosts), mismatches, crashes)
			if mismatches > 0 || crashes > 0 {
				env.exitCode = exitFindings
			}
			return nil
		},
	}
}

// compareWithLab prints one line per host and check and returns the number of wrong verdicts.
// Checks the scan did not run (not in its options) are left out.
func compareWithLab(w io.Writer, doc *report.Document, hosts []smblab.Host) int {
	personalities := map[string]smblab.Personality{}
	for _, p := range smblab.DefaultPersonalities() {
		personalities[p.Name] = p
	}
	ran := map[string]bool{}
	for _, h := range doc.Hosts {
		if h.SMB != nil {
			for _, f := range h.SMB.Findings {
				ran[f.Check] = true
			}
		}
	}
	byAddr := map[string]int{}
	for i, h := range doc.Hosts {
		byAddr[h.Address] = i
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ADDRESS\tPERSONALITY\tCHECK\tEXPECTED\tGOT\t")
	bad := 0
	for _, lh := range hosts {
		p := personalities[lh.Personality]
		i, scanned := byAddr[lh.Addr.String()]
		for _, check := range smblab.Checks() {
			want, ok := lh.Truth[check]
			if !ok || !ran[check] {
				continue
			}
			got := "(not scanned)"
			credentialed := false
			if scanned {
				got, credentialed = verdictOf(doc, i, check), credentialedFinding(doc, i, check)
			}
			mark := "ok"
			cw, hasCred := lh.CredentialedTruth(check)
			switch {
			case credentialed && hasCred:
				// A scan with --user: the credentialed verdict answers to the credentialed truth.
				want = cw
				if got != string(cw) {
					mark = "MISMATCH"
					bad++
				}
			case !p.Accepts(check, smblab.Verdict(got)):
				mark = "MISMATCH"
				bad++
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", lh.Addr, lh.Personality, check, want, got, mark)
		}
	}
	tw.Flush()
	return bad
}

// credentialedFinding reports whether host i's finding for check was reached with credentials
// (class credentialed, with its exchanges: not the "no --user" unknown).
func credentialedFinding(doc *report.Document, i int, check string) bool {
	h := doc.Hosts[i]
	if h.SMB == nil {
		return false
	}
	for _, f := range h.SMB.Findings {
		if f.Check == check {
			return f.Class == "credentialed" && len(f.Evidence) > 0
		}
	}
	return false
}

func verdictOf(doc *report.Document, i int, check string) string {
	h := doc.Hosts[i]
	if h.SMB == nil {
		return "(" + string(h.Status) + ")"
	}
	for _, f := range h.SMB.Findings {
		if f.Check == check {
			return string(f.Verdict)
		}
	}
	if h.SMB.Error != "" {
		return "error"
	}
	return "(no finding)"
}
