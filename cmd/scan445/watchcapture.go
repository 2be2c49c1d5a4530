package main

import (
	"net/netip"

	"github.com/scan445/scan445/sensor"
	"github.com/scan445/scan445/sensor/capture"
)

// defaultOpenCapture opens the AF_PACKET capture of `watch --interface` (sensor/capture) for
// the --dark prefixes; without CAP_NET_RAW it fails with sensor.ErrNoCapability (exit 2).
func defaultOpenCapture(dark []netip.Prefix) sensor.OpenCapture {
	return capture.Opener(dark, 0)
}
