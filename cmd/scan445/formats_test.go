package main

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// TestFormatRegistry adds a fake format with an option to the registry and nothing else: it
// must appear among the flags of scan, report and merge, in the "nothing to write" list, in the
// output-path conflict check, and be written by writeReports, to a file and to stdout; its
// option's value must be checked against its choices, refused without the format, offered by
// the shell completions and handed to its writer.
func TestFormatRegistry(t *testing.T) {
	fake := reportFormat{name: "fake", scanUsage: "write fake to `PATH`",
		option: &formatOption{name: "fake-style", scanUsage: "fake style", choices: []string{"plain", "loud"}},
		write: func(w io.Writer, r renderInput) error {
			mark := map[string]string{"plain": "", "loud": "!"}[r.option]
			_, err := io.WriteString(w, "FAKE"+mark+" "+r.doc.Tool+"\n")
			return err
		}}
	formats := append(reportFormats(), fake)
	dir := t.TempDir()
	saved := filepath.Join(dir, "saved.json")
	if err := os.WriteFile(saved, []byte(`{"schema":"scan445/report/v1","tool":"scan445","hosts":[]}`), 0o644); err != nil {
		t.Fatal(err)
	}
	runFake := func(args ...string) (int, string, string) {
		var out, errb bytes.Buffer
		env := &environment{stdin: strings.NewReader(""), stdout: &out, stderr: &errb, reportFormats: formats}
		code := runEnv(env, append([]string{"scan445"}, args...))
		return code, out.String(), errb.String()
	}

	app := newApp(&environment{reportFormats: formats})
	for _, name := range []string{"scan", "report", "merge"} {
		cmd := app.Command(name)
		if cmd == nil {
			t.Fatalf("no %s command", name)
		}
		var names []string
		for _, f := range cmd.Flags {
			names = append(names, f.Names()...)
		}
		if !slices.Contains(names, "fake") {
			t.Errorf("%s: no --fake flag among %v", name, names)
		}
		if !slices.Contains(outputFlagNames(cmd.Flags), "fake") {
			t.Errorf("%s: --fake is not an output flag for the path checks", name)
		}
	}
	// Without the fake format the flag does not exist: the test above can fail.
	if slices.Contains(outputFlagNames(newApp(&environment{}).Command("report").Flags), "fake") {
		t.Fatal("--fake exists without being registered")
	}

	for _, tc := range []struct {
		name     string
		args     []string
		wantCode int
		stderr   string
	}{
		{"nothing to write", []string{"report", saved}, exitUsage, "--fake FILE"},
		{"same file", []string{"report", saved, "--fake", filepath.Join(dir, "x"), "--html", filepath.Join(dir, "x")}, exitUsage, "--html and --fake both write"},
		{"two to stdout", []string{"merge", saved, "--fake", "-", "--csv", "-"}, exitUsage, "only one report can go to stdout"},
		{"option without its format", []string{"report", saved, "--html", filepath.Join(dir, "y"), "--fake-style", "loud"}, exitUsage, "--fake-style does nothing without --fake"},
		{"option without its format on scan", []string{"scan", "127.0.0.1", "--fake-style", "loud"}, exitUsage, "--fake-style does nothing without --fake"},
		{"option value not a choice", []string{"report", saved, "--fake", filepath.Join(dir, "z"), "--fake-style", "shout"}, exitUsage, `--fake-style "shout": want plain or loud`},
	} {
		code, _, stderr := runFake(tc.args...)
		if code != tc.wantCode || !strings.Contains(stderr, tc.stderr) {
			t.Errorf("%s: exit %d, stderr %q; want exit %d and %q", tc.name, code, stderr, tc.wantCode, tc.stderr)
		}
	}

	out := filepath.Join(dir, "r.fake")
	if code, _, stderr := runFake("report", saved, "--fake", out); code != exitOK {
		t.Fatalf("report --fake: exit %d: %s", code, stderr)
	}
	if b, err := os.ReadFile(out); err != nil || string(b) != "FAKE scan445\n" {
		t.Errorf("report --fake wrote %q, %v", b, err)
	}
	port := listeners(t, "127.0.0.1")
	scanOut := filepath.Join(dir, "scan.fake")
	if code, _, stderr := runFake("scan", "127.0.0.1", "--port", strconv.Itoa(port), "--checks", "none", "-q", "--fake", scanOut); code != exitOK {
		t.Fatalf("scan --fake: exit %d: %s", code, stderr)
	}
	if b, err := os.ReadFile(scanOut); err != nil || string(b) != "FAKE scan445\n" {
		t.Errorf("scan --fake wrote %q, %v", b, err)
	}
	if code, stdout, stderr := runFake("merge", saved, saved, "--fake", "-"); code != exitOK || stdout != "FAKE scan445\n" {
		t.Errorf("merge --fake -: exit %d, stdout %q, stderr %s", code, stdout, stderr)
	}
	if code, stdout, stderr := runFake("report", saved, "--fake", "-", "--fake-style", "loud"); code != exitOK || stdout != "FAKE! scan445\n" {
		t.Errorf("report --fake - --fake-style loud: exit %d, stdout %q, stderr %s", code, stdout, stderr)
	}
	if code, stdout, _ := runFake("completion", "bash"); code != exitOK || !strings.Contains(stdout, "plain loud") {
		t.Errorf("the bash completion does not offer --fake-style's choices: exit %d", code)
	}
}

// TestEveryFormatWrites renders the report package's golden JSON report in every registered format, to a file and to
// stdout: each writes something, and on stdout nothing but the report.
func TestEveryFormatWrites(t *testing.T) {
	dir := t.TempDir()
	saved := filepath.Join("..", "..", "report", "testdata", "report.json") // has findings needing action
	for _, f := range reportFormats() {
		out := filepath.Join(dir, "r."+f.name)
		if code, _, stderr := runCLI(t, "", "report", saved, "--"+f.name, out); code != exitOK {
			t.Errorf("--%s %s: exit %d: %s", f.name, out, code, stderr)
		} else if b, err := os.ReadFile(out); err != nil || len(b) == 0 {
			t.Errorf("--%s wrote nothing: %v", f.name, err)
		}
		code, stdout, stderr := runCLI(t, "", "report", saved, "--"+f.name, "-")
		if code != exitOK || stdout == "" || strings.Contains(stdout, "VERDICT") {
			t.Errorf("--%s -: exit %d, stdout %q, stderr %s", f.name, code, stdout, stderr)
		}
	}
}
