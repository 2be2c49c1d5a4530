package report

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/scan445/scan445/scanner"
	"github.com/scan445/scan445/smbprobe"
)

// Ticket is one finding that needs action, shaped for a ticketing system.
type Ticket struct {
	DedupKey    string            `json:"dedup_key"` // the finding id: stable across runs
	Title       string            `json:"title"`
	Description string            `json:"description"` // Markdown; wire strings are escaped
	Severity    smbprobe.Severity `json:"severity"`
	Labels      []string          `json:"labels"`
	Host        string            `json:"host"`
	Port        int               `json:"port"`
	Hostname    string            `json:"hostname,omitempty"`
	Check       string            `json:"check"`
	Category    smbprobe.Category `json:"category"`
	Verdict     smbprobe.Verdict  `json:"verdict"`
	CVE         []string          `json:"cve,omitempty"`
	Remediation []string          `json:"remediation,omitempty"`
	Baseline    string            `json:"baseline,omitempty"`
}

// Tickets returns one ticket per actionable finding, most urgent first; for a watch report one
// per source (its most urgent finding, the others named in the description), because the fix —
// find and clean that machine — is one piece of work. When a baseline was applied, findings the
// baseline already had are left out: their tickets exist already.
func Tickets(doc *Document) []Ticket {
	var out []Ticket
	for _, it := range ticketItems(doc) {
		t := ticketFor(it.h, it.f)
		t.Description += alsoText(it.also, markdown())
		out = append(out, t)
	}
	return out
}

// ticketItem is a finding that gets a ticket, with the other findings of its source that the
// ticket stands for (watch reports only).
type ticketItem struct {
	item
	also []*smbprobe.Finding
}

// ticketItems are the findings that get a ticket, most urgent first.
func ticketItems(doc *Document) []ticketItem {
	var out []ticketItem
	perSource := doc.Kind == KindWatch
	first := map[*scanner.HostResult]int{}
	for _, it := range prioritised(doc) {
		if doc.Baseline != nil && it.f.Baseline == BaselineUnchanged {
			continue
		}
		if i, ok := first[it.h]; ok && perSource {
			out[i].also = append(out[i].also, it.f)
			continue
		}
		first[it.h] = len(out)
		out = append(out, ticketItem{item: it})
	}
	return out
}

// alsoText names the other findings a per-source ticket stands for.
func alsoText(also []*smbprobe.Finding, m markup) string {
	if len(also) == 0 {
		return ""
	}
	var b strings.Builder
	b.WriteString("\n" + m.heading("Also seen from this source") + "\n")
	for _, f := range also {
		fmt.Fprintf(&b, "%s%s (%s): %s\n", m.item, m.esc(f.Check), m.esc(string(f.Verdict)), m.esc(f.Reason))
	}
	return b.String()
}

func ticketFor(h *scanner.HostResult, f *smbprobe.Finding) Ticket {
	name := hostName(*h)
	subject := h.Address
	if name != "" {
		subject += " (" + name + ")"
	}
	labels := []string{"scan445", labelSafe(f.Check), labelSafe(string(f.Verdict)), labelSafe(string(f.Category))}
	for _, c := range f.CVE {
		labels = append(labels, labelSafe(c))
	}
	id := f.ID
	if id == "" {
		id = FindingID(h.Address, findingKey(*f), f.Verdict)
	}
	return Ticket{
		DedupKey:    id,
		Title:       oneLine(fmt.Sprintf("[%s] %s: %s on %s", f.Severity, f.Verdict, f.Title, subject), 240),
		Description: ticketMarkdown(h, f),
		Severity:    f.Severity,
		Labels:      labels,
		Host:        h.Address,
		Port:        h.Port,
		Hostname:    name,
		Check:       f.Check,
		Category:    f.Category,
		Verdict:     f.Verdict,
		CVE:         f.CVE,
		Remediation: f.Remediation,
		Baseline:    f.Baseline,
	}
}

// markup is a text dialect for ticket descriptions: how to escape a wire string and how to
// write the few constructs the description uses.
type markup struct {
	esc              func(string) string
	bold             func(escaped string) string
	heading          func(escaped string) string
	item, subitem    string // list item prefixes
	arrow, separator string
}

// markdown is CommonMark/GFM, for JSON tickets, webhooks and DefectDojo.
func markdown() markup {
	return markup{
		esc:     mdEscape,
		bold:    func(s string) string { return "**" + s + "**" },
		heading: func(s string) string { return "### " + s + "\n" },
		item:    "- ", subitem: "  - ", arrow: " → ", separator: "; ",
	}
}

// jiraWiki is Jira's wiki markup (the text formatting notation of Jira Server/Data Center and
// of the CSV importer's Description column).
func jiraWiki() markup {
	return markup{
		esc:     jiraEscape,
		bold:    func(s string) string { return "*" + s + "*" },
		heading: func(s string) string { return "h3. " + s + "\n" },
		item:    "* ", subitem: "** ", arrow: " → ", separator: "; ",
	}
}

