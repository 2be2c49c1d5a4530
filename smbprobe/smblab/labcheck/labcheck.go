// Package labcheck holds a scan report of the lab against each personality's truth table
// (`scan445 lab-check`, the last step of `make demo`). It sits beside the lab rather than in it
// so that the lab, an emulator of Windows hosts, does not depend on the report format.
package labcheck

import (
	"bytes"
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/scan445/scan445/report"
	"github.com/scan445/scan445/smbprobe/smblab"
)

// Compare writes one line per lab host and check (address, personality, check, expected, got,
// ok or MISMATCH) and returns the number of wrong verdicts. Checks the scan did not run (no
// finding of them in the report) are left out; a lab host missing from the report is a
// mismatch. Hosts are matched by address: a host found on 139 (445 closed) is the lab's host.
// Wire strings are not written: only the lab's own names and the report's verdict words.
func Compare(w io.Writer, doc *report.Document, hosts []smblab.Host) int {
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
			if scanned {
				got = verdictOf(doc, i, check)
			}
			mark := "ok"
			if !p.Accepts(check, smblab.Verdict(got)) {
				mark = "MISMATCH"
				bad++
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", lh.Addr, lh.Personality, check, want, got, mark)
		}
	}
	tw.Flush()
	return bad
}

// verdictOf is the verdict of check on the i-th host of doc, or why there is none.
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

// Crashes returns the CRASH lines of a lab crash log (smblab logs one when an emulated
// unpatched host receives a path that reaches the MS08-067 overflow).
func Crashes(log []byte) []string {
	var out []string
	for _, line := range bytes.Split(log, []byte("\n")) {
		if bytes.HasPrefix(line, []byte("CRASH ")) {
			out = append(out, string(line))
		}
	}
	return out
}
