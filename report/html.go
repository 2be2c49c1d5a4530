package report

import (
	"crypto/sha256"
	_ "embed"
	"encoding/base64"
	"fmt"
	"html/template"
	"io"
	"net/netip"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/scan445/scan445/scanner"
	"github.com/scan445/scan445/smbprobe"
)

//go:embed html/report.html.tmpl
var htmlTemplateText string

//go:embed html/report.css
var htmlCSS string

//go:embed html/report.js
var htmlJS string

func severityCSS(s smbprobe.Severity) string {
	switch s {
	case smbprobe.SeverityCritical, smbprobe.SeverityHigh, smbprobe.SeverityMedium, smbprobe.SeverityLow, smbprobe.SeverityInfo:
		return "s-" + string(s)
	}
	return "s-other"
}

// tierName labels a plan row by the most urgent finding it fixes (a fix such as KB958644 is
// urgent when an infected host needs it too).
func tierName(t int) string {
	switch t {
	case 0:
		return "1 · infected hosts"
	case 1:
		return "2 · verified vulnerable"
	case 2:
		return "3 · exposed, patch state unverified"
	}
	return "4 · hardening"
}

type htmlView struct {
	Doc        *Document
	CSP        string
	CSS        template.CSS
	JS         template.JS
	Title      string
	Duration   string
	Cards      []card
	CheckChart chart
	NetChart   chart
	Plan       []planRow
	Hosts      []hostView // hosts that answered on the port, or that the sweep failed on
	Unlisted   string     // what the hosts table leaves out: "1 closed, 65000 filtered"
	Remedies   []remedyView
	Baseline   *Baseline
	Sensor     *sensorView // watch reports only
}

type card struct {
	Label, Class string
	Value        int
	Note         string
}

type chart struct {
	Width, Height int
	LegendY       int
	Rows          []chartRow
	Legend        []legendItem
}

type chartRow struct {
	Y, TextY int
	Label    string
	Segs     []chartSeg
	Total    int
	TotalX   int
}

type chartSeg struct {
	X, Y, W, H int
	Color      string
	Title      string
	Label      string // the count, drawn inside the bar when it fits
	LabelX     int
	LabelY     int
}

type legendItem struct {
	X, Y  int
	Color string
	Label string
}

type remedyLink struct {
	ID, Title string
	Known     bool
}

type hostView struct {
	Anchor     string
	H          *scanner.HostResult
	Name       string
	Worst      smbprobe.Verdict
	Findings   []findingView
	Remedies   []remedyLink // what to do on this host, each fix once
	Exchanges  []evidenceView
	Open       bool
	Negotiated bool // a dialect was negotiated, so SMB1/SMB2 and signing are known
	ToFix      int  // actionable findings
	Undecided  int  // unknown and error findings
	// NullSession is what is known about anonymous access: "allowed", "refused", "unknown",
	// or "" when nothing was recorded (the row is left out rather than guessed).
	NullSession string
}

type findingView struct {
	Anchor   string
	F        *smbprobe.Finding
	Evidence []evidenceView
}

// evidenceView is one exchange, or a finding's reference to one (Anchor: its place in the
// host's exchange list).
type evidenceView struct {
	Index   int
	Anchor  string
	Missing bool
	E       smbprobe.Exchange
}

type remedyView struct {
	Remedy
	Hosts int
}

// WriteHTML renders one self-contained HTML page: no external fetch, a Content-Security-Policy
// that only admits the page's own style and script by hash, and every string from the Document
// escaped by html/template (wire strings are attacker-controlled).
func WriteHTML(w io.Writer, doc *Document) error {
	funcs := template.FuncMap{
		"verdictCSS":     verdictCSS,
		"verdictWordCSS": func(v string) string { return verdictCSS(smbprobe.Verdict(v)) },
		// A watch report's source has port 0: it is named by its address alone.
		"hostLabelHTML": func(label string) string { return strings.TrimSuffix(label, ":0") },
		"findingCSS": func(v smbprobe.Verdict) string {
			if Actionable(v) {
				return "t-" + string(v)
			}
			return "t-other"
		},
		"baselineCSS": func(b string) string {
			if b == BaselineNew || b == BaselineUnchanged {
				return "b-" + b
			}
			return "b-other"
		},
		"severityCSS": severityCSS,
		"actionable":  Actionable,
		"join":        strings.Join,
		"ts": func(t time.Time) string {
			if t.IsZero() {
				return "—"
			}
			return t.UTC().Format("2006-01-02 15:04:05 UTC")
		},
		"tsp": func(t *time.Time) string {
			if t == nil {
				return ""
			}
			return t.UTC().Format("2006-01-02 15:04:05 UTC")
		},
		"yesno": func(b bool) string {
			if b {
				return "yes"
			}
			return "no"
		},
		"rank": func(v smbprobe.Verdict) int { return VerdictRank(v) },
		"sev":  func(s smbprobe.Severity) int { return severityRank(s) },
		"addrSort": func(a string) string {
			// A sortable key for the JS table sorter: zero-padded IPv4 / expanded IPv6.
			if p, err := netip.ParseAddr(a); err == nil {
				return fmt.Sprintf("%x", p.Unmap().As16())
			}
			return "~" + a
		},
	}
	t, err := template.New("report").Funcs(funcs).Parse(htmlTemplateText)
	if err != nil {
		return fmt.Errorf("report: html template: %w", err)
	}
	v := buildView(doc)
	return t.Execute(w, v)
}

