package main

import (
	"encoding/json"
	"fmt"
	"os"

	"github.com/urfave/cli/v2"

	"github.com/scan445/scan445/report"
	"github.com/scan445/scan445/smbprobe/smblab"
	"github.com/scan445/scan445/smbprobe/smblab/labcheck"
)

// labCheckCommand holds a scan report against the lab's truth tables: the demo's proof that
// every vulnerable, infected and exposed personality was found, the rest judged right, and that
// nothing crashed.
func labCheckCommand(env *environment) *cli.Command {
	return &cli.Command{
		Name:      "lab-check",
		Usage:     "compare a scan report of the lab with each personality's truth table",
		ArgsUsage: "REPORT.json",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "map", Usage: "the lab's host map (`FILE` from scan445 lab --map-json)", Required: true},
			&cli.StringFlag{Name: "crash-log", Usage: "the lab's crash log `FILE`; any CRASH line fails the check"},
		},
		Action: func(c *cli.Context) error {
			if c.NArg() != 1 {
				return usagef("lab-check: give the scan's JSON report")
			}
			doc, err := loadReport(c.Args().First())
			if err != nil {
				return err
			}
			raw, err := os.ReadFile(c.String("map"))
			if err != nil {
				return usageError{err}
			}
			var hosts []smblab.Host
			if err := json.Unmarshal(raw, &hosts); err != nil {
				return usagef("--map %s: %v", c.String("map"), err)
			}
			var crashes []string
			if p := c.String("crash-log"); p != "" {
				b, err := os.ReadFile(p)
				if err != nil && !os.IsNotExist(err) {
					return usageError{err}
				}
				crashes = labcheck.Crashes(b)
				for _, line := range crashes {
					fmt.Fprintf(env.stdout, "lab logged: %s\n", report.TermSafe(line))
				}
			}
			mismatches := labcheck.Compare(env.stdout, doc, hosts)
			fmt.Fprintf(env.stdout, "lab-check: %d hosts, %d mismatches, %d CRASH lines\n", len(hosts), mismatches, len(crashes))
			if mismatches > 0 || len(crashes) > 0 {
				env.exitCode = exitFindings
			}
			return nil
		},
	}
}
