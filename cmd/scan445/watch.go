package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"os/signal"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/scan445/scan445/report"
	"github.com/scan445/scan445/scanner"
	"github.com/scan445/scan445/sensor"
	"github.com/scan445/scan445/smbprobe/smblab"
)

// watchCommand is `scan445 watch`: the listening (and optionally capturing) sensor.
func watchCommand(env *environment) *cli.Command {
	var verbosity int
	th := sensor.DefaultThresholds()
	flags := []cli.Flag{
		&cli.StringSliceFlag{Name: "listen", EnvVars: envs("listen"),
			Usage: "serve SMB on `ADDR[:PORT]` (comma-separated; no port: 445 and 139); none: do not listen (default: 445 and 139 on every address of this host)"},
		&cli.StringFlag{Name: "interface", EnvVars: envs("interface"),
			Usage: "also capture TCP SYNs to 445 and 139 on interface `IF` (needs CAP_NET_RAW)"},
		&cli.StringSliceFlag{Name: "dark", EnvVars: envs("dark"),
			Usage: "`PREFIX`es nobody holds, whose every contact counts as dark (default: the --listen addresses given, which should be unused ones)"},
		&cli.DurationFlag{Name: "duration", EnvVars: envs("duration"),
			Usage: "stop after this long and write the reports (0: until Ctrl-C/SIGTERM)"},
		&cli.StringFlag{Name: "events", EnvVars: envs("events"),
			Usage: "write one NDJSON line per new finding of a source, as it happens, to `FILE` (- for stdout)"},
		&cli.DurationFlag{Name: "window", Value: th.Window, EnvVars: envs("window"), Usage: "conficker-scanning: the window distinct destinations are counted in"},
		&cli.IntFlag{Name: "infected-distinct", Value: th.InfectedDistinct, EnvVars: envs("infected-distinct"), Usage: "conficker-scanning: distinct destinations within --window that make a source infected"},
		&cli.IntFlag{Name: "suspect-distinct", Value: th.SuspectDistinct, EnvVars: envs("suspect-distinct"), Usage: "conficker-scanning: distinct destinations within --window that make a source suspect (verdict unknown)"},
		&cli.IntFlag{Name: "infected-dark", Value: th.InfectedDark, EnvVars: envs("infected-dark"), Usage: "conficker-scanning: dark destinations that make a source infected"},
		&cli.Int64Flag{Name: "suspect-dark-attempts", Value: th.SuspectDarkAttempts, EnvVars: envs("suspect-dark-attempts"), Usage: "conficker-scanning: attempts to one dark destination that make a source suspect"},
		&cli.IntFlag{Name: "max-sources", Value: 65536, EnvVars: envs("max-sources"), Usage: "sources tracked at once; idle ones without a finding are forgotten first"},
		&cli.IntFlag{Name: "max-conns", Value: 512, EnvVars: envs("max-conns"), Usage: "connections served at once"},
		&cli.IntFlag{Name: "max-conns-per-source", Value: 8, EnvVars: envs("max-conns-per-source"), Usage: "connections served at once per source address"},
		&cli.Int64Flag{Name: "max-bytes", Value: 1 << 20, EnvVars: envs("max-bytes"), Usage: "bytes one connection may send before it is dropped"},
		&cli.DurationFlag{Name: "idle-timeout", Value: 10 * time.Second, EnvVars: envs("idle-timeout"), Usage: "close a connection that sends nothing for this long"},
		&cli.StringFlag{Name: "computer", Value: "FILESRV", EnvVars: envs("computer"), Usage: "the NetBIOS `NAME` the sensor answers as"},
	}
	flags = append(flags, captureFlags()...)
	flags = append(flags, formatFlags(env.formats(), false, false)...)
	flags = append(flags,
		&cli.StringFlag{Name: "webhook", EnvVars: envs("webhook"), Usage: "POST one ticket per new infected source to `URL` as it is found"},
		&cli.StringFlag{Name: "fail-on", Value: "none", EnvVars: envs("fail-on"), Usage: "exit 1 when a finding is at or above: infected, vulnerable, exposed, any, none"},
		&cli.BoolFlag{Name: "quiet", Aliases: []string{"q"}, Usage: "no progress lines and no summary, warnings only"},
		&cli.BoolFlag{Name: "verbose", Aliases: []string{"v"}, Usage: "more logging (-v info: every connection's requests, -v -v debug)", Count: &verbosity},
	)
	flags = append(flags, formatFlags(env.formats(), true, false)...)
	flags = append(flags, opsFlags()...)
	flags = append(fileSettable(flags, "quiet", "verbose"), watchConfigFlag())
	return &cli.Command{
		Name:  "watch",
		Usage: "find infected hosts by their own TCP/445 traffic: a listening (and capturing) sensor",
		Description: joinLines(
			"Listens on addresses nobody else uses and answers SMB as a patched Windows XP, so that",
			"a Conficker-infected host that scans them shows itself: by the number of addresses it",
			"contacts (conficker-scanning) and by the MS08-067 exploit path it sends",
			"(ms08-067-exploit-attempt). Nothing is ever sent to a source beyond the answers.",
			"Reports are written when --duration ends or on Ctrl-C/SIGTERM.",
			"Exit 0: the watch ended (--duration, or Ctrl-C on an open-ended watch); 1: a source at or",
			"above --fail-on; 2: usage, or --interface without CAP_NET_RAW; 3: a signal or a failed",
			"capture cut a --duration run short (reports are still written)."),
		Flags:  flags,
		Before: configBefore(flags),
		Action: func(c *cli.Context) error {
			w, err := readWatchSettings(c, env, verbosity)
			if err != nil {
				return err
			}
			code, err := runWatch(c.Context, env, w)
			env.exitCode = code
			return err
		},
	}
}