// ticketMarkdown builds the Markdown description.
func ticketMarkdown(h *scanner.HostResult, f *smbprobe.Finding) string {
	return ticketText(h, f, markdown())
}

// ticketText builds the description. Every wire string is escaped: a NetBIOS name such as
// "![x](http://attacker/beacon)" must not become an image that the ticket viewer fetches.
func ticketText(h *scanner.HostResult, f *smbprobe.Finding, m markup) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s — verdict %s, severity %s\n\n", m.bold(m.esc(f.Title)), m.bold(m.esc(string(f.Verdict))), m.bold(m.esc(string(f.Severity))))
	fmt.Fprintf(&b, "%sHost: %s port %d\n", m.item, m.esc(h.Address), h.Port)
	if h.SMB != nil {
		fp := h.SMB.Fingerprint
		if n := hostName(*h); n != "" {
			fmt.Fprintf(&b, "%sName: %s\n", m.item, m.esc(n))
		}
		if fp.OS != "" {
			fmt.Fprintf(&b, "%sOS: %s\n", m.item, m.esc(fp.OS))
		}
		if fp.NativeOS != "" {
			fmt.Fprintf(&b, "%sNative OS: %s\n", m.item, m.esc(fp.NativeOS))
		}
	}
	fmt.Fprintf(&b, "%sCheck: %s", m.item, m.esc(f.Check))
	if len(f.CVE) > 0 {
		fmt.Fprintf(&b, " (%s)", m.esc(strings.Join(f.CVE, ", ")))
	}
	if f.Variant != "" {
		fmt.Fprintf(&b, ", variant %s", m.esc(f.Variant))
	}
	fmt.Fprintf(&b, "\n%sRule: %s\n%sFinding id: %s\n\n", m.item, m.esc(f.Rule), m.item, m.esc(f.ID))
	fmt.Fprintf(&b, "%s\n", m.esc(f.Reason))
	if h.SMB != nil && len(f.Evidence) > 0 {
		b.WriteString("\n" + m.heading("Evidence") + "\n")
		for _, i := range f.Evidence {
			e, ok := exchangeAt(h.SMB, i)
			if !ok {
				fmt.Fprintf(&b, "%s#%d: (missing)\n", m.item, i)
				continue
			}
			fmt.Fprintf(&b, "%s#%d %s (%s): %s%s%s", m.item, i, m.esc(e.Step), m.esc(string(e.Class)), m.esc(e.Request), m.arrow, m.esc(e.Status))
			if e.Response != "" {
				fmt.Fprintf(&b, "%s%s", m.separator, m.esc(e.Response))
			}
			b.WriteString("\n")
		}
	}
	if len(f.Remediation) > 0 {
		b.WriteString("\n" + m.heading("Remediation") + "\n")
		b.WriteString(remedyText(f.Remediation, m))
	}
	return b.String()
}

// remedyText lists the remediation steps of the given ids.
func remedyText(ids []string, m markup) string {
	var b strings.Builder
	for _, id := range ids {
		r, ok := LookupRemedy(id)
		if !ok {
			fmt.Fprintf(&b, "%s%s\n", m.item, m.esc(id))
			continue
		}
		// The catalogue is our own text, written to read the same in every dialect.
		fmt.Fprintf(&b, "%s%s\n", m.item, m.bold(r.Title))
		for _, s := range r.Steps {
			fmt.Fprintf(&b, "%s%s\n", m.subitem, s)
		}
	}
	return b.String()
}

// jiraEscape makes a string inert in Jira wiki markup and keeps it on one line: every character
// that can open markup ({noformat}, [links], !images!, *bold*, |tables|, ...) is backslash-escaped,
// a backslash itself becomes its HTML entity (two backslashes would be a line break), and control
// characters become spaces.
func jiraEscape(s string) string { return escapeInline(s, "*_?-+^~{}[]|!#()", "&#92;") }

// mdEscape makes a string inert in CommonMark/GFM and on one line: every ASCII punctuation
// that can start markup is backslash-escaped and control characters become spaces.
func mdEscape(s string) string { return escapeInline(s, "`*_{}[]()#+-.!|<>~&\"'=:", `\\`) }

// escapeInline writes s on one line (control characters become spaces) with a backslash before
// every rune of special, and backslash itself as given.
func escapeInline(s, special, backslash string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	var b strings.Builder
	for _, r := range s {
		switch {
		case r < 0x20 || r == 0x7f:
			b.WriteByte(' ')
		case r == '\\':
			b.WriteString(backslash)
		case strings.ContainsRune(special, r):
			b.WriteByte('\\')
			b.WriteRune(r)
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// oneLine drops control characters and caps the length (ticket titles are short fields).
func oneLine(s string, max int) string {
	s = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return ' '
		}
		return r
	}, strings.ToValidUTF8(s, "\uFFFD"))
	if r := []rune(s); len(r) > max {
		s = string(r[:max-1]) + "…"
	}
	return s
}

