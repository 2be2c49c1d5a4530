package main

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/urfave/cli/v2"
	"github.com/urfave/cli/v2/altsrc"

	"github.com/scan445/scan445/report"
	"github.com/scan445/scan445/scanner"
)

// reportFormat is one report format: its output flag, its help and its writer. The scan,
// report and merge flags, the stdout check and writeReports iterate the registry, and the
// output-path checks find its flags by their `PATH` placeholder, so a format is added to
// reportFormats and nowhere else in cmd/.
type reportFormat struct {
	name        string   // flag name, also the key of outputs.paths
	reportAlias []string // aliases on report and merge only (--json is -o there)
	scanUsage   string   // help of the scan flag; must name the value `PATH`
	reportUsage string   // help of the report and merge flag; must name the value `PATH`
	// export: another tool's format; its flag is listed after the native formats' flags.
	export bool
	// streams: "-" on scan streams each host result to stdout while scanning (NDJSON), and
	// writeReports then ends the stream with the whole report instead of calling write.
	streams bool
	// listsAll: with --report-all this format lists every result, not only those that
	// answered (renderInput.all), so a scan without --resume keeps the others in a spill file.
	listsAll bool
	// baseline: the file is what --baseline reads, so it may overwrite the baseline the run
	// read (a rolling baseline).
	baseline bool
	option   *formatOption // a flag that only tunes this format (--tickets-format)
	write    func(w io.Writer, r renderInput) error
}

// formatOption is a string flag that only means something with its format's flag given. Its
// value is one of choices (the first is the default); the help, the completions and the check
// of the value all read them from here.
type formatOption struct {
	name, scanUsage, reportUsage string
	choices                      []string
}

// renderInput is what a format's writer may use besides the document.
type renderInput struct {
	doc        *report.Document
	junitLevel report.FailOn
	option     string // the value of this format's option, when it has one
	// all, when set (--report-all), yields every result for the JSON report.
	all func(func(scanner.HostResult) error) error
}

// reportFormats is the registry of report formats, in flag order.
func reportFormats() []reportFormat {
	return []reportFormat{
		{name: "json", reportAlias: []string{"o"}, streams: true, listsAll: true, baseline: true,
			scanUsage:   "write the JSON report to `PATH` (- streams NDJSON results to stdout, then the report as the last line)",
			reportUsage: "write JSON to `PATH`",
			write: func(w io.Writer, r renderInput) error {
				if r.all != nil {
					return report.WriteJSONAll(w, r.doc, r.all)
				}
				return report.WriteJSON(w, r.doc)
			}},
		{name: "html", scanUsage: "write the HTML remediation report to `PATH`", reportUsage: "write HTML to `PATH`",
			write: func(w io.Writer, r renderInput) error { return report.WriteHTML(w, r.doc) }},
		{name: "csv", scanUsage: "write one CSV row per finding to `PATH`", reportUsage: "write CSV to `PATH`",
			write: func(w io.Writer, r renderInput) error { return report.WriteCSV(w, r.doc, report.CSVOptions{}) }},
		{name: "junit", scanUsage: "write JUnit XML (one testcase per host and check) to `PATH`", reportUsage: "write JUnit XML to `PATH`",
			write: func(w io.Writer, r renderInput) error { return report.WriteJUnit(w, r.doc, r.junitLevel) }},
		{name: "tickets", scanUsage: "write one ticket per finding needing action to `PATH`", reportUsage: "write tickets to `PATH`",
			option: &formatOption{name: "tickets-format", scanUsage: "ticket format", reportUsage: "ticket format", choices: []string{"jsonl", "jira-csv"}},
			write: func(w io.Writer, r renderInput) error {
				if r.option == "jira-csv" {
					return report.WriteJiraCSV(w, r.doc, report.JiraOptions{})
				}
				return report.WriteTickets(w, r.doc)
			}},
		{name: "defectdojo", export: true,
			scanUsage: "write the findings needing action as DefectDojo Generic Findings Import JSON to `PATH`",
			write:     func(w io.Writer, r renderInput) error { return report.WriteDefectDojo(w, r.doc) }},
		{name: "metrics", export: true,
			scanUsage: "write Prometheus metrics for node_exporter's textfile collector to `PATH` (a .prom file)",
			write:     func(w io.Writer, r renderInput) error { return report.WriteMetrics(w, r.doc) }},
	}
}

// formats is the registry this run uses: reportFormats unless a test put its own in env.
func (env *environment) formats() []reportFormat {
	if env.reportFormats != nil {
		return env.reportFormats
	}
	return reportFormats()
}