// watchSettings are a watch run's validated flags.
type watchSettings struct {
	endpoints   []sensor.Endpoint
	iface       string
	capture     sensor.CaptureOptions // --dark-grace, --promiscuous, --capture-buffer
	dark        []netip.Prefix
	duration    time.Duration
	events      string
	tracker     sensor.TrackerOptions
	listener    sensor.ListenerOptions
	outputs     outputs
	failOn      report.FailOn
	ops         opsSettings
	quiet       bool
	verbosity   int
	explicitDst bool // --listen named addresses
}

func readWatchSettings(c *cli.Context, env *environment, verbosity int) (*watchSettings, error) {
	if c.NArg() > 0 {
		return nil, usagef("watch takes no arguments (got %q); listen addresses go to --listen", c.Args().First())
	}
	w := &watchSettings{iface: c.String("interface"), duration: c.Duration("duration"), events: c.String("events"),
		quiet: c.Bool("quiet"), verbosity: verbosity}
	if w.quiet && verbosity > 0 {
		return nil, conflict("--quiet", "--verbose", "ask for less and more output at once")
	}
	if w.duration < 0 {
		return nil, usagef("--duration %s: must be 0 (until Ctrl-C) or positive", w.duration)
	}
	var err error
	if w.endpoints, w.explicitDst, err = parseListen(c.StringSlice("listen")); err != nil {
		return nil, usageError{err}
	}
	if len(w.endpoints) == 0 && w.iface == "" {
		return nil, usagef("--listen none without --interface: the sensor would observe nothing")
	}
	for _, d := range c.StringSlice("dark") {
		for _, part := range strings.Split(d, ",") {
			p, err := parsePrefix(strings.TrimSpace(part))
			if err != nil {
				return nil, usagef("--dark %q: want an address or a CIDR prefix", part)
			}
			w.dark = append(w.dark, p)
		}
	}
	if !c.IsSet("dark") && w.explicitDst {
		for _, ep := range w.endpoints {
			if a := ep.Addr.Addr(); !a.IsUnspecified() {
				w.dark = append(w.dark, netip.PrefixFrom(a, a.BitLen()))
			}
		}
	}
	th := sensor.Thresholds{
		Window: c.Duration("window"), InfectedDistinct: c.Int("infected-distinct"), SuspectDistinct: c.Int("suspect-distinct"),
		InfectedDark: c.Int("infected-dark"), SuspectDarkAttempts: c.Int64("suspect-dark-attempts"),
	}
	if err := th.Validate(); err != nil {
		return nil, usageError{err}
	}
	for _, lim := range []struct {
		flag string
		v    int64
	}{{"max-sources", int64(c.Int("max-sources"))}, {"max-conns", int64(c.Int("max-conns"))},
		{"max-conns-per-source", int64(c.Int("max-conns-per-source"))}, {"max-bytes", c.Int64("max-bytes")}} {
		if lim.v < 1 {
			return nil, usagef("--%s %d: must be at least 1", lim.flag, lim.v)
		}
	}
	if c.Duration("idle-timeout") <= 0 {
		return nil, usagef("--idle-timeout %s: must be positive", c.Duration("idle-timeout"))
	}
	if w.capture, err = readCaptureSettings(c); err != nil {
		return nil, err
	}
	w.tracker = sensor.TrackerOptions{Thresholds: th, Dark: w.dark, MaxSources: c.Int("max-sources")}
	w.listener = sensor.ListenerOptions{Endpoints: w.endpoints, Computer: c.String("computer"),
		MaxConns: c.Int("max-conns"), MaxPerSource: c.Int("max-conns-per-source"), MaxBytes: c.Int64("max-bytes"),
		IdleTimeout: c.Duration("idle-timeout")}
	// Not streaming: a watch has no host results to stream; --json - is the whole report at the end.
	if w.outputs, err = readOutputs(c, env.formats(), false); err != nil {
		return nil, usageError{err}
	}
	if w.events == "-" && w.outputs.anyToStdout() {
		return nil, conflict("--events -", "a report on stdout", "both write to stdout: give one of them a file")
	}
	if w.failOn, err = parseFailOn(c); err != nil {
		return nil, err
	}
	if w.ops, err = readOpsSettings(c); err != nil {
		return nil, usageError{err}
	}
	if err := checkDangling(c, [][2]string{{"tickets-format", "tickets"}, {"webhook-header-env", "webhook"},
		{"webhook-header-file", "webhook"}, {"webhook-wait", "webhook"}}); err != nil {
		return nil, err
	}
	if err := checkOutputPaths(c, env.formats(), ""); err != nil {
		return nil, err
	}
	if w.events != "" && w.events != "-" {
		if _, err := writablePath("--events", w.events); err != nil {
			return nil, err
		}
	}
	if w.iface != "" {
		ok, err := hasCapNetRaw()
		if err != nil || !ok {
			return nil, usagef("--interface %s: capture mode needs CAP_NET_RAW (run as root, or `setcap cap_net_raw+ep` the binary); the listening mode works without it", w.iface)
		}
	}
	return w, nil
}