func cspHash(s string) string {
	sum := sha256.Sum256([]byte(s))
	return "'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'"
}

func buildView(doc *Document) *htmlView {
	css := htmlCSS + verdictBadgeCSS()
	v := &htmlView{
		Doc: doc,
		CSS: template.CSS(css),
		JS:  template.JS(htmlJS),
		// default-src 'none' blocks every fetch (images, fonts, frames, connect); the page's
		// own <style> and <script> are admitted by hash, so an injected one could not run.
		CSP: "default-src 'none'; style-src " + cspHash(css) + "; script-src " + cspHash(htmlJS) +
			"; img-src data:; base-uri 'none'; form-action 'none'",
		Title:    "scan445 report",
		Baseline: doc.Baseline,
	}
	if !doc.Started.IsZero() {
		v.Title += " — " + doc.Started.UTC().Format("2006-01-02 15:04 UTC")
	}
	if !doc.Started.IsZero() && !doc.Finished.IsZero() {
		v.Duration = doc.Finished.Sub(doc.Started).Round(time.Second).String()
	}
	if v.Sensor = buildSensorView(doc); v.Sensor != nil {
		v.Title = "scan445 watch report"
		if !doc.Started.IsZero() {
			v.Title += " — " + doc.Started.UTC().Format("2006-01-02 15:04 UTC")
		}
	}
	v.Cards = buildCards(doc)
	v.CheckChart = buildCheckChart(doc)
	v.NetChart = buildNetChart(doc)

	anchors := map[*smbprobe.Finding]string{}
	used := map[string]map[string]bool{} // remedy id → hosts
	unlisted := map[scanner.Status]int{}
	for i := range doc.Hosts {
		h := &doc.Hosts[i]
		if h.SMB == nil && h.Status != scanner.StatusOpen && h.Status != scanner.StatusError {
			// Closed, filtered and unreachable addresses are counted, not listed: a /16 sweep
			// would otherwise put 65,000 rows of nothing in front of the hosts that matter.
			unlisted[h.Status]++
			continue
		}
		hv := hostView{Anchor: "h" + strconv.Itoa(i), H: h, Name: hostName(*h), Open: h.SMB != nil, Worst: WorstVerdict(h)}
		if h.SMB != nil {
			fp := h.SMB.Fingerprint
			hv.Negotiated = fp.SMB1 || fp.SMB2 || len(fp.Dialects) > 0
			hv.NullSession = nullSessionState(h.SMB)
			for k, e := range h.SMB.Exchanges {
				hv.Exchanges = append(hv.Exchanges, evidenceView{Index: k, Anchor: fmt.Sprintf("%s-e%d", hv.Anchor, k), E: e})
			}
			for j := range h.SMB.Findings {
				f := &h.SMB.Findings[j]
				fv := findingView{Anchor: fmt.Sprintf("%s-f%d", hv.Anchor, j), F: f}
				anchors[f] = fv.Anchor
				for _, ix := range f.Evidence {
					_, ok := exchangeAt(h.SMB, ix)
					fv.Evidence = append(fv.Evidence, evidenceView{Index: ix, Anchor: fmt.Sprintf("%s-e%d", hv.Anchor, ix), Missing: !ok})
				}
				switch {
				case Actionable(f.Verdict):
					hv.ToFix++
					for _, r := range remedyLinks(f.Remediation) {
						if !slices.Contains(hv.Remedies, r) {
							hv.Remedies = append(hv.Remedies, r)
						}
					}
					for _, r := range f.Remediation {
						if used[r] == nil {
							used[r] = map[string]bool{}
						}
						used[r][hostKey(h.Address)] = true
					}
				case Undetermined(f.Verdict):
					hv.Undecided++
				}
				hv.Findings = append(hv.Findings, fv)
			}
		}
		// Containment before patching before hardening, as the catalogue orders them.
		slices.SortStableFunc(hv.Remedies, func(a, b remedyLink) int { return remedyPosition(a.ID) - remedyPosition(b.ID) })
		v.Hosts = append(v.Hosts, hv)
	}
	// Read top-down: the worst hosts first, then address order (the table can be re-sorted).
	slices.SortStableFunc(v.Hosts, func(a, b hostView) int {
		ra, rb := VerdictRank(a.Worst), VerdictRank(b.Worst)
		if a.Worst == "" {
			ra = len(verdictTable()) + 1
		}
		if b.Worst == "" {
			rb = len(verdictTable()) + 1
		}
		return ra - rb
	})
	if doc.Unlisted != nil { // a compact report counted them already
		for st, n := range doc.Unlisted.Statuses {
			unlisted[scanner.Status(st)] += n
		}
	}
	var parts []string
	for _, st := range []scanner.Status{scanner.StatusClosed, scanner.StatusFiltered, scanner.StatusUnreachable} {
		if n := unlisted[st]; n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", n, st))
			delete(unlisted, st)
		}
	}
	other := 0
	for _, n := range unlisted {
		other += n
	}
	if other > 0 {
		parts = append(parts, fmt.Sprintf("%d with another status", other))
	}
	v.Unlisted = strings.Join(parts, ", ")
	v.Plan = buildPlan(doc, anchors)
	for _, r := range Remedies() {
		v.Remedies = append(v.Remedies, remedyView{Remedy: r, Hosts: len(used[r.ID])})
	}
	return v
}

