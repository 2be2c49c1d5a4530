package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/scan445/scan445/internal/testpeer"
)

// writeCompletion saves `scan445 completion SHELL` to a file and returns its path.
func writeCompletion(t *testing.T, shell string) string {
	t.Helper()
	code, stdout, stderr := runCLI(t, "", "completion", shell)
	if code != exitOK || stdout == "" {
		t.Fatalf("completion %s: exit %d, %s", shell, code, stderr)
	}
	p := filepath.Join(t.TempDir(), "scan445."+shell)
	if err := os.WriteFile(p, []byte(stdout), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// shellOut runs a script in a shell and returns its output, one completion per line, sorted.
func shellOut(t *testing.T, shell string, args ...string) []string {
	t.Helper()
	out, err := exec.Command(shell, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s %v: %v\n%s", shell, args, err, out)
	}
	var lines []string
	for _, l := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		word, _, _ := strings.Cut(l, "\t") // fish adds a tab and the description
		lines = append(lines, strings.TrimSpace(word))
	}
	sort.Strings(lines)
	return lines
}

// What a user types, and what TAB must offer; the same cases for bash and fish.
var completionCases = []struct {
	words []string // the command line, the last word being completed
	want  []string // every one of these is offered
	not   []string // none of these is
}{
	{[]string{"scan445", "sc"}, []string{"scan"}, []string{"report"}},
	{[]string{"scan445", "scan", "--fail-on", "ex"}, []string{"exposed"}, []string{"infected"}},
	{[]string{"scan445", "scan", "--tickets-format", ""}, []string{"jira-csv", "jsonl"}, nil},
	{[]string{"scan445", "scan", "--checks", "conf"}, []string{"conficker", "conficker-p2p"}, []string{"ms17-010"}},
	{[]string{"scan445", "scan", "10.0.0.0/24", "--webhook-h"}, []string{"--webhook-header-env", "--webhook-header-file"}, []string{"--webhook"}},
	{[]string{"scan445", "report", "--ht"}, []string{"--html"}, []string{"--rate"}},
	{[]string{"scan445", "completion", ""}, []string{"bash", "fish", "zsh"}, nil},
}

func checkOffered(t *testing.T, words []string, got, want, not []string) {
	t.Helper()
	set := map[string]bool{}
	for _, g := range got {
		set[g] = true
	}
	for _, w := range want {
		if !set[w] {
			t.Errorf("%q: %s not offered (got %v)", strings.Join(words, " "), w, got)
		}
	}
	for _, n := range not {
		if set[n] {
			t.Errorf("%q: %s offered (got %v)", strings.Join(words, " "), n, got)
		}
	}
}

func TestBashCompletion(t *testing.T) {
	bash := testpeer.LookPath(t, "bash")
	script := writeCompletion(t, "bash")
	for _, tc := range completionCases {
		words := make([]string, len(tc.words))
		for i, w := range tc.words {
			words[i] = "'" + w + "'"
		}
		prog := "source " + script + "\nCOMP_WORDS=(" + strings.Join(words, " ") + ")\nCOMP_CWORD=" +
			strconv.Itoa(len(tc.words)-1) + "\n_scan445\nprintf '%s\\n' \"${COMPREPLY[@]}\"\ncomplete -p scan445 >/dev/null\n"
		checkOffered(t, tc.words, shellOut(t, bash, "-c", prog), tc.want, tc.not)
	}
}

func TestFishCompletion(t *testing.T) {
	fish := testpeer.LookPath(t, "fish")
	script := writeCompletion(t, "fish")
	for _, tc := range completionCases {
		line := strings.Join(tc.words, " ")
		got := shellOut(t, fish, "--no-config", "-c", "source "+script+"; complete -C '"+line+"'")
		checkOffered(t, tc.words, got, tc.want, tc.not)
	}
}

// zsh completion only runs inside an interactive line editor, so the script is held to zsh's
// parser and must register itself for scan445 under compinit, with every scan flag in it.
func TestZshCompletion(t *testing.T) {
	zsh := testpeer.LookPath(t, "zsh")
	script := writeCompletion(t, "zsh")
	shellOut(t, zsh, "-n", script)
	got := shellOut(t, zsh, "-f", "-c", "autoload -Uz compinit; compinit -u -D; source "+script+"; print -r -- ${_comps[scan445]}")
	if len(got) != 1 || got[0] != "_scan445" {
		t.Fatalf("zsh: scan445 completes with %v, want _scan445", got)
	}
	raw, _ := os.ReadFile(script)
	for _, f := range scanCommand(&environment{}).Flags {
		for _, n := range f.Names() {
			if !strings.Contains(string(raw), "'"+dashed(n)+"[") && !strings.Contains(string(raw), "'*"+dashed(n)+"[") {
				t.Errorf("zsh completion lacks %s", dashed(n))
			}
		}
	}
}

// TestManPage: `scan445 man` is roff that groff reads without a warning, and it documents every
// command, every scan flag and the exit codes.
func TestManPage(t *testing.T) {
	code, page, stderr := runCLI(t, "", "man")
	if code != exitOK || !strings.HasPrefix(strings.TrimSpace(page), ".nh\n.TH scan445 1") {
		t.Fatalf("exit %d, page starts %.60q, stderr %s", code, page, stderr)
	}
	app := newApp(&environment{})
	for _, c := range app.Commands {
		if !strings.Contains(page, "\n.SH "+c.Name+"\n") && !strings.Contains(page, "\n.SH "+c.Name+", ") {
			t.Errorf("the man page has no section for %s", c.Name)
		}
	}
	for _, f := range scanCommand(&environment{}).Flags {
		if !strings.Contains(page, "--"+f.Names()[0]) {
			t.Errorf("the man page does not document --%s", f.Names()[0])
		}
	}
	for _, want := range []string{".SH DESCRIPTION", ".SH EXIT CODES", ".SH ENVIRONMENT", "SCAN445_", "TARGET is an IP"} {
		if !strings.Contains(page, want) {
			t.Errorf("the man page lacks %q", want)
		}
	}
	groff := testpeer.LookPath(t, "groff")
	cmd := exec.Command(groff, "-man", "-Tutf8", "-ww", "-z")
	cmd.Stdin = strings.NewReader(page)
	if out, err := cmd.CombinedOutput(); err != nil || len(out) > 0 {
		t.Fatalf("groff: %v\n%s", err, out)
	}
}
