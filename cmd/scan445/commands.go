package main

import (
	"fmt"
	"net/netip"
	"text/tabwriter"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/scan445/scan445/report"
	"github.com/scan445/scan445/smbprobe/p2p"
)

// extraCommands are the commands beyond scan and version.
func extraCommands(env *environment) []*cli.Command {
	return []*cli.Command{
		confickerPortsCommand(env), reportCommand(env), mergeCommand(env), diffCommand(env),
		labCommand(env), labCheckCommand(env),
	}
}

func confickerPortsCommand(env *environment) *cli.Command {
	return &cli.Command{
		Name:      "conficker-ports",
		Usage:     "print the TCP and UDP ports a Conficker C+ peer at each address listens on this week",
		ArgsUsage: "ADDR...",
		Description: joinLines(
			"The ports depend on the host's own IPv4 address (not a NAT address) and on the week",
			"(weeks start on Thursday 00:00 UTC). The first TCP/UDP pair depends only on the",
			"address. Use them for firewall and IDS rules."),
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "time", Usage: "compute for this RFC 3339 `TIME` instead of now"},
			&cli.IntFlag{Name: "week", Usage: "compute for this Conficker week number instead of now", Value: -1},
		},
		Action: func(c *cli.Context) error {
			if c.NArg() == 0 {
				return usagef("conficker-ports: give at least one IPv4 address")
			}
			at := time.Now().UTC()
			if s := c.String("time"); s != "" {
				t, err := time.Parse(time.RFC3339, s)
				if err != nil {
					return usagef("--time %q: want RFC 3339, e.g. 2026-11-27T12:00:00Z", s)
				}
				at = t.UTC()
			}
			week := p2p.Week(at)
			if w := c.Int("week"); w >= 0 {
				week = uint32(w)
			}
			tw := tabwriter.NewWriter(env.stdout, 0, 0, 2, ' ', 0)
			fmt.Fprintln(tw, "ADDRESS\tWEEK\tTCP\tUDP")
			for _, arg := range c.Args().Slice() {
				addr, err := netip.ParseAddr(arg)
				if err != nil || !addr.Is4() {
					return usagef("conficker-ports: %q is not an IPv4 address", arg)
				}
				tcp, udp := p2p.PortsWeek(addr, week)
				fmt.Fprintf(tw, "%s\t%d\t%d,%d\t%d,%d\n", addr, week, tcp[0], tcp[1], udp[0], udp[1])
			}
			return tw.Flush()
		},
	}
}

// reportFormatFlags are the output flags shared by `report` and `merge`.
func reportFormatFlags(formats []reportFormat) []cli.Flag {
	flags := append(formatFlags(formats, false, false),
		&cli.StringFlag{Name: "baseline", Usage: "mark findings against an earlier JSON report `FILE`"},
		&cli.StringFlag{Name: "fail-on", Usage: "exit 1 at or above: infected, vulnerable, exposed, any, none", Value: "none"},
		&cli.StringFlag{Name: "fail-on-unknown", Usage: "exit 1 when an open host's `CHECKS` (ids, or default = ms08-067,conficker) ended unknown or error"},
	)
	return append(flags, formatFlags(formats, true, false)...)
}

func renderDocument(c *cli.Context, env *environment, doc *report.Document) error {
	// Not streaming: `report` and `merge` write the document itself to stdout, not a stream.
	o, err := readOutputs(c, env.formats(), false)
	if err != nil {
		return usageError{err}
	}
	failOn, err := parseFailOn(c)
	if err != nil {
		return err
	}
	base, err := loadBaseline(o.baseline)
	if err != nil {
		return usageError{err}
	}
	report.Finalize(doc)
	if base != nil {
		report.ApplyBaseline(doc, base)
	}
	if err := writeReports(env, o, doc, failOn, nil); err != nil {
		return cli.Exit(err.Error(), exitIncomplete)
	}
	gate, err := report.ParseUncheckedGate(c.String("fail-on-unknown"))
	if err != nil {
		return usageError{err}
	}
	if report.Exceeds(doc, failOn) || reportUnchecked(env.stderr, doc, gate) {
		env.exitCode = exitFindings
	}
	return nil
}

func loadReport(path string) (*report.Document, error) {
	doc, err := readReportFile(path)
	if err != nil {
		return nil, usageError{err}
	}
	return doc, nil
}

func reportCommand(env *environment) *cli.Command {
	return &cli.Command{
		Name:      "report",
		Usage:     "re-render a saved JSON report in any format",
		ArgsUsage: "REPORT.json",
		Flags:     reportFormatFlags(env.formats()),
		Action: func(c *cli.Context) error {
			if c.NArg() != 1 {
				return usagef("report: give exactly one JSON report")
			}
			if err := checkRenderFlags(c, env.formats(), "report"); err != nil {
				return err
			}
			doc, err := loadReport(c.Args().First())
			if err != nil {
				return err
			}
			return renderDocument(c, env, doc)
		},
	}
}

func mergeCommand(env *environment) *cli.Command {
	return &cli.Command{
		Name:      "merge",
		Usage:     "join the JSON reports of sharded runs into one",
		ArgsUsage: "SHARD.json...",
		Flags:     reportFormatFlags(env.formats()),
		Action: func(c *cli.Context) error {
			if c.NArg() < 1 {
				return usagef("merge: give the shard reports")
			}
			if err := checkRenderFlags(c, env.formats(), "merge"); err != nil {
				return err
			}
			var docs []*report.Document
			for _, p := range c.Args().Slice() {
				d, err := loadReport(p)
				if err != nil {
					return err
				}
				docs = append(docs, d)
			}
			merged, err := report.Merge(docs...)
			if err != nil {
				return usagef("merge: %s", plainCause(err))
			}
			return renderDocument(c, env, merged)
		},
	}
}

func diffCommand(env *environment) *cli.Command {
	return &cli.Command{
		Name:      "diff",
		Usage:     "show what changed between two JSON reports: new, fixed and changed findings",
		ArgsUsage: "OLD.json NEW.json",
		Action: func(c *cli.Context) error {
			if c.NArg() != 2 {
				return usagef("diff: give OLD.json and NEW.json")
			}
			oldDoc, err := loadReport(c.Args().Get(0))
			if err != nil {
				return err
			}
			newDoc, err := loadReport(c.Args().Get(1))
			if err != nil {
				return err
			}
			report.Finalize(oldDoc)
			report.Finalize(newDoc)
			if err := report.WriteDiff(env.stdout, report.Diff(oldDoc, newDoc)); err != nil {
				return cli.Exit(err.Error(), exitIncomplete)
			}
			return nil
		},
	}
}