// nullSessionState reads the fingerprint, or else the anonymous-ipc check that tried it.
func nullSessionState(r *smbprobe.Result) string {
	if b := r.Fingerprint.NullSession; b != nil {
		if *b {
			return "allowed"
		}
		return "refused"
	}
	for _, f := range r.Findings {
		if f.Check != smbprobe.CheckNullSession {
			continue
		}
		switch {
		case Actionable(f.Verdict):
			return "allowed"
		case VerdictClass(f.Verdict) == classClear:
			return "refused"
		}
		return "unknown"
	}
	return ""
}

func remedyLinks(ids []string) []remedyLink {
	var out []remedyLink
	for _, id := range ids {
		if r, ok := LookupRemedy(id); ok {
			out = append(out, remedyLink{ID: r.ID, Title: r.Title, Known: true})
		} else {
			out = append(out, remedyLink{ID: id, Title: id})
		}
	}
	return out
}

// noP2PSignalRule is the Conficker P2P finding of a host whose derived ports stayed silent.
const noP2PSignalRule = smbprobe.CheckConfickerP2P + "/4b.no-signal"

// quietOnly counts the hosts whose only undecided check is the silent P2P probe.
func quietOnly(quiet, unknown map[string]bool) int {
	n := 0
	for k := range quiet {
		if !unknown[k] {
			n++
		}
	}
	return n
}

func unknownNote(quiet int) string {
	if quiet == 0 {
		return "hosts"
	}
	return fmt.Sprintf("hosts (not counting %d with no Conficker P2P signal only)", quiet)
}

