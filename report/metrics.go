package report

import (
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"

	"github.com/scan445/scan445/scanner"
	"github.com/scan445/scan445/smbprobe"
)

// verdictNone labels hosts without an infection or vulnerability finding (port closed, not
// probed, or only compliance checks).
const verdictNone = "none"

// WriteMetrics writes the Prometheus text exposition format for node_exporter's textfile
// collector: a scheduled scan writes NAME.prom into the collector's directory (atomically, as
// every report), and alerts fire on scan445_hosts{verdict="infected"} > 0 or on a stale
// scan445_last_scan_timestamp_seconds. The collector refuses samples with timestamps, so none
// are written; every known verdict is written even at 0, so a series does not vanish when a
// host is fixed.
func WriteMetrics(w io.Writer, doc *Document) error {
	m := &metricWriter{w: w}

	worst := map[string]float64{}
	for _, v := range Verdicts() {
		worst[string(v)] = 0
	}
	worst[verdictNone] = 0
	statuses := map[string]float64{}
	for _, s := range []scanner.Status{scanner.StatusOpen, scanner.StatusClosed, scanner.StatusFiltered, scanner.StatusUnreachable, scanner.StatusError} {
		statuses[string(s)] = 0
	}
	for i := range doc.Hosts {
		h := &doc.Hosts[i]
		statuses[string(h.Status)]++
		v := string(WorstVerdict(h))
		if v == "" {
			v = verdictNone
		}
		worst[v]++
	}
	if doc.Unlisted != nil { // a compact report counted the addresses that did not answer
		for st, n := range doc.Unlisted.Statuses {
			statuses[st] += float64(n)
			worst[verdictNone] += float64(n)
		}
	}
	m.family("scan445_hosts", "gauge", "Hosts of the last scan by the worst verdict of their infection and vulnerability checks (none: no such finding).")
	for _, v := range verdictKeys(worst) {
		m.sample("scan445_hosts", worst[v], "verdict", v)
	}
	m.family("scan445_hosts_by_status", "gauge", "Hosts of the last scan by TCP connect result.")
	for _, s := range sortedKeys(statuses) {
		m.sample("scan445_hosts_by_status", statuses[s], "status", s)
	}
	m.family("scan445_findings", "gauge", "Findings of the last scan by check and verdict.")
	checks := make([]string, 0, len(doc.Summary.Checks))
	for c := range doc.Summary.Checks {
		checks = append(checks, c)
	}
	sort.Strings(checks)
	for _, c := range checks {
		counts := map[string]float64{}
		for _, v := range Verdicts() {
			counts[string(v)] = 0
		}
		for v, n := range doc.Summary.Checks[c] {
			counts[v] = float64(n)
		}
		for _, v := range verdictKeys(counts) {
			m.sample("scan445_findings", counts[v], "check", c, "verdict", v)
		}
	}
	m.family("scan445_targets", "gauge", "Addresses in the target space of the last scan (after excludes and sharding).")
	m.sample("scan445_targets", float64(doc.Summary.Targets))
	m.family("scan445_hosts_scanned", "gauge", "Addresses the last scan has a result for.")
	m.sample("scan445_hosts_scanned", float64(doc.Summary.Scanned))
	m.family("scan445_scan_complete", "gauge", "1 when the last scan covered every target, 0 when it was interrupted.")
	complete := 0.0
	if doc.Complete {
		complete = 1
	}
	m.sample("scan445_scan_complete", complete)
	m.family("scan445_scan_duration_seconds", "gauge", "Wall-clock duration of the last scan.")
	dur := 0.0
	if !doc.Started.IsZero() && doc.Finished.After(doc.Started) {
		dur = doc.Finished.Sub(doc.Started).Seconds()
	}
	m.sample("scan445_scan_duration_seconds", dur)
	m.family("scan445_last_scan_timestamp_seconds", "gauge", "When the last scan finished, in seconds since the Unix epoch.")
	ts := 0.0
	if !doc.Finished.IsZero() {
		ts = float64(doc.Finished.UnixMilli()) / 1000
	}
	m.sample("scan445_last_scan_timestamp_seconds", ts)
	m.family("scan445_webhook_failures", "gauge", "Tickets the webhook of the last scan could not deliver.")
	m.sample("scan445_webhook_failures", float64(len(doc.WebhookFailures)))
	if m.err != nil {
		return fmt.Errorf("report: metrics: %w", m.err)
	}
	return nil
}

// verdictKeys orders verdict labels worst first, "none" and unknown words last.
func verdictKeys(m map[string]float64) []string {
	keys := sortedKeys(m)
	sort.SliceStable(keys, func(i, j int) bool {
		return VerdictRank(smbprobe.Verdict(keys[i])) < VerdictRank(smbprobe.Verdict(keys[j]))
	})
	return keys
}

func sortedKeys(m map[string]float64) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// metricWriter writes families and samples, remembering the first write error.
type metricWriter struct {
	w   io.Writer
	err error
}

func (m *metricWriter) printf(format string, a ...any) {
	if m.err == nil {
		_, m.err = fmt.Fprintf(m.w, format, a...)
	}
}

func (m *metricWriter) family(name, typ, help string) {
	m.printf("# HELP %s %s\n# TYPE %s %s\n", name, escapeHelp(help), name, typ)
}

// sample writes one line; labels are name, value pairs (names are ours, values may come from
// a loaded file and are escaped).
func (m *metricWriter) sample(name string, v float64, labels ...string) {
	var b strings.Builder
	b.WriteString(name)
	if len(labels) > 0 {
		b.WriteByte('{')
		for i := 0; i+1 < len(labels); i += 2 {
			if i > 0 {
				b.WriteByte(',')
			}
			fmt.Fprintf(&b, `%s="%s"`, labels[i], escapeLabel(labels[i+1]))
		}
		b.WriteByte('}')
	}
	m.printf("%s %s\n", b.String(), strconv.FormatFloat(v, 'f', -1, 64))
}

// escapeLabel escapes a label value as the text format requires: backslash, double quote and
// line feed. Invalid UTF-8 is replaced (the format is UTF-8).
func escapeLabel(s string) string {
	return strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`).Replace(strings.ToValidUTF8(s, "\uFFFD"))
}

// escapeHelp escapes a HELP text: backslash and line feed.
func escapeHelp(s string) string {
	return strings.NewReplacer(`\`, `\\`, "\n", `\n`).Replace(s)
}
