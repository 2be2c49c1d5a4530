package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/netip"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/urfave/cli/v2"
	"github.com/urfave/cli/v2/altsrc"

	"github.com/scan445/scan445/report"
	"github.com/scan445/scan445/scanner"
	"github.com/scan445/scan445/smbprobe"
)

// scanSettings is the validated form of the scan command's flags.
type scanSettings struct {
	specs       []string
	targetOpt   scanner.TargetOptions
	engine      scanner.Config
	failOn      report.FailOn
	failUnknown []string // checks whose unknown/error on an open host fails the run
	outputs     outputs
	resumePath  string
	reportAll   bool
	quiet       bool
	listOnly    bool
	verbosity   int
	probe       probeSettings
	interactive bool
	ops         opsSettings
}

func envs(name string) []string {
	return []string{"SCAN445_" + strings.ToUpper(strings.ReplaceAll(name, "-", "_"))}
}

func scanFlags(verbosity *int, formats []reportFormat) []cli.Flag {
	str := func(name, usage, value string, aliases ...string) cli.Flag {
		return altsrc.NewStringFlag(&cli.StringFlag{Name: name, Usage: usage, Value: value, Aliases: aliases, EnvVars: envs(name)})
	}
	strs := func(name, usage string, aliases ...string) cli.Flag {
		return altsrc.NewStringSliceFlag(&cli.StringSliceFlag{Name: name, Usage: usage, Aliases: aliases, EnvVars: envs(name)})
	}
	num := func(name, usage string, value int) cli.Flag {
		return altsrc.NewIntFlag(&cli.IntFlag{Name: name, Usage: usage, Value: value, EnvVars: envs(name)})
	}
	dur := func(name, usage string, value time.Duration) cli.Flag {
		return altsrc.NewDurationFlag(&cli.DurationFlag{Name: name, Usage: usage, Value: value, EnvVars: envs(name)})
	}
	flag := func(name, usage string, aliases ...string) cli.Flag {
		return altsrc.NewBoolFlag(&cli.BoolFlag{Name: name, Usage: usage, Aliases: aliases, EnvVars: envs(name)})
	}
	flags := []cli.Flag{
		&cli.StringFlag{Name: "config", Usage: "YAML `FILE` of flag values (keys are flag names); precedence: flag > env > file > default", EnvVars: envs("config")},
		// Targets.
		strs("input-list", "read target specs from `FILE` (one or more per line, # comments, - for stdin)", "iL"),
		strs("exclude", "never touch these specs (IPs, CIDRs, ranges, names)"),
		strs("exclude-file", "never touch the specs in `FILE`"),
		flag("allow-public", "allow targets outside RFC 1918, RFC 6598, loopback and link-local"),
		flag("keep-network-broadcast", "also scan the network and broadcast addresses of CIDRs"),
		flag("no-shuffle", "scan in address order instead of a seeded random permutation"),
		flag("list-targets", "print the addresses that would be scanned (after excludes, order and shard) and exit; nothing is sent", "sL"),
		str("seed", "permutation seed (default: derived from the targets, so shards agree)", ""),
		str("shard", "scan shard `I/N` of the target space (0-based); N jobs with I=0..N-1 cover it exactly once", ""),
		altsrc.NewIntFlag(&cli.IntFlag{Name: "shard-index", Usage: "shard index when --shard-count is given (Kubernetes Indexed Jobs set JOB_COMPLETION_INDEX)", Value: -1,
			EnvVars: append(envs("shard-index"), "JOB_COMPLETION_INDEX")}),
		num("shard-count", "split the target space into this many shards", 0),
		// Sweep engine.
		num("port", "scan exactly this one TCP port, no fallback (instead of --ports)", 445),
		str("ports", "TCP ports tried in order per host, a later one only when the earlier one was closed (see --fallback-on): 445 (direct SMB), then 139 (SMB over the NetBIOS session service, left open by many XP/2003 host firewalls)", "445,139"),
		str("fallback-on", "when a host moves on to the next of --ports: closed (its RST proves the host is alive) or filtered (also on no answer; a dead address then waits out a timeout on every port)", "closed"),
		num("rate", "new connection attempts per second, retries included (0 = unlimited)", 1000),
		num("concurrency", "hosts probed at once (SMB sessions); the connect stage sizes itself from --rate, --timeout and --retries", 64),
		dur("timeout", "timeout of each connect and each read", 3*time.Second),
		num("retries", "extra connect attempts after a timeout (the kernel already resends an unanswered SYN once within a 3 s connect)", 0),
		dur("host-timeout", "whole budget of one host", 30*time.Second),
		// Checks.
		strs("checks", smbprobe.ChecksUsage()+"; or none (connect results only)"),
		// Command line only: no environment variable, no config key (refuseIntrusiveElsewhere).
		&cli.BoolFlag{Name: "intrusive", Usage: "ALSO run intrusive checks that can crash unpatched hosts (MS08-067 NetprPathCompare); command line only"},
	}
	// Output: the report formats' flags (reportFormats), then the rest.
	flags = append(flags, formatFlags(formats, false, true)...)
	flags = append(flags,
		str("webhook", "POST each new finding as JSON to `URL` while scanning", ""),
		str("baseline", "mark findings new/unchanged/fixed against an earlier JSON report `FILE`", ""),
		str("resume", "results journal `FILE`: hosts already in it are not scanned again; new results are appended", ""),
		flag("report-all", "list every address in the JSON report, also those that did not answer (closed, filtered, unreachable), instead of counting them"),
		str("fail-on", "exit 1 when a finding is at or above: infected, vulnerable, exposed, any, none", "none"),
		str("fail-on-unknown", "exit 1 when an open host's `CHECKS` (comma-separated ids, or default = ms08-067,conficker) ended unknown or error", ""),
		flag("quiet", "no progress, warnings only", "q"),
		&cli.BoolFlag{Name: "verbose", Aliases: []string{"v"}, Usage: "more logging (-v info, -v -v debug)", Count: verbosity},
	)
	flags = append(flags, formatFlags(formats, true, true)...)
	return append(append(flags, probeFlags()...), opsFlags()...)
}

