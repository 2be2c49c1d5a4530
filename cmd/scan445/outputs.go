package main

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sort"
	"strconv"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/urfave/cli/v2"
	"github.com/urfave/cli/v2/altsrc"

	"github.com/scan445/scan445/report"
	"github.com/scan445/scan445/scanner"
)

// outputs are the report destinations; "-" is stdout.
type outputs struct {
	json, html, csv, junit, tickets string
	defectdojo, metrics             string
	ticketsFormat                   string
	webhook                         string
	baseline                        string
	// failOnSet: --fail-on was given (flag, environment or config file). Without it the JUnit
	// report uses its own documented level instead of "none".
	failOnSet bool
}

// exportFlags are the output flags for other tools' formats, shared by scan, report and merge.
func exportFlags() []*cli.StringFlag {
	return []*cli.StringFlag{
		{Name: "defectdojo", Usage: "write the findings needing action as DefectDojo Generic Findings Import JSON to `PATH`"},
		{Name: "metrics", Usage: "write Prometheus metrics for node_exporter's textfile collector to `PATH` (a .prom file)"},
	}
}

// scanExportFlags are exportFlags as scan reads them: also from SCAN445_<FLAG> and --config.
func scanExportFlags() []cli.Flag {
	var out []cli.Flag
	for _, f := range exportFlags() {
		f.EnvVars = envs(f.Name)
		out = append(out, altsrc.NewStringFlag(f))
	}
	return out
}

// reportExportFlags are exportFlags for report and merge.
func reportExportFlags() []cli.Flag {
	var out []cli.Flag
	for _, f := range exportFlags() {
		out = append(out, cli.Flag(f))
	}
	return out
}

// paths are the report destinations, for the stdout and "any output" checks.
func (o outputs) paths() []string {
	return []string{o.json, o.html, o.csv, o.junit, o.tickets, o.defectdojo, o.metrics}
}

// anyOutput reports whether the command line names at least one report destination.
func anyOutput(c *cli.Context) bool {
	for _, n := range []string{"json", "html", "csv", "junit", "tickets", "defectdojo", "metrics"} {
		if c.String(n) != "" {
			return true
		}
	}
	return false
}

func readOutputs(c *cli.Context) (outputs, error) {
	o := outputs{
		json: c.String("json"), html: c.String("html"), csv: c.String("csv"),
		junit: c.String("junit"), tickets: c.String("tickets"),
		defectdojo: c.String("defectdojo"), metrics: c.String("metrics"),
		ticketsFormat: c.String("tickets-format"), webhook: c.String("webhook"),
		baseline: c.String("baseline"),
	}
	o.failOnSet = c.IsSet("fail-on")
	if o.ticketsFormat != "jsonl" && o.ticketsFormat != "jira-csv" {
		return o, fmt.Errorf("--tickets-format %q: want jsonl or jira-csv", o.ticketsFormat)
	}
	stdout := 0
	for _, p := range o.paths() {
		if p == "-" {
			stdout++
		}
	}
	if stdout > 1 {
		return o, errors.New("only one report can go to stdout (-)")
	}
	return o, nil
}

func (o outputs) jsonToStdout() bool { return o.json == "-" }

func (o outputs) anyToStdout() bool {
	for _, p := range o.paths() {
		if p == "-" {
			return true
		}
	}
	return false
}

// writeReports renders every requested format from the one finished document. Each file is
// written atomically, and one failing format does not stop the others.
//
// all, when set (--report-all), yields the results doc.Unlisted counts; the JSON file then lists
// every result, streamed from it.
func writeReports(env *environment, o outputs, doc *report.Document, failOn report.FailOn, all func(func(scanner.HostResult) error) error) error {
	// Without --fail-on, JUnit still fails the hosts at risk (report.JUnitDefaultLevel).
	junitLevel := failOn
	if !o.failOnSet {
		junitLevel = ""
	}
	type job struct {
		path  string
		write func(io.Writer) error
	}
	jobs := []job{
		{o.html, func(w io.Writer) error { return report.WriteHTML(w, doc) }},
		{o.csv, func(w io.Writer) error { return report.WriteCSV(w, doc, report.CSVOptions{}) }},
		{o.junit, func(w io.Writer) error { return report.WriteJUnit(w, doc, junitLevel) }},
		{o.defectdojo, func(w io.Writer) error { return report.WriteDefectDojo(w, doc) }},
		{o.metrics, func(w io.Writer) error { return report.WriteMetrics(w, doc) }},
		{o.tickets, func(w io.Writer) error {
			if o.ticketsFormat == "jira-csv" {
				return report.WriteJiraCSV(w, doc, report.JiraOptions{})
			}
			return report.WriteTickets(w, doc)
		}},
	}
	if o.json == "-" {
		// The NDJSON stream already carried each host; the last line is the whole report.
		if err := ndjsonLine(env.stdout, doc); err != nil {
			return err
		}
	} else {
		jobs = append(jobs, job{o.json, func(w io.Writer) error {
			if all != nil {
				return report.WriteJSONAll(w, doc, all)
			}
			return report.WriteJSON(w, doc)
		}})
	}
	var errs []error
	for _, j := range jobs {
		if j.path == "" {
			continue
		}
		var err error
		if j.path == "-" {
			err = j.write(env.stdout)
		} else {
			err = report.WriteFileAtomic(j.path, j.write)
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", j.path, err))
		}
	}
	return errors.Join(errs...)
}

