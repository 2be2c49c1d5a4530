package main

import (
	"net/netip"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/scan445/scan445/sensor"
	"github.com/scan445/scan445/sensor/capture"
)

// defaultOpenCapture opens the AF_PACKET capture of `watch --interface` (sensor/capture) for
// the --dark prefixes, leaving SYNs to the listener's endpoints to the listener (one attempt,
// one observation); without CAP_NET_RAW it fails with sensor.ErrNoCapability (exit 2).
func defaultOpenCapture(dark []netip.Prefix, listen []sensor.Endpoint) sensor.OpenCapture {
	served := make([]netip.AddrPort, 0, len(listen))
	for _, ep := range listen {
		served = append(served, ep.Addr)
	}
	return capture.Opener(dark, 0, served)
}

// Bounds of the capture settings. A grace past a minute only delays every dark verdict and
// holds more SYNs in memory; a buffer under 64 KiB drops a burst of a few dozen SYNs, one past
// 1 GiB only pins memory.
const (
	maxDarkGrace     = time.Minute
	minCaptureBuffer = 64 << 10
	maxCaptureBuffer = 1 << 30
)

// captureFlags are the settings of `watch --interface`'s capture.
func captureFlags() []cli.Flag {
	return []cli.Flag{
		&cli.DurationFlag{Name: "dark-grace", Value: capture.DefaultGrace, EnvVars: envs("dark-grace"),
			Usage: "capture: how long a SYN to a --dark address waits for the address to answer before it counts as dark"},
		&cli.BoolFlag{Name: "promiscuous", Value: true, EnvVars: envs("promiscuous"),
			Usage: "capture: put the interface in promiscuous mode while capturing (a mirror port needs it; --promiscuous=false: frames for this host only)"},
		&cli.IntFlag{Name: "capture-buffer", Value: capture.DefaultReadBuffer, EnvVars: envs("capture-buffer"),
			Usage: "capture: the socket's receive buffer in `BYTES` (what queues while the reader is off the CPU)"},
	}
}

// readCaptureSettings checks the capture flags; they need --interface.
func readCaptureSettings(c *cli.Context) (sensor.CaptureOptions, error) {
	if err := checkDangling(c, [][2]string{{"dark-grace", "interface"}, {"promiscuous", "interface"}, {"capture-buffer", "interface"}}); err != nil {
		return sensor.CaptureOptions{}, err
	}
	o := sensor.CaptureOptions{Grace: c.Duration("dark-grace"), NoPromiscuous: !c.Bool("promiscuous"), ReadBuffer: c.Int("capture-buffer")}
	if o.Grace <= 0 || o.Grace > maxDarkGrace {
		return o, usagef("--dark-grace %s: must be positive and at most %s", o.Grace, maxDarkGrace)
	}
	if o.ReadBuffer < minCaptureBuffer || o.ReadBuffer > maxCaptureBuffer {
		return o, usagef("--capture-buffer %d: must be between %d (64 KiB) and %d (1 GiB) bytes", o.ReadBuffer, minCaptureBuffer, maxCaptureBuffer)
	}
	return o, nil
}
