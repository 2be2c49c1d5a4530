package main

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestWatchConfigRefused: watch reads --config as scan does, and refuses a bad file with exit
// 2 and one plain line before it listens: an unknown key (with the nearest flag), a value of
// the wrong type, a key only the command line takes, a missing or malformed file, and a value
// the watch's own checks refuse (the file's values go through them like flags do).
func TestWatchConfigRefused(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		name, yaml string
		want       []string
	}{
		{"unknown key", "listenn: 127.3.9.30:4447\n", []string{`unknown key "listenn"`, "did you mean listen?"}},
		{"unknown key far from any", "zzzzzzzzzz: 1\n", []string{`unknown key "zzzzzzzzzz"`, "'scan445 watch --help'"}},
		{"duration without unit", "duration: 3\n", []string{"duration: 3", "write 3s"}},
		{"number as text", "max-conns: many\n", []string{"max-conns: many is not a whole number"}},
		{"int64 as text", "max-bytes: lots\n", []string{"max-bytes: lots is not a whole number"}},
		{"verbose", "verbose: true\n", []string{"verbose cannot be set in the file"}},
		{"quiet", "quiet: true\n", []string{"quiet cannot be set in the file"}},
		{"config in config", "config: other.yaml\n", []string{"config cannot be set in the file"}},
		{"not yaml", "listen: [\n", []string{"not valid YAML"}},
		{"value the watch refuses", "max-conns: 0\n", []string{"--max-conns 0: must be at least 1"}},
		{"threshold the watch refuses", "suspect-distinct: 50\n", []string{"between 1 and the infected threshold"}},
		{"missing file", "", []string{"none.yaml: no such file"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(dir, "none.yaml")
			if tc.yaml != "" {
				path = filepath.Join(dir, strings.ReplaceAll(tc.name, " ", "-")+".yaml")
				if err := os.WriteFile(path, []byte(tc.yaml), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			code, _, stderr := runCLI(t, "", "watch", "--listen", "127.3.9.30:4447", "--duration", "1s", "--config", path)
			if code != exitUsage || strings.Count(strings.TrimSpace(stderr), "\n") > 0 {
				t.Fatalf("exit %d, stderr %q; want 2 and one line", code, stderr)
			}
			for _, w := range tc.want {
				if !strings.Contains(stderr, w) {
					t.Errorf("stderr %q lacks %q", stderr, w)
				}
			}
		})
	}
}

// TestWatchConfigApplied: the values of a watch --config file reach the run — listen address,
// dark prefixes, thresholds and the report path (limits and names are accepted too) — with the precedence flag >
// environment > file > default: the file's 1h duration is overridden by --duration, its
// infected-distinct by SCAN445_INFECTED_DISTINCT, and a threshold it does not name keeps its
// default.
func TestWatchConfigApplied(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "watch.json")
	cfg := filepath.Join(dir, "watch.yaml")
	yaml := strings.Join([]string{
		"listen: 127.3.9.31:4447",
		"dark: [127.3.9.0/28, 127.3.9.64/28]",
		"duration: 1h",
		"window: 5m",
		"infected-distinct: 30",
		"max-bytes: 4096",
		"computer: SENSOR9",
		"json: " + out,
		"progress-interval: 0s",
	}, "\n") + "\n"
	if err := os.WriteFile(cfg, []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Setenv("SCAN445_INFECTED_DISTINCT", "25")
	start := time.Now()
	code, _, stderr := runCLI(t, "", "watch", "--config", cfg, "--duration", "300ms")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if el := time.Since(start); el > 20*time.Second {
		t.Errorf("the watch ran %v: the file's duration beat the flag's", el)
	}
	doc := loadDoc(t, out)
	s := doc.Sensor
	if s == nil {
		t.Fatal("no sensor object in the report")
	}
	if !slices.Equal(s.Listen, []string{"127.3.9.31:4447"}) || !slices.Equal(s.Dark, []string{"127.3.9.0/28", "127.3.9.64/28"}) {
		t.Errorf("listen %v dark %v", s.Listen, s.Dark)
	}
	want := map[string]string{"window": "5m0s", "infected_distinct": "25", "suspect_distinct": "8"}
	for k, v := range want {
		if s.Thresholds[k] != v {
			t.Errorf("threshold %s = %q, want %q (all: %v)", k, s.Thresholds[k], v, s.Thresholds)
		}
	}
}