func scanCommand(env *environment) *cli.Command {
	var verbosity int
	flags := scanFlags(&verbosity, env.formats())
	return &cli.Command{
		Name:      "scan",
		Usage:     "sweep targets on TCP/445 (then 139 where 445 is closed) and run the safe checks on every open host",
		ArgsUsage: "TARGET...",
		Description: joinLines(
			"TARGET is an IP, a CIDR (10.0.0.0/16), a range (10.0.0.1-40, 10.0.0.1-10.0.3.255)",
			"or a host name (every address it resolves to is scanned). Public addresses are refused",
			"unless --allow-public is given. Every flag can also be set from SCAN445_<FLAG> in the",
			"environment or from a YAML --config file."),
		Flags:  flags,
		Before: configBefore(flags),
		Action: func(c *cli.Context) error {
			s, err := readScanSettings(c, env, verbosity)
			if err != nil {
				return err
			}
			code, err := runScan(c.Context, env, s)
			env.exitCode = code
			return err
		},
	}
}

func readScanSettings(c *cli.Context, env *environment, verbosity int) (*scanSettings, error) {
	s := &scanSettings{quiet: c.Bool("quiet"), verbosity: verbosity, listOnly: c.Bool("list-targets")}
	if err := checkScanFlags(c, env.formats(), verbosity); err != nil {
		return nil, err
	}
	s.specs = append(s.specs, c.Args().Slice()...)
	for _, path := range c.StringSlice("input-list") {
		specs, err := readSpecFile(path, env.stdin)
		if err != nil {
			return nil, usageError{err}
		}
		s.specs = append(s.specs, specs...)
	}
	if len(s.specs) == 0 {
		return nil, usagef("no targets: give TARGET arguments or --input-list FILE")
	}
	s.targetOpt.Excludes = c.StringSlice("exclude")
	for _, path := range c.StringSlice("exclude-file") {
		specs, err := readSpecFile(path, env.stdin)
		if err != nil {
			return nil, usageError{err}
		}
		s.targetOpt.Excludes = append(s.targetOpt.Excludes, specs...)
	}
	s.targetOpt.AllowPublic = c.Bool("allow-public")
	s.targetOpt.KeepNetworkBroadcast = c.Bool("keep-network-broadcast")
	s.targetOpt.Shuffle = !c.Bool("no-shuffle")
	if seed := c.String("seed"); seed != "" {
		v, err := strconv.ParseUint(seed, 0, 64)
		if err != nil {
			return nil, usagef("--seed %q: not an unsigned integer", seed)
		}
		s.targetOpt.Seed, s.targetOpt.SeedSet = v, true
	}
	idx, count, err := parseShard(c.String("shard"), c.Int("shard-index"), c.Int("shard-count"))
	if err != nil {
		return nil, usageError{err}
	}
	s.targetOpt.ShardIndex, s.targetOpt.ShardCount = idx, count

	ports, fallbackFiltered, err := readPorts(c)
	if err != nil {
		return nil, err
	}
	if c.Int("rate") < 0 {
		return nil, usagef("--rate %d: must be 0 (unlimited) or more", c.Int("rate"))
	}
	if c.Int("concurrency") < 1 {
		return nil, usagef("--concurrency %d: must be at least 1", c.Int("concurrency"))
	}
	if c.Duration("timeout") <= 0 || c.Duration("host-timeout") <= 0 {
		return nil, usagef("--timeout and --host-timeout must be positive")
	}
	if c.Int("retries") < 0 {
		return nil, usagef("--retries %d: must be 0 or more", c.Int("retries"))
	}
	s.engine = scanner.Config{
		Port:             ports[0],
		Fallback:         ports[1:],
		FallbackFiltered: fallbackFiltered,
		Rate:             c.Int("rate"),
		Concurrency:      c.Int("concurrency"),
		Timeout:          c.Duration("timeout"),
		Retries:          c.Int("retries"),
		HostTimeout:      c.Duration("host-timeout"),
	}
	if s.failOn, err = parseFailOn(c); err != nil {
		return nil, err
	}
	if s.failUnknown, err = report.ParseUncheckedGate(c.String("fail-on-unknown")); err != nil {
		return nil, usageError{err}
	}
	if err := refuseIntrusiveElsewhere(c.String("config")); err != nil {
		return nil, err
	}
	if s.outputs, err = readOutputs(c, env.formats(), true); err != nil {
		return nil, usageError{err}
	}
	if s.probe, err = readProbeSettings(c); err != nil {
		return nil, usageError{err}
	}
	s.resumePath = c.String("resume")
	s.reportAll = c.Bool("report-all")
	if s.ops, err = readOpsSettings(c); err != nil {
		return nil, usageError{err}
	}
	if err := checkOutputPaths(c, env.formats(), s.resumePath); err != nil {
		return nil, err
	}
	s.interactive = isTerminal(env.stderr) && !s.quiet
	return s, nil
}