// formatFlags are the flags of the formats with the given export mark, in registry order,
// each followed by its option: for scan (also read from SCAN445_<FLAG> and --config) or for
// report and merge.
func formatFlags(formats []reportFormat, export, scan bool) []cli.Flag {
	var out []cli.Flag
	add := func(name, scanUsage, reportUsage, value string, alias []string) {
		if !scan {
			if reportUsage == "" {
				reportUsage = scanUsage
			}
			out = append(out, &cli.StringFlag{Name: name, Aliases: alias, Usage: reportUsage, Value: value})
			return
		}
		out = append(out, altsrc.NewStringFlag(&cli.StringFlag{Name: name, Usage: scanUsage, Value: value, EnvVars: envs(name)}))
	}
	for _, f := range formats {
		if f.export != export {
			continue
		}
		add(f.name, f.scanUsage, f.reportUsage, "", f.reportAlias)
		if o := f.option; o != nil {
			choices := ": " + strings.Join(o.choices, " or ")
			add(o.name, o.scanUsage+choices, o.reportUsage+choices, o.choices[0], nil)
		}
	}
	return out
}

// outputs are the report destinations; "-" is stdout.
type outputs struct {
	formats  []reportFormat
	paths    map[string]string // format name → destination; "" = not requested
	options  map[string]string // format name → the value of its option (formatOption)
	webhook  string
	baseline string
	// streaming: "-" for a streaming format streams host results while scanning (scan); for
	// report and merge it writes the document like any other format.
	streaming bool
	// failOnSet: --fail-on was given (flag, environment or config file). Without it the JUnit
	// report uses its own documented level instead of "none".
	failOnSet bool
}

func readOutputs(c *cli.Context, formats []reportFormat, streaming bool) (outputs, error) {
	o := outputs{
		formats: formats, paths: map[string]string{}, options: map[string]string{},
		webhook: c.String("webhook"), baseline: c.String("baseline"), streaming: streaming,
	}
	for _, f := range formats {
		o.paths[f.name] = c.String(f.name)
		if opt := f.option; opt != nil {
			v := c.String(opt.name)
			if !slices.Contains(opt.choices, v) {
				return o, fmt.Errorf("--%s %q: want %s", opt.name, v, strings.Join(opt.choices, " or "))
			}
			o.options[f.name] = v
		}
	}
	o.failOnSet = c.IsSet("fail-on")
	stdout := 0
	for _, p := range o.paths {
		if p == "-" {
			stdout++
		}
	}
	if stdout > 1 {
		return o, errors.New("only one report can go to stdout (-)")
	}
	return o, nil
}

// streamsToStdout reports whether a streaming format (--json -) streams to stdout.
func (o outputs) streamsToStdout() bool {
	for _, f := range o.formats {
		if o.streaming && f.streams && o.paths[f.name] == "-" {
			return true
		}
	}
	return false
}

// listsAll reports whether a format that lists every result with --report-all is written to
// a file (a stream on stdout already carried every result).
func (o outputs) listsAll() bool {
	for _, f := range o.formats {
		if p := o.paths[f.name]; f.listsAll && p != "" && !(p == "-" && o.streaming && f.streams) {
			return true
		}
	}
	return false
}

// optionPairs are the {option, format} flag pairs of the registry: an option set without its
// format does nothing (checkDangling).
func optionPairs(formats []reportFormat) [][2]string {
	var out [][2]string
	for _, f := range formats {
		if f.option != nil {
			out = append(out, [2]string{f.option.name, f.name})
		}
	}
	return out
}

func (o outputs) anyToStdout() bool {
	for _, p := range o.paths {
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
	in := renderInput{doc: doc, junitLevel: failOn, all: all}
	// Without --fail-on, JUnit still fails the hosts at risk (report.JUnitDefaultLevel).
	if !o.failOnSet {
		in.junitLevel = ""
	}
	var errs []error
	for _, f := range o.formats {
		path := o.paths[f.name]
		var err error
		in.option = o.options[f.name]
		switch {
		case path == "":
			continue
		case path == "-" && f.streams && o.streaming:
			// The NDJSON stream already carried each host; the last line is the whole report.
			if err := ndjsonLine(env.stdout, doc); err != nil {
				return err
			}
			continue
		case path == "-":
			err = f.write(env.stdout, in)
		default:
			err = report.WriteFileAtomic(path, func(w io.Writer) error { return f.write(w, in) })
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", path, err))
		}
	}
	return errors.Join(errs...)
}

// resultSinks receive each host result as it finishes: the NDJSON stream, the resume journal
// and the webhook. None of them may block or stop the sweep.
type resultSinks struct {
	env        *environment
	stream     bool
	journal    *report.Journal
	webhook    *report.Webhook
	webhookURL string
	baseline   *report.HostBaseline // marks each host's findings for the webhook; nil: no baseline
	log        *slog.Logger
	mu         sync.Mutex
	closed     bool
}

func newResultSinks(env *environment, s *scanSettings, j *report.Journal, base *report.Document, log *slog.Logger) (*resultSinks, error) {
	r := &resultSinks{env: env, stream: s.outputs.streamsToStdout(), journal: j, baseline: report.NewHostBaseline(base), log: log}
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
		for _, t := range r.baseline.Tickets(h) {
			r.webhook.Send(t)
		}
	}
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
