package main

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/signal"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/scan445/scan445/egress"
	"github.com/scan445/scan445/report"
	"github.com/scan445/scan445/smbprobe"
)

// egressHelp is printed when --to is missing: there is no default endpoint, on purpose (a
// third party's host would receive SMB connections it never agreed to).
const egressHelp = `scan445 egress: --to HOST[:PORT] is required.
Give an endpoint outside your border that you control and that listens on the port (any
TCP listener: "nc -lk 445" will do). scan445 connects to it once from here, sends nothing,
and reports whether the border passed the connection (egress-445-open), reset it, dropped it
or answered unreachable. Without a port it tests 445 and 139. There is no default host.`

// Exit codes of egress: 0 blocked everywhere, 1 a port leaves the network, 2 usage, 3 a port
// could not be tested (and none was open).
func egressCommand(env *environment) *cli.Command {
	return &cli.Command{
		Name:      "egress",
		Usage:     "test from inside whether TCP/445 (and 139) leaves the network, to an endpoint you control",
		ArgsUsage: " ",
		Description: joinLines(
			"Connects once to --to (an endpoint outside the border that you control and that",
			"listens on the port) and reports egress-445-open (exposed) or blocked, with the",
			"error seen: reset (RST), no answer (dropped), unreachable (ICMP). Nothing is sent",
			"over a connection that opens. Exit 0: blocked; 1: open; 2: usage (no --to);",
			"3: a port could not be tested."),
		Flags: append([]cli.Flag{
			&cli.StringFlag{Name: "to", Usage: "endpoint `HOST[:PORT]` you control outside the border (no port: 445 and 139)"},
			&cli.DurationFlag{Name: "timeout", Value: 5 * time.Second, Usage: "how long to wait for an answer before calling the port dropped"},
		}, formatFlags(env.formats(), false, false)...),
		Action: func(c *cli.Context) error {
			if c.NArg() > 0 {
				return usagef("egress takes no arguments: give the endpoint with --to HOST[:PORT]")
			}
			if c.String("to") == "" {
				fmt.Fprintln(env.stderr, egressHelp)
				env.exitCode = exitUsage
				return nil
			}
			targets, err := egress.ParseTarget(c.String("to"))
			if err != nil {
				return usagef("--to: %v", err)
			}
			if d := c.Duration("timeout"); d <= 0 {
				return usagef("--timeout %s: want a positive duration", d)
			}
			if err := checkDangling(c, [][2]string{{"tickets-format", "tickets"}}); err != nil {
				return err
			}
			if err := checkOutputPaths(c, env.formats(), ""); err != nil {
				return err
			}
			o, err := readOutputs(c, env.formats(), false)
			if err != nil {
				return usageError{err}
			}
			ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			var d net.Dialer
			doc, code := runEgress(ctx, d.DialContext, targets, c.Duration("timeout"))
			doc.Arguments = redactArgs(os.Args[1:])
			if !o.anyToStdout() {
				printEgress(env, doc)
			}
			if err := writeReports(env, o, doc, report.FailOn("none"), nil); err != nil {
				return cli.Exit(err.Error(), exitIncomplete)
			}
			env.exitCode = code
			return nil
		},
	}
}

// runEgress tests every target and returns the report and the exit code.
func runEgress(ctx context.Context, dial egress.Dialer, targets []egress.Target, timeout time.Duration) (*report.Document, int) {
	doc := &report.Document{Started: time.Now().UTC(), Complete: true, Options: map[string]string{"timeout": timeout.String()}}
	open, untested := false, false
	for _, t := range targets {
		if ctx.Err() != nil {
			doc.Complete, doc.Interrupted = false, "interrupted"
			untested = true
			break
		}
		started := time.Now().UTC()
		h := egress.HostResult(egress.Test(ctx, dial, t, timeout), started)
		switch h.SMB.Findings[0].Verdict {
		case smbprobe.Exposed:
			open = true
		case smbprobe.Unknown:
			untested = true
		}
		doc.Hosts = append(doc.Hosts, h)
	}
	if ctx.Err() != nil && doc.Complete {
		doc.Complete, doc.Interrupted = false, "interrupted"
	}
	doc.Finished = time.Now().UTC()
	doc.Summary = report.Summarize(uint64(len(targets)), doc.Hosts)
	report.Finalize(doc)
	switch {
	case open:
		return doc, exitFindings
	case untested:
		return doc, exitIncomplete
	}
	return doc, 0
}

// printEgress writes one line per port tested.
func printEgress(env *environment, doc *report.Document) {
	tw := tabwriter.NewWriter(env.stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "CHECK\tENDPOINT\tVERDICT\tREASON")
	for _, h := range doc.Hosts {
		for _, f := range h.SMB.Findings {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", f.Check, net.JoinHostPort(h.Address, fmt.Sprint(h.Port)), f.Verdict, report.TermSafe(f.Reason))
		}
	}
	tw.Flush()
}
