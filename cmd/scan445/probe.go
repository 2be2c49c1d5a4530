package main

import (
	"log/slog"

	"github.com/urfave/cli/v2"

	"github.com/scan445/scan445/scanner"
)

// probeSettings selects the SMB checks. Filled in by the smbprobe integration.
type probeSettings struct {
	connectOnly bool
}

func probeFlags() []cli.Flag { return nil }

func readProbeSettings(c *cli.Context) (probeSettings, error) {
	return probeSettings{connectOnly: true}, nil
}

func newProber(p probeSettings, e scanner.Config, log *slog.Logger) (scanner.Prober, []string, error) {
	return nil, nil, nil
}

func (p probeSettings) describe(o map[string]string) {}