// parseListen reads --listen: ADDR (445 and 139), ADDR:PORT ([v6]:PORT), :PORT (every
// address), or none. Port 139 is the NetBIOS session service. explicit: an address was named.
func parseListen(specs []string) (eps []sensor.Endpoint, explicit bool, err error) {
	if len(specs) == 0 {
		for _, port := range []uint16{445, 139} {
			eps = append(eps, sensor.Endpoint{Addr: netip.AddrPortFrom(netip.IPv6Unspecified(), port), NetBIOS: port == 139})
		}
		return eps, false, nil
	}
	seen := map[netip.AddrPort]bool{}
	add := func(ap netip.AddrPort) {
		if !seen[ap] {
			seen[ap] = true
			eps = append(eps, sensor.Endpoint{Addr: ap, NetBIOS: ap.Port() == 139})
		}
	}
	for _, spec := range specs {
		for _, s := range strings.Split(spec, ",") {
			s = strings.TrimSpace(s)
			switch {
			case s == "none":
				if len(specs) > 1 || strings.Contains(spec, ",") {
					return nil, false, errors.New("--listen none cannot be combined with addresses")
				}
				return nil, false, nil
			case s == "":
				continue
			}
			if a, err := netip.ParseAddr(strings.Trim(s, "[]")); err == nil {
				explicit = true
				add(netip.AddrPortFrom(a.Unmap(), 445))
				add(netip.AddrPortFrom(a.Unmap(), 139))
				continue
			}
			host, port, err := net.SplitHostPort(s)
			if err != nil {
				return nil, false, fmt.Errorf("--listen %q: want ADDR, ADDR:PORT, [IPv6]:PORT or :PORT", s)
			}
			p, err := strconv.ParseUint(port, 10, 16)
			if err != nil || p == 0 {
				return nil, false, fmt.Errorf("--listen %q: port %q is not 1-65535", s, port)
			}
			a := netip.IPv6Unspecified()
			if host != "" {
				if a, err = netip.ParseAddr(host); err != nil {
					return nil, false, fmt.Errorf("--listen %q: %q is not an IP address", s, host)
				}
				explicit = true
			}
			add(netip.AddrPortFrom(a.Unmap(), uint16(p)))
		}
	}
	return eps, explicit, nil
}

