package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestLabSimulationFlags: the simulation flags are checked before anything starts, and a
// target outside loopback from this (initial) namespace is refused with exit 2.
func TestLabSimulationFlags(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"outside loopback", []string{"--scanners", "1", "--scan-range", "10.0.0.0/24"}, "refusing to send the MS08-067 exploit path: range 10.0.0.0/24"},
		{"outside server", []string{"--clients", "1", "--servers", "192.168.1.1:445"}, "server 192.168.1.1:445 is outside 127.0.0.0/8"},
		{"outside first address", []string{"--scanners", "1", "--scan-first", "10.1.1.1"}, "range 10.1.1.1/32"},
		{"range flag without hosts", []string{"--scan-range", "127.0.0.0/24"}, "--scan-range needs --scanners or --clients"},
		{"bad rate", []string{"--scanners", "1", "--scan-rate", "0"}, "--scan-rate 0"},
		{"bad range", []string{"--scanners", "1", "--scan-range", "x"}, `--scan-range "x"`},
		{"too many hosts", []string{"--scanners", "5000"}, "want 0..4096"},
		{"sources run out", []string{"--scanners", "3", "--sources", "255.255.255.254"}, "do not fit"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, stdout, stderr := runCLI(t, "", append([]string{"lab", "--listen", "127.3.4.1"}, tc.args...)...)
			if code != exitUsage || !strings.Contains(stderr, tc.want) {
				t.Errorf("exit %d, stderr %q; want %d and %q", code, stderr, exitUsage, tc.want)
			}
			if strings.Contains(stdout, "hosts up") {
				t.Errorf("the lab started: %s", stdout)
			}
		})
	}
}

// TestLabSimulation runs the lab with two scanners and a client on loopback for a bounded
// time: the scanners' exploit path crashes the unpatched lab hosts (CRASH lines), the client's
// benign session succeeds, and the lab exits 0 on its own.
func TestLabSimulation(t *testing.T) {
	crashLog := filepath.Join(t.TempDir(), "crash.log")
	code, stdout, stderr := runCLI(t, "", "lab", "--listen", "127.3.4.1", "--port", "4446", "--scanners", "2", "--clients", "1",
		"--scan-range", "127.3.4.0/27", "--scan-port", "4446", "--scan-first", "127.3.4.1,127.3.4.2", "--scan-rate", "20",
		"--servers", "127.3.4.3:4446", "--sources", "127.3.4.210", "--duration", "2s", "--crash-log", crashLog)
	if code != 0 {
		t.Fatalf("exit %d\n%s\n%s", code, stdout, stderr)
	}
	for _, w := range []string{"sim: 2 scanners sweeping 127.3.4.0/27", "sim: client 127.3.4.212 -> 127.3.4.3:4446: WERROR 0x00000000", "exploit paths sent"} {
		if !strings.Contains(stdout, w) {
			t.Errorf("stdout lacks %q:\n%s", w, stdout)
		}
	}
	crashes, err := os.ReadFile(crashLog)
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range []string{"CRASH 127.3.4.1 NetprPathCanonicalize", "CRASH 127.3.4.2 NetprPathCanonicalize"} {
		if !strings.Contains(string(crashes), w) {
			t.Errorf("crash log lacks %q:\n%s", w, crashes)
		}
	}
}
