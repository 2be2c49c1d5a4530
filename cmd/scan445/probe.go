package main

import (
	"fmt"
	"log/slog"
	"strconv"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/scan445/scan445/scanner"
	"github.com/scan445/scan445/smbprobe"
)

// probeSettings selects the SMB checks.
type probeSettings struct {
	connectOnly bool     // --checks none: connect results only
	checks      []string // resolved check ids, report order
	intrusive   bool
}

// probeFlags adds nothing: --checks and --intrusive are declared with the other scan flags
// (scanFlags), and read here.
func probeFlags() []cli.Flag { return nil }

func readProbeSettings(c *cli.Context) (probeSettings, error) {
	spec := strings.Join(c.StringSlice("checks"), ",")
	p := probeSettings{intrusive: c.Bool("intrusive")}
	if strings.EqualFold(strings.TrimSpace(spec), "none") {
		if p.intrusive {
			return p, fmt.Errorf("--intrusive needs the ms08-067 check, but --checks is none")
		}
		p.connectOnly = true
		return p, nil
	}
	checks, err := smbprobe.ParseChecks(spec)
	if err != nil {
		return p, fmt.Errorf("--checks: %w", err)
	}
	p.checks = checks
	if p.intrusive && !contains(checks, smbprobe.CheckMS08067) {
		return p, fmt.Errorf("--intrusive runs the MS08-067 probe, but --checks does not include %s", smbprobe.CheckMS08067)
	}
	return p, nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func newProber(p probeSettings, e scanner.Config, log *slog.Logger) (scanner.Prober, []string, error) {
	if p.connectOnly {
		return nil, nil, nil
	}
	opts := smbprobe.Options{Checks: p.checks, Intrusive: p.intrusive, ReadTimeout: e.Timeout}
	pr, err := smbprobe.New(opts)
	if err != nil {
		return nil, nil, err
	}
	var warnings []string
	if p.intrusive {
		warnings = append(warnings,
			"--intrusive: the MS08-067 NetprPathCompare probe WILL CRASH many unpatched Windows 2000/XP/2003 hosts "+
				"(nmap measured 52 crashes in 82 vulnerable hosts). Run it only on hosts you own, in a maintenance window.")
		if log != nil {
			log.Warn("intrusive checks enabled", "check", smbprobe.CheckMS08067)
		}
	}
	return pr, warnings, nil
}

func (p probeSettings) describe(o map[string]string) {
	if p.connectOnly {
		o["checks"] = "none"
	} else {
		o["checks"] = strings.Join(p.checks, ",")
	}
	o["intrusive"] = strconv.FormatBool(p.intrusive)
}