// parseShard accepts --shard I/N, or --shard-count N with the index from --shard-index (or the
// JOB_COMPLETION_INDEX a Kubernetes Indexed Job sets), so one job template serves every shard.
func parseShard(spec string, index, count int) (int, int, error) {
	if spec != "" {
		i, n, ok := strings.Cut(spec, "/")
		ii, err1 := strconv.Atoi(i)
		nn, err2 := strconv.Atoi(n)
		if !ok || err1 != nil || err2 != nil {
			return 0, 0, fmt.Errorf("--shard %q: want I/N, e.g. 0/4", spec)
		}
		index, count = ii, nn
	} else if count == 0 {
		return 0, 0, nil
	}
	if count < 1 {
		return 0, 0, fmt.Errorf("shard count %d: must be at least 1", count)
	}
	if index < 0 || index >= count {
		return 0, 0, fmt.Errorf("shard index %d: must be 0..%d (set --shard-index or JOB_COMPLETION_INDEX)", index, count-1)
	}
	return index, count, nil
}

func readSpecFile(path string, stdin io.Reader) ([]string, error) {
	specs, err := scanner.ReadSpecFile(path, stdin)
	if err != nil {
		return nil, fmt.Errorf("target list: %w", err)
	}
	return specs, nil
}

func newLogger(w io.Writer, quiet bool, verbosity int) *slog.Logger {
	level := slog.LevelWarn
	switch {
	case quiet:
		level = slog.LevelError
	case verbosity == 1:
		level = slog.LevelInfo
	case verbosity >= 2:
		level = slog.LevelDebug
	}
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: level}))
}

