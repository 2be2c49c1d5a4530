package report

import (
	"encoding/csv"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/scan445/scan445/scanner"
	"github.com/scan445/scan445/smbprobe"
)

// CSVOptions tunes the CSV writer.
type CSVOptions struct {
	// BOM prefixes a UTF-8 byte order mark so that Excel opens non-ASCII names correctly.
	BOM bool
}

// CSVHeader is the column list of WriteCSV, one row per finding.
func CSVHeader() []string {
	return []string{"finding_id", "address", "port", "netbios_name", "domain", "os", "native_os",
		"check", "category", "title", "cve", "severity", "verdict", "baseline", "variant", "rule",
		"reason", "remediation", "evidence"}
}

// WriteCSV writes one row per finding. Every cell is neutralised against formula injection.
func WriteCSV(w io.Writer, doc *Document, opts CSVOptions) error {
	if opts.BOM {
		if _, err := io.WriteString(w, "\ufeff"); err != nil {
			return err
		}
	}
	cw := csv.NewWriter(w)
	if err := cw.Write(CSVHeader()); err != nil {
		return err
	}
	for _, h := range doc.Hosts {
		if h.SMB == nil {
			continue
		}
		fp := h.SMB.Fingerprint
		for _, f := range h.SMB.Findings {
			row := []string{f.ID, h.Address, strconv.Itoa(h.Port), fp.NetBIOSName, fp.NetBIOSDomain,
				fp.OS, fp.NativeOS, f.Check, string(f.Category), f.Title, strings.Join(f.CVE, " "),
				string(f.Severity), string(f.Verdict), f.Baseline, f.Variant, f.Rule, f.Reason,
				strings.Join(f.Remediation, " "), evidenceText(h.SMB, f)}
			for i := range row {
				row[i] = CellSafe(row[i])
			}
			if err := cw.Write(row); err != nil {
				return err
			}
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("report: csv: %w", err)
	}
	return nil
}

// CellSafe neutralises a spreadsheet cell: a leading = + - @ TAB or CR would make Excel or
// LibreOffice evaluate it as a formula (DDE: =cmd|' /C calc'!A0), so it gets a leading quote.
// Invalid UTF-8 is replaced, so the file stays valid UTF-8 for importers.
func CellSafe(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	if s == "" {
		return s
	}
	switch s[0] {
	case '=', '+', '-', '@', '\t', '\r':
		return "'" + s
	}
	// Some spreadsheets trim leading whitespace before deciding it is a formula.
	if t := strings.TrimLeft(s, " \n"); t != s && t != "" && strings.ContainsRune("=+-@\t\r", rune(t[0])) {
		return "'" + s
	}
	return s
}

// evidenceText renders the exchanges a finding points at on one line each.
func evidenceText(r *smbprobe.Result, f smbprobe.Finding) string {
	var parts []string
	for _, i := range f.Evidence {
		e, ok := exchangeAt(r, i)
		if !ok {
			parts = append(parts, fmt.Sprintf("#%d: (missing)", i))
			continue
		}
		s := fmt.Sprintf("#%d %s: %s -> %s", i, e.Step, e.Request, e.Status)
		if e.Response != "" {
			s += " (" + e.Response + ")"
		}
		parts = append(parts, s)
	}
	return strings.Join(parts, "\n")
}

// exchangeAt bounds-checks an evidence index: it comes from a loaded file and may be anything.
func exchangeAt(r *smbprobe.Result, i int) (smbprobe.Exchange, bool) {
	if r == nil || i < 0 || i >= len(r.Exchanges) {
		return smbprobe.Exchange{}, false
	}
	return r.Exchanges[i], true
}

// hostName is the best human name a host announced, or "".
func hostName(h scanner.HostResult) string {
	if h.SMB == nil {
		return ""
	}
	fp := h.SMB.Fingerprint
	switch {
	case fp.DNSName != "":
		return fp.DNSName
	case fp.NetBIOSName != "":
		return fp.NetBIOSName
	case fp.ServerInfo != nil:
		return fp.ServerInfo.Name
	}
	return ""
}
