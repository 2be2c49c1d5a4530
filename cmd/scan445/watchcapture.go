package main

import (
	"fmt"

	"github.com/scan445/scan445/sensor"
)

// defaultOpenCapture opens the AF_PACKET capture of `watch --interface` (sensor/capture).
// This build has no capture yet: the CAPTURE branch replaces this function with
// capture.Open. It still says what a capture needs, so a run without CAP_NET_RAW exits 2.
func defaultOpenCapture(opts sensor.CaptureOptions) (sensor.Capture, error) {
	return nil, fmt.Errorf("packet capture is not built into this binary (interface %s); use --listen", opts.Interface)
}