// runScan does the sweep and writes every report. It returns the exit code, and an error only
// for what the user must see on stderr.
func runScan(parent context.Context, env *environment, s *scanSettings) (int, error) {
	log := newLogger(env.stderr, s.quiet, s.verbosity)
	if parent == nil {
		parent = context.Background()
	}
	resolveCtx, cancelResolve := context.WithTimeout(parent, 30*time.Second)
	targets, err := scanner.ParseTargets(resolveCtx, s.specs, s.targetOpt)
	cancelResolve()
	if err != nil {
		return exitUsage, usageError{err}
	}
	if s.listOnly {
		return exitOK, listTargets(env.stdout, targets)
	}
	prober, warnings, err := newProber(s.probe, s.engine, log)
	if err != nil {
		return exitUsage, usageError{err}
	}
	for _, w := range warnings {
		fmt.Fprintf(env.stderr, "WARNING: %s\n", w)
	}
	base, err := loadBaseline(s.outputs.baseline)
	if err != nil {
		return exitUsage, usageError{err}
	}

	// Results that answered are kept for the reports; the others are only counted (and, for
	// --report-all, read back from the journal or a spill file when the JSON is written).
	state := report.NewResumeState()
	var journal *report.Journal
	if s.resumePath != "" {
		journal, state, err = report.OpenJournal(s.resumePath)
		if err != nil {
			return exitUsage, usageError{err}
		}
		defer journal.Close()
		log.Info("resuming", "journal", s.resumePath, "done", state.Done.Len())
	}
	var spilled *report.Spill
	if s.reportAll && journal == nil && s.outputs.listsAll() {
		if spilled, err = report.NewSpill(); err != nil {
			return exitUsage, usageError{err}
		}
		defer spilled.Remove()
	}

	plan := s.plan(prober, log)
	if plan.Limited != "" {
		fmt.Fprintf(env.stderr, "WARNING: %s\n", plan.Limited)
		warnings = append(warnings, plan.Limited)
	}

	doc := &report.Document{
		Schema:    report.SchemaVersion,
		Tool:      "scan445",
		Version:   version,
		Started:   time.Now().UTC(),
		Arguments: redactArgs(env.args),
		Options:   s.effectiveOptions(targets, plan),
		Warnings:  warnings,
	}

	// Ctrl-C and SIGTERM stop dispatching; a second signal kills at once (default behaviour
	// restored by stop).
	ctx, stop := signal.NotifyContext(parent, os.Interrupt, syscall.SIGTERM)
	defer stop()
	context.AfterFunc(ctx, stop)

	hooks, err := newResultSinks(env, s, journal, base, log)
	if err != nil {
		return exitUsage, usageError{err}
	}
	hosts, tally, done := state.Listed, state.Tally, state.Done
	var spillErr error
	var prog *progress
	if prog = newProgress(env.stderr, s, targets.Len(), uint64(done.Len())); prog != nil {
		defer prog.stop()
	}
	cfg := plan.Apply(s.engine)
	cfg.Prober = prober
	cfg.Logger = log
	cfg.Allow = func(a netip.Addr) bool { return targets.Contains(a) && !targets.Excluded(a) }
	cfg.Skip = done.Has // read by the dispatcher only, before the sweep writes nothing to it
	cfg.OnResult = func(r scanner.HostResult) {
		// Calls are serialised by the engine.
		if report.Listed(r) {
			hosts = append(hosts, r)
		} else {
			tally.Add(r)
			if spilled != nil && spillErr == nil {
				spillErr = spilled.Append(r)
			}
		}
		hooks.result(r)
		if prog != nil {
			prog.add(r)
		}
	}
	stats := scanner.Run(ctx, targets.All(), cfg)
	if prog != nil {
		prog.stop()
	}

	doc.Finished = time.Now().UTC()
	doc.Hosts = hosts
	doc.Unlisted = tally.Unlisted(hosts)
	doc.Complete = !stats.Interrupted
	if stats.Interrupted {
		doc.Interrupted = "interrupted by signal: every result gathered so far is in this report"
		if s.resumePath != "" {
			doc.Interrupted += "; run again with the same --resume file to finish"
		}
	}
	doc.Summary = report.Summarize(targets.Len(), hosts)
	doc.Stats = runStats(stats, s.engine.Rate)
	doc.WebhookFailures = hooks.finish(s.ops.webhookWait)
	report.Finalize(doc)
	if base != nil {
		report.ApplyBaseline(doc, base)
	}
	var all func(func(scanner.HostResult) error) error // --report-all: where the unlisted results are
	switch {
	case !s.reportAll:
	case journal != nil:
		all = report.UnlistedFrom(journal.Path())
	case spilled != nil:
		if spillErr == nil {
			spillErr = spilled.Flush()
		}
		all = report.UnlistedFrom(spilled.Path())
	}
	writeErr := errors.Join(spillErr, writeReports(env, s.outputs, doc, s.failOn, all))
	if !s.quiet && !s.outputs.anyToStdout() { // a report on stdout stays parseable
		report.WriteConsole(env.stdout, doc)
	}
	log.Info("scan finished", "dispatched", stats.Dispatched, "attempts", stats.Attempts, "skipped", stats.Skipped,
		"listed", len(doc.Hosts), "unlisted", doc.Unlisted.Total(), "interrupted", stats.Interrupted)
	switch {
	case writeErr != nil:
		return exitIncomplete, cli.Exit(fmt.Sprintf("writing reports: %v", writeErr), exitIncomplete)
	case stats.Interrupted:
		fmt.Fprintln(env.stderr, "scan445: interrupted; partial reports written")
		return exitIncomplete, nil
	case report.Exceeds(doc, s.failOn):
		return exitFindings, nil
	case reportUnchecked(env.stderr, doc, s.failUnknown):
		return exitFindings, nil
	}
	return exitOK, nil
}

