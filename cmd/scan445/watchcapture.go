package main

import (
	"net/netip"

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
