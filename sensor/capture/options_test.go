package capture

import (
	"net/netip"
	"slices"
	"testing"
	"time"

	"github.com/scan445/scan445/sensor"
)

// TestSourceOptions: what `watch` asks of a capture (sensor.CaptureOptions: --dark-grace,
// --promiscuous, --capture-buffer) is what the capture socket is opened with; the zero
// CaptureOptions keep the defaults (promiscuous, the Opener's grace, the 8 MiB buffer).
func TestSourceOptions(t *testing.T) {
	dark := []netip.Prefix{netip.MustParsePrefix("10.0.9.0/24")}
	for _, tc := range []struct {
		name   string
		in     sensor.CaptureOptions
		grace  time.Duration // the Opener's
		want   Options
		buffer int // what setReadBuffer is asked for
	}{
		{"defaults", sensor.CaptureOptions{Interface: "eth1", Ports: []uint16{445, 139}}, 0,
			Options{Interface: "eth1", Ports: []uint16{445, 139}, Dark: dark, Promiscuous: true}, DefaultReadBuffer},
		{"opener grace", sensor.CaptureOptions{Interface: "eth1"}, 3 * time.Second,
			Options{Interface: "eth1", Dark: dark, Grace: 3 * time.Second, Promiscuous: true}, DefaultReadBuffer},
		{"flags", sensor.CaptureOptions{Interface: "eth1", Grace: 500 * time.Millisecond, NoPromiscuous: true, ReadBuffer: 1 << 20}, 3 * time.Second,
			Options{Interface: "eth1", Dark: dark, Grace: 500 * time.Millisecond, ReadBuffer: 1 << 20}, 1 << 20},
	} {
		got := sourceOptions(tc.in, dark, tc.grace)
		if got.Interface != tc.want.Interface || !slices.Equal(got.Ports, tc.want.Ports) || !slices.Equal(got.Dark, tc.want.Dark) ||
			got.Grace != tc.want.Grace || got.Promiscuous != tc.want.Promiscuous || got.ReadBuffer != tc.want.ReadBuffer {
			t.Errorf("%s: %+v\nwant %+v", tc.name, got, tc.want)
		}
		if n := readBufferSize(got.ReadBuffer); n != tc.buffer {
			t.Errorf("%s: receive buffer %d, want %d", tc.name, n, tc.buffer)
		}
	}
}