func runStats(st scanner.Stats, rate int) *report.RunStats {
	rs := &report.RunStats{Dispatched: st.Dispatched, Skipped: st.Skipped, Attempts: st.Attempts, ConfiguredRate: rate}
	if span := st.LastAttempt.Sub(st.FirstAttempt).Seconds(); span > 0 && st.Attempts > 1 {
		rs.PacedSeconds = span
		// n attempts span n-1 intervals.
		rs.AchievedRate = float64(st.Attempts-1) / span
	}
	return rs
}

// plan sizes the sweep's two stages for the descriptors this process may hold (the soft
// RLIMIT_NOFILE is raised to the hard limit first) and logs the derived values at -v.
func (s *scanSettings) plan(prober scanner.Prober, log *slog.Logger) scanner.Plan {
	limit, err := scanner.RaiseFileLimit()
	if err != nil {
		log.Warn("cannot read RLIMIT_NOFILE; sizing the connect stage without it", "err", err)
	}
	cfg := s.engine
	cfg.Prober = prober
	p := scanner.NewPlan(cfg, limit)
	log.Info("sweep plan", "rate", p.Rate, "configured_rate", s.engine.Rate, "connect_slots", p.ConnectSlots,
		"probe_slots", p.ProbeSlots, "file_limit", p.FileLimit, "timeout", s.engine.Timeout, "retries", s.engine.Retries)
	return p
}

