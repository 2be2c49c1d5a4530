package main

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/scan445/scan445/sensor"
	"github.com/scan445/scan445/sensor/capture"
)

// TestWatchCaptureSettings: --dark-grace, --promiscuous and --capture-buffer (from the
// command line, the environment or --config) reach the capture the watch opens; without them
// it gets the capture's defaults (2 s, promiscuous, 8 MiB).
func TestWatchCaptureSettings(t *testing.T) {
	if ok, _ := hasCapNetRaw(); !ok {
		t.Skip("capture mode needs CAP_NET_RAW (TestWatchCaptureSettingsRefused runs without it)")
	}
	dir := t.TempDir()
	cfg := filepath.Join(dir, "capture.yaml")
	if err := os.WriteFile(cfg, []byte("dark-grace: 750ms\npromiscuous: false\ncapture-buffer: 131072\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		args []string
		env  [2]string
		want sensor.CaptureOptions
	}{
		{"defaults", nil, [2]string{}, sensor.CaptureOptions{Grace: capture.DefaultGrace, ReadBuffer: capture.DefaultReadBuffer}},
		{"flags", []string{"--dark-grace", "500ms", "--promiscuous=false", "--capture-buffer", "1048576"}, [2]string{},
			sensor.CaptureOptions{Grace: 500 * time.Millisecond, NoPromiscuous: true, ReadBuffer: 1 << 20}},
		{"environment", nil, [2]string{"SCAN445_DARK_GRACE", "5s"}, sensor.CaptureOptions{Grace: 5 * time.Second, ReadBuffer: capture.DefaultReadBuffer}},
		{"config", []string{"--config", cfg}, [2]string{}, sensor.CaptureOptions{Grace: 750 * time.Millisecond, NoPromiscuous: true, ReadBuffer: 128 << 10}},
		{"flag over config", []string{"--config", cfg, "--promiscuous"}, [2]string{}, sensor.CaptureOptions{Grace: 750 * time.Millisecond, ReadBuffer: 128 << 10}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.env[0] != "" {
				t.Setenv(tc.env[0], tc.env[1])
			}
			var got []sensor.CaptureOptions
			errb := &bytes.Buffer{}
			env := &environment{stdin: strings.NewReader(""), stdout: io.Discard, stderr: errb,
				openCapture: func(o sensor.CaptureOptions) (sensor.Capture, error) {
					got = append(got, o)
					return fakeCapture{}, nil
				}}
			args := append([]string{"scan445", "watch", "--listen", "none", "--interface", "fake0", "--duration", "200ms"}, tc.args...)
			if code := runEnv(env, args); code != exitOK {
				t.Fatalf("exit %d: %s", code, errb)
			}
			if len(got) != 1 {
				t.Fatalf("capture opened %d times", len(got))
			}
			g := got[0]
			if g.Interface != "fake0" || g.Grace != tc.want.Grace || g.NoPromiscuous != tc.want.NoPromiscuous || g.ReadBuffer != tc.want.ReadBuffer {
				t.Errorf("capture opened with %+v, want %+v", g, tc.want)
			}
		})
	}
}

// TestWatchCaptureSettingsRefused: out-of-range capture settings, and capture settings
// without --interface (they would do nothing), exit 2 with one plain line before anything
// listens or captures.
func TestWatchCaptureSettingsRefused(t *testing.T) {
	base := []string{"watch", "--listen", "127.3.9.40:4447", "--duration", "1s"}
	withIf := append(append([]string{}, base...), "--interface", "lo")
	for _, tc := range []struct {
		args []string
		want string
	}{
		{append(append([]string{}, withIf...), "--dark-grace", "0s"), "--dark-grace 0s: must be positive and at most 1m0s"},
		{append(append([]string{}, withIf...), "--dark-grace", "2m"), "--dark-grace 2m0s: must be positive"},
		{append(append([]string{}, withIf...), "--capture-buffer", "1000"), "--capture-buffer 1000: must be between 65536 (64 KiB)"},
		{append(append([]string{}, withIf...), "--capture-buffer", "2147483647"), "--capture-buffer 2147483647: must be between"},
		{append(append([]string{}, withIf...), "--capture-buffer", "8MiB"), "not a whole number"},
		{append(append([]string{}, base...), "--dark-grace", "1s"), "--dark-grace does nothing without --interface"},
		{append(append([]string{}, base...), "--promiscuous=false"), "--promiscuous does nothing without --interface"},
		{append(append([]string{}, base...), "--capture-buffer", "1048576"), "--capture-buffer does nothing without --interface"},
	} {
		code, _, stderr := runCLI(t, "", tc.args...)
		if code != exitUsage || !strings.Contains(stderr, tc.want) || strings.Count(strings.TrimSpace(stderr), "\n") > 0 {
			t.Errorf("%v: exit %d, stderr %q; want 2 and %q", tc.args[len(base):], code, stderr, tc.want)
		}
	}
}
