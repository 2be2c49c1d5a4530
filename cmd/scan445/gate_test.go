package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestIntrusiveOnlyFromTheCommandLine: the crash-prone probe cannot be switched on by an
// inherited environment variable or a shared config file; both are refused before any packet.
func TestIntrusiveOnlyFromTheCommandLine(t *testing.T) {
	cfg := filepath.Join(t.TempDir(), "scan.yaml")
	if err := os.WriteFile(cfg, []byte("rate: 10\nintrusive: true\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Run("config key", func(t *testing.T) {
		code, _, stderr := runCLI(t, "", "scan", "--config", cfg, "127.0.0.1")
		if code != exitUsage || !strings.Contains(stderr, "intrusive") || !strings.Contains(stderr, "command line") {
			t.Errorf("exit %d: %s", code, stderr)
		}
	})
	t.Run("environment", func(t *testing.T) {
		t.Setenv(intrusiveEnv, "1")
		code, _, stderr := runCLI(t, "", "scan", "127.0.0.1")
		if code != exitUsage || !strings.Contains(stderr, intrusiveEnv) {
			t.Errorf("exit %d: %s", code, stderr)
		}
	})
}

// TestFailOnUnknownGatesHostsWeCouldNotJudge: a host whose MS08-067 or Conficker check could
// not decide fails the run with --fail-on-unknown, and passes without it.
func TestFailOnUnknownGatesHostsWeCouldNotJudge(t *testing.T) {
	_, restricted, port := startLab(t, "xp-restrict-anonymous") // conficker: unknown (IPC$ refused)
	_, judged, port2 := startLab(t, "xp-sp3-patched")           // every check decided
	for _, tc := range []struct {
		targets string
		port    int
		gate    string
		want    int
		stderr  string
	}{
		{restricted, port, "", exitOK, ""},
		{restricted, port, "default", exitFindings, "conficker unknown"},
		{restricted, port, "ms08-067", exitOK, ""}, // ms08-067 is exposed there, i.e. judged
		{judged, port2, "default", exitOK, ""},
	} {
		t.Run(fmt.Sprintf("%s %q", tc.targets, tc.gate), func(t *testing.T) {
			args := []string{"scan", tc.targets, "--port", fmt.Sprint(tc.port), "--checks", "ms08-067,conficker"}
			if tc.gate != "" {
				args = append(args, "--fail-on-unknown", tc.gate)
			}
			code, _, stderr := runCLI(t, "", args...)
			if code != tc.want || !strings.Contains(stderr, tc.stderr) {
				t.Errorf("exit %d, want %d; stderr %s", code, tc.want, stderr)
			}
		})
	}
	code, _, stderr := runCLI(t, "", "scan", "--fail-on-unknown", "ms08-068", "127.0.0.1")
	if code != exitUsage || !strings.Contains(stderr, "ms08-068") {
		t.Errorf("bad gate: exit %d: %s", code, stderr)
	}
}

// TestIntrusiveNeverWeakensTheGate: on a host where the intrusive probe cannot run, --intrusive
// must not turn the safe exposed into something --fail-on exposed lets through.
func TestIntrusiveNeverWeakensTheGate(t *testing.T) {
	lab, targets, port := startLab(t, "xp-restrict-anonymous")
	for _, extra := range [][]string{nil, {"--intrusive"}} {
		args := append([]string{"scan", targets, "--port", fmt.Sprint(port), "--fail-on", "exposed"}, extra...)
		if code, _, stderr := runCLI(t, "", args...); code != exitFindings {
			t.Errorf("%v: exit %d, want %d (%s)", extra, code, exitFindings, stderr)
		}
	}
	if len(lab.Crashes()) != 0 {
		t.Errorf("crashes: %v", lab.Crashes())
	}
}