func (s *scanSettings) effectiveOptions(t *scanner.TargetSet, plan scanner.Plan) map[string]string {
	o := map[string]string{
		"port":         strconv.Itoa(s.engine.Port),
		"ports":        joinPorts(s.engine.Ports()),
		"timeout":      s.engine.Timeout.String(),
		"retries":      strconv.Itoa(s.engine.Retries),
		"host_timeout": s.engine.HostTimeout.String(),
		"shuffle":      strconv.FormatBool(s.targetOpt.Shuffle),
		"seed":         strconv.FormatUint(t.Seed(), 10),
		"targets":      strings.Join(s.specs, " "),
		"fail_on":      string(s.failOn),
	}
	plan.Describe(o)
	if plan.Rate != s.engine.Rate {
		o["configured_rate"] = strconv.Itoa(s.engine.Rate)
	}
	if len(s.engine.Fallback) > 0 {
		o["fallback_on"] = fallbackOn(s.engine.FallbackFiltered)
	}
	if s.reportAll {
		o["report_all"] = "true"
	}
	if len(s.failUnknown) > 0 {
		o["fail_on_unknown"] = strings.Join(s.failUnknown, ",")
	}
	if len(s.targetOpt.Excludes) > 0 {
		o["exclude"] = strings.Join(s.targetOpt.Excludes, " ")
	}
	if s.targetOpt.ShardCount > 0 {
		o["shard"] = fmt.Sprintf("%d/%d", s.targetOpt.ShardIndex, s.targetOpt.ShardCount)
	}
	s.probe.describe(o)
	return o
}

// redactArgs keeps the command line for the report but never a secret, whatever flag carried it.
func redactArgs(args []string) []string {
	out := make([]string, 0, len(args))
	secret := false
	for _, a := range args {
		if secret {
			out = append(out, "REDACTED")
			secret = false
			continue
		}
		name, _, hasValue := strings.Cut(strings.TrimLeft(a, "-"), "=")
		if strings.HasPrefix(a, "-") && (strings.Contains(name, "password") || strings.Contains(name, "hash")) {
			if hasValue {
				out = append(out, "--"+name+"=REDACTED")
			} else {
				out = append(out, a)
				secret = true
			}
			continue
		}
		out = append(out, redactArgURL(a)) // a webhook URL's token or password
	}
	return out
}

func loadBaseline(path string) (*report.Document, error) {
	if path == "" {
		return nil, nil
	}
	doc, err := readReportFile(path)
	if err != nil {
		return nil, fmt.Errorf("--baseline %w", err)
	}
	return doc, nil
}

// readReportFile loads a saved JSON report; the error names the file.
func readReportFile(path string) (*report.Document, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, reportFileProblem(path, err)
	}
	defer f.Close()
	// Compact: a --report-all report of a /8 loads in memory for its answering hosts only.
	doc, err := report.LoadCompact(f)
	if err != nil {
		return nil, reportFileProblem(path, err)
	}
	return doc, nil
}

func listTargets(w io.Writer, targets *scanner.TargetSet) error {
	bw := bufio.NewWriterSize(w, 64<<10)
	var line []byte // reused: a /8 must not leave 16M strings for the collector
	for a := range targets.All() {
		line = append(a.AppendTo(line[:0]), '\n')
		bw.Write(line)
	}
	return bw.Flush()
}

// isTerminal reports whether w is a character device, without a dependency for it.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// ndjsonLine encodes one value on one line.
func ndjsonLine(w io.Writer, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	_, err = w.Write(append(b, '\n'))
	return err
}