// buildCards counts hosts, not findings: an admin plans work per machine.
func buildCards(doc *Document) []card {
	count := map[smbprobe.Verdict]map[string]bool{}
	compliance := map[string]bool{}
	quiet := map[string]bool{}
	for _, h := range doc.Hosts {
		if h.SMB == nil {
			continue
		}
		k := hostKey(h.Address)
		for _, f := range h.SMB.Findings {
			if f.Category == smbprobe.CategoryCompliance {
				if Actionable(f.Verdict) {
					compliance[k] = true
				}
				continue
			}
			vv := f.Verdict
			if vv == smbprobe.Error {
				vv = smbprobe.Unknown
			}
			if vv == smbprobe.Unknown && f.Rule == noP2PSignalRule {
				// Silence on the P2P ports is "no signal", not a check that failed: counted
				// apart so the Unknown card keeps pointing at hosts that need a second look.
				quiet[k] = true
				continue
			}
			if count[vv] == nil {
				count[vv] = map[string]bool{}
			}
			count[vv][k] = true
		}
	}
	if doc.Sensor != nil {
		return sensorCards(doc.Sensor, len(count[smbprobe.Infected]), len(count[smbprobe.Unknown]))
	}
	s := doc.Summary
	cards := []card{
		{Label: "Targets", Value: int(min(s.Targets, uint64(^uint(0)>>1))), Class: "c-neutral"},
		{Label: "Hosts swept", Value: s.Scanned, Class: "c-neutral"},
		{Label: "TCP/445 open", Value: s.Statuses[string(scanner.StatusOpen)], Class: "c-neutral"},
		{Label: "Infected", Value: len(count[smbprobe.Infected]), Class: "c-infected", Note: "hosts"},
		{Label: "Vulnerable", Value: len(count[smbprobe.Vulnerable]), Class: "c-vulnerable", Note: "hosts"},
		{Label: "Exposed", Value: len(count[smbprobe.Exposed]), Class: "c-exposed", Note: "hosts"},
		{Label: "Unknown", Value: len(count[smbprobe.Unknown]), Class: "c-unknown", Note: unknownNote(quietOnly(quiet, count[smbprobe.Unknown]))},
		{Label: "Compliance issues", Value: len(compliance), Class: "c-compliance", Note: "hosts"},
	}
	if doc.Options["credentialed_as"] != "" {
		verified, still := CredentialedCoverage(doc)
		cards = append(cards,
			card{Label: "MS08-067 verified", Value: len(verified), Class: "c-neutral", Note: "hosts (netapi32.dll read)"},
			card{Label: "MS08-067 still exposed", Value: len(still), Class: "c-exposed", Note: "hosts (credentials did not help)"})
	}
	return cards
}

// CredentialedCoverage splits the hosts of a credentialed scan: those whose MS08-067 verdict the
// netapi32.dll version decided, and those that stayed "exposed" (and why is in each finding).
func CredentialedCoverage(doc *Document) (verified, stillExposed []string) {
	for _, h := range doc.Hosts {
		if h.SMB == nil {
			continue
		}
		for _, f := range h.SMB.Findings {
			switch {
			case f.Check != smbprobe.CheckMS08067:
			case f.Class == smbprobe.ClassCredentialed:
				verified = append(verified, h.Address)
			case f.Verdict == smbprobe.Exposed:
				stillExposed = append(stillExposed, h.Address)
			}
		}
	}
	return verified, stillExposed
}

const (
	chartWidth = 760
	chartLabel = 170
	chartBar   = 480
	chartRowH  = 22
)

// buildCheckChart draws one bar per check, the checks with the worst verdicts first (then the
// most of them), each bar split by verdict in display order with its counts.
func buildCheckChart(doc *Document) chart {
	c := chart{Width: chartWidth}
	checks := make([]string, 0, len(doc.Summary.Checks))
	maxTotal := 1
	worst := map[string]int{}
	totals := map[smbprobe.Verdict]int{}
	for check, vs := range doc.Summary.Checks {
		checks = append(checks, check)
		t := 0
		worst[check] = len(verdictTable()) + 1
		for k, n := range vs {
			if n <= 0 {
				continue
			}
			t += n
			totals[smbprobe.Verdict(k)] += n
			worst[check] = min(worst[check], VerdictRank(smbprobe.Verdict(k)))
		}
		maxTotal = max(maxTotal, t)
	}
	sort.Slice(checks, func(i, j int) bool {
		a, b := checks[i], checks[j]
		if worst[a] != worst[b] {
			return worst[a] < worst[b]
		}
		w := Verdicts()
		if worst[a] < len(w) {
			if na, nb := doc.Summary.Checks[a][string(w[worst[a]])], doc.Summary.Checks[b][string(w[worst[a]])]; na != nb {
				return na > nb
			}
		}
		return a < b
	})
	for i, check := range checks {
		y := i*chartRowH + 4
		row := chartRow{Y: y, TextY: y + 14, Label: oneLine(check, 26)}
		x := chartLabel
		vs := doc.Summary.Checks[check]
		// Known verdicts in display order, then anything unexpected, so totals stay honest.
		keys := make([]string, 0, len(vs))
		for k := range vs {
			keys = append(keys, k)
		}
		sort.Slice(keys, func(a, b int) bool {
			ra, rb := VerdictRank(smbprobe.Verdict(keys[a])), VerdictRank(smbprobe.Verdict(keys[b]))
			if ra != rb {
				return ra < rb
			}
			return keys[a] < keys[b]
		})
		for _, k := range keys {
			n := vs[k]
			if n <= 0 {
				continue
			}
			w := max(2, n*chartBar/maxTotal)
			seg := chartSeg{X: x, Y: y, W: w, H: chartRowH - 6,
				Color: verdictColor(smbprobe.Verdict(k)), Title: fmt.Sprintf("%s: %d %s", check, n, k)}
			if label := strconv.Itoa(n); w >= 8*len(label)+6 {
				seg.Label, seg.LabelX, seg.LabelY = label, x+3, y+13
			}
			row.Segs = append(row.Segs, seg)
			x += w
			row.Total += n
		}
		row.TotalX = x + 6
		c.Rows = append(c.Rows, row)
	}
	var legend []legendItem
	for _, vv := range Verdicts() {
		legend = append(legend, legendItem{Color: verdictColor(vv), Label: fmt.Sprintf("%s %d", vv, totals[vv])})
	}
	c.Legend, c.LegendY, c.Height = layoutLegend(legend, len(checks)*chartRowH+10)
	return c
}