// resultSinks receive each host result as it finishes: the NDJSON stream, the resume journal
// and the webhook. None of them may block or stop the sweep.
type resultSinks struct {
	env         *environment
	stream      bool
	journal     *journal
	webhook     *report.Webhook
	webhookURL  string
	baselineIDs map[string]bool
	log         *slog.Logger
	mu          sync.Mutex
	closed      bool
}

func newResultSinks(env *environment, s *scanSettings, j *journal, base *report.Document, log *slog.Logger) (*resultSinks, error) {
	r := &resultSinks{env: env, stream: s.outputs.jsonToStdout(), journal: j, log: log}
	if base != nil {
		r.baselineIDs = map[string]bool{}
		report.Finalize(base)
		for _, h := range base.Hosts {
			if h.SMB != nil {
				for _, f := range h.SMB.Findings {
					r.baselineIDs[f.ID] = true
				}
			}
		}
	}
	if s.outputs.webhook != "" {
		wh, err := newWebhook(s.outputs.webhook, s.ops)
		if err != nil {
			return nil, fmt.Errorf("--webhook: %w", err)
		}
		r.webhook, r.webhookURL = wh, s.outputs.webhook
	}
	return r, nil
}

func (r *resultSinks) result(h scanner.HostResult) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.stream {
		if err := ndjsonLine(r.env.stdout, h); err != nil {
			r.log.Error("writing result stream", "err", err)
		}
	}
	if r.journal != nil {
		if err := r.journal.Append(h); err != nil {
			r.log.Error("writing resume journal", "err", err)
		}
	}
	if r.webhook != nil {
		for _, t := range r.hostTickets(h) {
			r.webhook.Send(t)
		}
	}
}

// hostTickets are the tickets of one finished host, new findings only when a baseline is set:
// the webhook speaks while the scan runs, long before the whole document exists.
func (r *resultSinks) hostTickets(h scanner.HostResult) []report.Ticket {
	one := &report.Document{Hosts: []scanner.HostResult{h}}
	report.Finalize(one)
	if r.baselineIDs != nil {
		one.Baseline = &report.Baseline{}
		for i := range one.Hosts[0].SMB.Findings {
			f := &one.Hosts[0].SMB.Findings[i]
			f.Baseline = report.BaselineNew
			if r.baselineIDs[f.ID] {
				f.Baseline = report.BaselineUnchanged
			}
		}
	}
	return report.Tickets(one)
}

// finish drains the webhook (bounded) and returns what it could not deliver.
func (r *resultSinks) finish(ctxTimeout time.Duration) []string {
	if r.webhook == nil {
		return nil
	}
	ctx, cancel := contextWithTimeout(ctxTimeout)
	defer cancel()
	failures := r.webhook.Close(ctx)
	reportWebhook(r.env.stderr, r.webhook, r.webhookURL)
	return failures
}

// printSummary is the human view on stdout when no report goes there.
func printSummary(w io.Writer, doc *report.Document) {
	s := doc.Summary
	state := "complete"
	if !doc.Complete {
		state = "INCOMPLETE"
	}
	fmt.Fprintf(w, "scan445: %d of %d targets scanned (%s), %d with port open\n",
		s.Scanned, s.Targets, state, s.Statuses[string(scanner.StatusOpen)])
	// One line per host, worst first; clear checks are left out, a host that could not be
	// checked says why.
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	for i, l := range report.HostLines(doc) {
		if i == 0 {
			fmt.Fprintln(tw, "VERDICT\tHOST\tNAME\tOS\tFINDINGS")
		}
		host := l.Address
		if l.Port != 445 {
			host += ":" + strconv.Itoa(l.Port)
		}
		osName := l.OS
		if osName == "" {
			osName = "unknown"
		}
		detail := strings.Join(l.Findings, " ")
		if l.Reason != "" {
			detail = strings.TrimSpace(detail + " — not checked: " + oneLineTerm(l.Reason))
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", l.Verdict, host, termSafe(l.Name), termSafe(osName), termSafe(detail))
	}
	tw.Flush()
	var verdicts []string
	for v, n := range s.Verdicts {
		verdicts = append(verdicts, fmt.Sprintf("%s=%d", v, n))
	}
	sort.Strings(verdicts)
	if len(verdicts) > 0 {
		fmt.Fprintf(w, "findings: %s\n", strings.Join(verdicts, " "))
	}
	if doc.Options["credentialed_as"] != "" {
		verified, still := report.CredentialedCoverage(doc)
		fmt.Fprintf(w, "credentialed MS08-067 check as %s: %d hosts verified (netapi32.dll read), %d stayed exposed",
			termSafe(doc.Options["credentialed_as"]), len(verified), len(still))
		if len(still) > 0 {
			fmt.Fprintf(w, ": %s", strings.Join(still, " "))
		}
		fmt.Fprintln(w)
	}
	if doc.Interrupted != "" {
		fmt.Fprintf(w, "note: %s\n", doc.Interrupted)
	}
}

// oneLineTerm caps a reason for a table cell.
func oneLineTerm(s string) string {
	if r := []rune(s); len(r) > 120 {
		return string(r[:119]) + "…"
	}
	return s
}

// termSafe keeps wire strings from driving the terminal: control characters become '?'.
func termSafe(s string) string {
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) {
			return '?'
		}
		return r
	}, s)
}