// labelSafe turns a value into a label Jira accepts (no spaces): runs of anything outside
// [A-Za-z0-9._-] become one underscore.
func labelSafe(s string) string {
	var b strings.Builder
	under := false
	for _, r := range s {
		ok := r < 0x80 && (r == '.' || r == '_' || r == '-' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z')
		if ok {
			b.WriteRune(r)
			under = false
		} else if !under {
			b.WriteByte('_')
			under = true
		}
	}
	return strings.Trim(b.String(), "_")
}

// WriteTickets writes the tickets as JSON Lines.
func WriteTickets(w io.Writer, doc *Document) error {
	enc := json.NewEncoder(w)
	for _, t := range Tickets(doc) {
		if err := enc.Encode(t); err != nil {
			return fmt.Errorf("report: tickets: %w", err)
		}
	}
	return nil
}

// JiraOptions tunes the Jira CSV.
type JiraOptions struct {
	IssueType string // default "Bug"
}

// jiraPriority maps severities onto Jira's default priority scheme.
func jiraPriority(s smbprobe.Severity) string {
	return bySeverity(s, [5]string{"Highest", "High", "Medium", "Low", "Lowest"})
}

// bySeverity picks the word for a severity from five, critical first; anything else (info, or
// a word from a tampered file) gets the last.
func bySeverity(s smbprobe.Severity, words [5]string) string { return words[severityRank(s)] }

// WriteJiraCSV writes the tickets in the shape of Jira's CSV importer: one Labels column per
// label (the importer joins same-named columns into a multi-value field), the description in
// Jira wiki markup.
func WriteJiraCSV(w io.Writer, doc *Document, opts JiraOptions) error {
	if opts.IssueType == "" {
		opts.IssueType = "Bug"
	}
	its := ticketItems(doc)
	ts := make([]Ticket, len(its))
	for i, it := range its {
		ts[i] = ticketFor(it.h, it.f)
		// Jira renders its own wiki markup, not Markdown.
		ts[i].Description = ticketText(it.h, it.f, jiraWiki()) + alsoText(it.also, jiraWiki())
	}
	nLabels := 1
	for _, t := range ts {
		nLabels = max(nLabels, len(t.Labels))
	}
	header := []string{"Summary", "Issue Type", "Priority", "Description", "External ID"}
	for range nLabels {
		header = append(header, "Labels")
	}
	cw := csv.NewWriter(w)
	if err := cw.Write(header); err != nil {
		return err
	}
	for _, t := range ts {
		row := []string{t.Title, opts.IssueType, jiraPriority(t.Severity), t.Description, t.DedupKey}
		for i := range nLabels {
			l := ""
			if i < len(t.Labels) {
				l = t.Labels[i]
			}
			row = append(row, l)
		}
		for i := range row {
			row[i] = CellSafe(row[i])
		}
		if err := cw.Write(row); err != nil {
			return err
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("report: jira csv: %w", err)
	}
	return nil
}

// item is a finding with its host, for ordering.
type item struct {
	h *scanner.HostResult
	f *smbprobe.Finding
}

// tier orders remediation work: infections first, then missing patches verified, then
// exposure, then compliance. Non-actionable findings get no tier.
func tier(f *smbprobe.Finding) int {
	if f.Category == smbprobe.CategoryCompliance {
		return 3
	}
	switch f.Verdict {
	case smbprobe.Infected:
		return 0
	case smbprobe.Vulnerable:
		return 1
	default:
		return 2
	}
}

func severityRank(s smbprobe.Severity) int {
	switch s {
	case smbprobe.SeverityCritical:
		return 0
	case smbprobe.SeverityHigh:
		return 1
	case smbprobe.SeverityMedium:
		return 2
	case smbprobe.SeverityLow:
		return 3
	default:
		return 4
	}
}

// prioritised lists actionable findings by tier, severity, then host order.
func prioritised(doc *Document) []item {
	var out []item
	if doc == nil {
		return nil
	}
	for i := range doc.Hosts {
		h := &doc.Hosts[i]
		if h.SMB == nil {
			continue
		}
		for j := range h.SMB.Findings {
			if f := &h.SMB.Findings[j]; Actionable(f.Verdict) {
				out = append(out, item{h, f})
			}
		}
	}
	sortItems(out)
	return out
}

func sortItems(its []item) {
	less := func(a, b item) int {
		if d := tier(a.f) - tier(b.f); d != 0 {
			return d
		}
		if d := severityRank(a.f.Severity) - severityRank(b.f.Severity); d != 0 {
			return d
		}
		if c := compareHosts(a.h.Address, a.h.Port, b.h.Address, b.h.Port); c != 0 {
			return c
		}
		return strings.Compare(a.f.Check, b.f.Check)
	}
	slices.SortStableFunc(its, less)
}