// layoutLegend places the legend under the bars, four items a row, and returns the chart height.
func layoutLegend(items []legendItem, top int) ([]legendItem, int, int) {
	const perRow, colW, rowH = 4, 185, 18
	for i := range items {
		items[i].X = 10 + (i%perRow)*colW
		items[i].Y = top + (i/perRow)*rowH
	}
	rows := (len(items) + perRow - 1) / perRow
	return items, top, top + rows*rowH + 4
}

// subnetOf groups IPv4 by /24 and IPv6 by /64.
func subnetOf(a string) string {
	if p, ok := subnetPrefix(a); ok {
		return p.String()
	}
	return "other"
}

const netChartRows = 16

func buildNetChart(doc *Document) chart {
	type agg struct {
		name                 string
		open, exposed, swept int
	}
	m := map[string]*agg{}
	for _, h := range doc.Hosts {
		n := subnetOf(h.Address)
		a := m[n]
		if a == nil {
			a = &agg{name: n}
			m[n] = a
		}
		a.swept++
		if h.Status == scanner.StatusOpen {
			a.open++
		}
		if h.SMB != nil {
			for _, f := range h.SMB.Findings {
				if f.Category != smbprobe.CategoryCompliance && Actionable(f.Verdict) {
					a.exposed++
					break
				}
			}
		}
	}
	if doc.Unlisted != nil {
		// Addresses that did not answer are counted per subnet, not listed.
		for n, c := range doc.Unlisted.Subnets {
			if a := m[n]; a != nil {
				a.swept += c
			}
		}
	}
	list := make([]*agg, 0, len(m))
	maxOpen := 1
	for _, a := range m {
		list = append(list, a)
		maxOpen = max(maxOpen, a.open, a.exposed)
	}
	sort.Slice(list, func(i, j int) bool {
		if list[i].exposed != list[j].exposed {
			return list[i].exposed > list[j].exposed
		}
		if list[i].open != list[j].open {
			return list[i].open > list[j].open
		}
		return list[i].name < list[j].name
	})
	if len(list) > netChartRows {
		list = list[:netChartRows]
	}
	c := chart{Width: chartWidth}
	for i, a := range list {
		y := i*chartRowH + 4
		row := chartRow{Y: y, TextY: y + 14, Label: oneLine(a.name, 26), Total: a.exposed}
		if a.open > 0 {
			row.Segs = append(row.Segs, chartSeg{X: chartLabel, Y: y, W: max(2, a.open*chartBar/maxOpen), H: chartRowH - 6,
				Color: "#90a4ae", Title: fmt.Sprintf("%s: %d of %d swept hosts have 445 open", a.name, a.open, a.swept)})
		}
		if a.exposed > 0 {
			row.Segs = append(row.Segs, chartSeg{X: chartLabel, Y: y + 4, W: max(2, a.exposed*chartBar/maxOpen), H: chartRowH - 14,
				Color: "#c62828", Title: fmt.Sprintf("%s: %d hosts infected, vulnerable or exposed", a.name, a.exposed)})
		}
		row.TotalX = chartLabel + max(2, a.open*chartBar/maxOpen) + 6
		c.Rows = append(c.Rows, row)
	}
	open, risky := 0, 0
	for _, a := range m {
		open += a.open
		risky += a.exposed
	}
	c.Legend, c.LegendY, c.Height = layoutLegend([]legendItem{{Color: "#90a4ae", Label: fmt.Sprintf("hosts with 445 open %d", open)},
		{Color: "#c62828", Label: fmt.Sprintf("hosts infected / vulnerable / exposed %d", risky)}}, len(list)*chartRowH+10)
	return c
}