func parsePrefix(s string) (netip.Prefix, error) {
	if p, err := netip.ParsePrefix(s); err == nil {
		return p.Masked(), nil
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Prefix{}, err
	}
	a = a.Unmap()
	return netip.PrefixFrom(a, a.BitLen()), nil
}

// hasCapNetRaw reads the effective capability set of this process (bit 13, CAP_NET_RAW).
func hasCapNetRaw() (bool, error) {
	raw, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return false, err
	}
	for _, line := range strings.Split(string(raw), "\n") {
		if v, ok := strings.CutPrefix(line, "CapEff:"); ok {
			caps, err := strconv.ParseUint(strings.TrimSpace(v), 16, 64)
			if err != nil {
				return false, err
			}
			return caps&(1<<13) != 0, nil
		}
	}
	return false, errors.New("no CapEff line in /proc/self/status")
}

// watchEvent is one NDJSON line of --events.
type watchEvent struct {
	Time    time.Time              `json:"time"`
	Event   string                 `json:"event"` // "finding"
	Source  string                 `json:"source"`
	Check   string                 `json:"check"`
	Verdict string                 `json:"verdict"`
	Rule    string                 `json:"rule"`
	Reason  string                 `json:"reason"`
	Stats   report.SensorSource    `json:"stats"`
	Exploit *sensor.ExploitAttempt `json:"exploit,omitempty"`
}

// watchSinks turn tracker events into NDJSON lines and webhook tickets (one per new infected
// source). They never block the sensor: the webhook queues, the events file is buffered by
// the OS.
type watchSinks struct {
	mu        sync.Mutex
	events    io.Writer
	webhook   *report.Webhook
	hookURL   string
	alerted   map[netip.Addr]bool
	th        sensor.Thresholds
	log       *slog.Logger
	stderr    io.Writer
	eventErrs int
}

func (s *watchSinks) event(e sensor.Event) {
	verdict := "infected"
	if e.Level == sensor.LevelSuspect {
		verdict = "unknown"
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.log.Info("finding", "source", e.Source, "check", e.Check, "verdict", verdict, "reason", e.Reason)
	if s.events != nil {
		line := watchEvent{Time: e.Time.UTC(), Event: "finding", Source: e.Source.String(), Check: e.Check, Verdict: verdict,
			Rule: e.Rule, Reason: e.Reason, Stats: e.Stats, Exploit: e.Exploit}
		if err := ndjsonLine(s.events, line); err != nil && s.eventErrs == 0 {
			s.eventErrs++
			fmt.Fprintf(s.stderr, "scan445: --events: %v (further errors not shown)\n", err)
		}
	}
	if s.webhook == nil || e.Level != sensor.LevelInfected || s.alerted[e.Source] {
		return
	}
	s.alerted[e.Source] = true
	var exploits []sensor.ExploitAttempt
	if e.Exploit != nil {
		exploits = append(exploits, *e.Exploit)
	}
	h := sensor.SourceResult(e.Stats, exploits, s.th)
	one := &report.Document{Kind: report.KindWatch, Hosts: []scanner.HostResult{h}}
	report.Finalize(one)
	// One alert per source: its most urgent ticket.
	if ts := report.Tickets(one); len(ts) > 0 {
		s.webhook.Send(ts[0])
	}
}

// runWatch runs the sensor until --duration or a signal, then writes the reports.
func runWatch(parent context.Context, env *environment, w *watchSettings) (int, error) {
	log := newLogger(env.stderr, w.quiet, w.verbosity)
	if parent == nil {
		parent = context.Background()
	}
	started := time.Now().UTC()
	sinks := &watchSinks{alerted: map[netip.Addr]bool{}, th: w.tracker.Thresholds, log: log, stderr: env.stderr}
	switch w.events {
	case "":
	case "-":
		sinks.events = env.stdout
	default:
		f, err := os.OpenFile(w.events, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o644)
		if err != nil {
			return exitUsage, usagef("--events %s: %s", w.events, plainCause(err))
		}
		defer f.Close()
		sinks.events = f
	}
	if w.outputs.webhook != "" {
		wh, err := newWebhook(w.outputs.webhook, w.ops)
		if err != nil {
			return exitUsage, usagef("--webhook: %s", plainCause(err))
		}
		sinks.webhook, sinks.hookURL = wh, w.outputs.webhook
	}
	w.tracker.OnEvent = sinks.event
	tr := sensor.NewTracker(w.tracker)

	ctx, stop := signal.NotifyContext(parent, os.Interrupt, syscall.SIGTERM)
	defer stop()
	context.AfterFunc(ctx, stop) // a second signal kills at once
	runCtx, cancel := ctx, context.CancelFunc(func() {})
	if w.duration > 0 {
		runCtx, cancel = context.WithTimeout(ctx, w.duration)
	}
	defer cancel()

	var l *sensor.Listener
	var listen []string
	if len(w.endpoints) > 0 {
		opts := w.listener
		opts.Tracker = tr
		opts.OnError = func(err error) { log.Warn("accept", "err", err) }
		if w.verbosity > 0 {
			opts.OnRequest = func(src netip.Addr, r smblab.Request) {
				log.Info("request", "source", src, "command", r.Command, "pipe", r.Pipe)
			}
		}
		var err error
		if l, err = sensor.Listen(runCtx, opts); err != nil {
			hint := ""
			if errors.Is(err, syscall.EACCES) {
				hint = " (ports below 1024 need root or CAP_NET_BIND_SERVICE; an ordinary user can listen on a high port, e.g. --listen 127.0.0.1:4445)"
			}
			return exitUsage, usagef("%s%s", plainCause(err), hint)
		}
		for _, ep := range l.Endpoints() {
			listen = append(listen, ep.String())
		}
		log.Info("listening", "endpoints", strings.Join(listen, ", "))
	}
	var capture sensor.Capture
	capErr := make(chan error, 1)
	if w.iface != "" {
		open := env.openCapture
		if open == nil {
			open = defaultOpenCapture(w.dark, w.endpoints)
		}
		var err error
		co := w.capture
		co.Interface, co.Ports = w.iface, []uint16{445, 139}
		capture, err = open(co)
		if err != nil {
			if l != nil {
				l.Close()
			}
			return exitUsage, usagef("--interface %s: %s", w.iface, plainCause(err))
		}
		go func() { capErr <- capture.Run(runCtx, tr.Observe) }()
	}
	var prog *time.Ticker
	var progC <-chan time.Time
	if !w.quiet && w.ops.progressEvery > 0 {
		prog = time.NewTicker(w.ops.progressEvery)
		defer prog.Stop()
		progC = prog.C
	}
	var fatal error
	capDone := false
wait:
	for {
		select {
		case <-runCtx.Done():
			break wait
		case err := <-capErr:
			capDone = true
			if err != nil && runCtx.Err() == nil {
				fatal = fmt.Errorf("capture on %s: %w", w.iface, err)
				break wait
			}
		case <-progC:
			s := tr.Snapshot()
			fmt.Fprintf(env.stderr, "scan445: watch: %d attempts from %d sources, %d with a finding, %s elapsed\n",
				s.Attempts, s.Sources, len(s.Flagged), time.Since(started).Round(time.Second))
		}
	}
	interrupted := ctx.Err() != nil && fatal == nil
	stop()
	cancel()
	if capture != nil && !capDone {
		// The capture's last observations (SYNs held for the dark grace time) and its final
		// counters come when its Run returns.
		select {
		case <-capErr:
		case <-time.After(3 * time.Second):
		}
	}
	if l != nil {
		l.Close()
	}
	run := sensor.RunInfo{Version: version, Arguments: redactArgs(env.args), Options: w.options(),
		Started: started, Finished: time.Now().UTC(), Complete: true, Listen: listen, Interface: w.iface}
	for _, p := range w.dark {
		run.Dark = append(run.Dark, p.String())
	}
	if l != nil {
		run.Connections, run.Refused = l.Stats()
	}
	if capture != nil {
		run.Capture = capture.Stats()
	}
	// Without --duration a signal is how a watch ends; with one, a signal cuts it short.
	switch {
	case fatal != nil:
		run.Complete, run.Interrupted = false, fatal.Error()
	case interrupted && w.duration > 0:
		run.Complete, run.Interrupted = false, "interrupted by signal before --duration ended: every observation so far is in this report"
	}
	doc := tr.Snapshot().Document(run)
	if sinks.webhook != nil {
		wctx, wcancel := contextWithTimeout(w.ops.webhookWait)
		doc.WebhookFailures = sinks.webhook.Close(wctx)
		wcancel()
		reportWebhook(env.stderr, sinks.webhook, sinks.hookURL)
	}
	report.Finalize(doc)
	writeErr := writeReports(env, w.outputs, doc, w.failOn, nil)
	if !w.quiet && !w.outputs.anyToStdout() && w.events != "-" {
		printWatchSummary(env.stdout, doc)
	}
	switch {
	case writeErr != nil:
		return exitIncomplete, cli.Exit(fmt.Sprintf("writing reports: %v", writeErr), exitIncomplete)
	case fatal != nil:
		return exitIncomplete, cli.Exit(fatal.Error(), exitIncomplete)
	case !run.Complete:
		fmt.Fprintln(env.stderr, "scan445: watch interrupted before --duration ended; reports written")
		return exitIncomplete, nil
	case report.Exceeds(doc, w.failOn):
		return exitFindings, nil
	}
	return exitOK, nil
}

// options are the effective settings, for the report.
func (w *watchSettings) options() map[string]string {
	o := map[string]string{
		"duration": w.duration.String(), "max_sources": strconv.Itoa(w.tracker.MaxSources),
		"max_conns": strconv.Itoa(w.listener.MaxConns), "max_conns_per_source": strconv.Itoa(w.listener.MaxPerSource),
		"max_bytes": strconv.FormatInt(w.listener.MaxBytes, 10), "idle_timeout": w.listener.IdleTimeout.String(),
	}
	if w.iface != "" {
		o["interface"] = w.iface
	}
	keys := make([]string, 0, len(w.endpoints))
	for _, ep := range w.endpoints {
		keys = append(keys, ep.String())
	}
	sort.Strings(keys)
	if len(keys) > 0 {
		o["listen"] = strings.Join(keys, ",")
	}
	return o
}

// printWatchSummary is the human view of a watch on stdout: the totals, then one line per
// source with a finding, busiest first.
func printWatchSummary(w io.Writer, doc *report.Document) {
	st := doc.Sensor
	state := ""
	if !doc.Complete {
		state = " (INCOMPLETE)"
	}
	approx := ""
	if !st.SourcesExact {
		approx = "about "
	}
	fmt.Fprintf(w, "scan445 watch: %d attempts from %s%d sources in %s%s, %d connections served, %d refused\n",
		st.Attempts, approx, st.Sources, doc.Finished.Sub(doc.Started).Round(time.Second), state, st.Connections, st.Refused)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	n := 0
	for _, s := range st.SourceDetail {
		if s.Verdict == "" {
			continue
		}
		if n == 0 {
			fmt.Fprintln(tw, "VERDICT\tSOURCE\tATTEMPTS\tDISTINCT\tDARK\tPER MIN\tPATTERN\tEXPLOITS")
		}
		n++
		fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%d\t%.1f\t%s\t%d\n", s.Verdict, report.TermSafe(s.Address), s.Attempts, s.Distinct,
			s.DarkDistinct, s.PerMinute, report.TermSafe(s.Pattern), s.Exploits)
	}
	tw.Flush()
	if n == 0 {
		fmt.Fprintln(w, "no source reached a finding")
	}
	if doc.Interrupted != "" {
		fmt.Fprintf(w, "note: %s\n", doc.Interrupted)
	}
}
