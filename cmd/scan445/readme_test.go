package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/scan445/scan445/internal/testpeer"
)

// The README is where admins copy their scheduled runs from: its examples must use flags the
// binary has, set --fail-on and report paths, and be accepted by the tools that run them.

type codeBlock struct{ lang, text string }

func readmeBlocks(t *testing.T) (string, []codeBlock) {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	var blocks []codeBlock
	for _, m := range regexp.MustCompile("(?ms)^```(\\w*)\n(.*?)^```").FindAllStringSubmatch(string(raw), -1) {
		blocks = append(blocks, codeBlock{m[1], m[2]})
	}
	return string(raw), blocks
}

func blockStarting(t *testing.T, blocks []codeBlock, first string) string {
	t.Helper()
	for _, b := range blocks {
		if strings.HasPrefix(b.text, first) {
			return b.text
		}
	}
	t.Fatalf("README has no code block starting %q", first)
	return ""
}

// checkScanArgs holds a scan command line from the README to the real flag set.
func checkScanArgs(t *testing.T, where string, args []string) {
	t.Helper()
	flags := scanCommand(&environment{}).Flags
	seen := map[string]bool{}
	for _, a := range args {
		if !strings.HasPrefix(a, "-") || a == "-" {
			continue
		}
		name := strings.TrimLeft(a, "-")
		name, _, _ = strings.Cut(name, "=")
		if findFlag(flags, name) == nil {
			t.Errorf("%s: %s is not a flag of scan445 scan", where, a)
		}
		seen[name] = true
	}
	if !seen["fail-on"] || !(seen["json"] || seen["html"] || seen["junit"]) {
		t.Errorf("%s: a scheduled run needs --fail-on and report paths: %q", where, args)
	}
}

// TestReadmeDocumentsEveryFlag: every flag of scan is in the README.
func TestReadmeDocumentsEveryFlag(t *testing.T) {
	text, _ := readmeBlocks(t)
	for _, f := range scanCommand(&environment{}).Flags {
		if !strings.Contains(text, "`--"+f.Names()[0]) {
			t.Errorf("README does not document --%s", f.Names()[0])
		}
	}
	for _, c := range []string{"scan445 completion", "scan445 man"} {
		if !strings.Contains(text, c) {
			t.Errorf("README does not mention %s", c)
		}
	}
}

// TestReadmeCommandLinesUseRealFlags: every `scan445 scan` line in a shell block of the README
// uses flags the binary has.
func TestReadmeCommandLinesUseRealFlags(t *testing.T) {
	_, blocks := readmeBlocks(t)
	flags := scanCommand(&environment{}).Flags
	re := regexp.MustCompile(`(?:^|\s)--([a-z][a-z0-9-]*)`)
	n := 0
	for _, b := range blocks {
		if b.lang != "sh" {
			continue
		}
		cmd := strings.ReplaceAll(b.text, "\\\n", " ")
		for _, line := range strings.Split(cmd, "\n") {
			i := strings.Index(line, "scan445 scan ")
			if i < 0 {
				i = strings.Index(line, " scan ")
			}
			if i < 0 || !strings.Contains(line, "scan445") {
				continue
			}
			n++
			for _, m := range re.FindAllStringSubmatch(line[i:], -1) {
				if findFlag(flags, m[1]) == nil {
					t.Errorf("README: %q uses --%s, which scan445 scan does not have", strings.TrimSpace(line), m[1])
				}
			}
		}
	}
	if n < 3 {
		t.Fatalf("found %d scan command lines in the README; the test reads it wrongly", n)
	}
}

// TestReadmeSystemdUnits: the service and timer pass `systemd-analyze verify` (with the path of
// a real binary) without a warning, and the service's command line is a valid scheduled scan.
func TestReadmeSystemdUnits(t *testing.T) {
	_, blocks := readmeBlocks(t)
	service := blockStarting(t, blocks, "# /etc/systemd/system/scan445.service\n")
	timer := blockStarting(t, blocks, "# /etc/systemd/system/scan445.timer\n")

	exec1 := regexp.MustCompile(`(?m)^ExecStart=((?:[^\n]*\\\n)*[^\n]*)`).FindStringSubmatch(service)
	if exec1 == nil {
		t.Fatal("the service has no ExecStart")
	}
	args := strings.Fields(strings.ReplaceAll(exec1[1], "\\\n", " "))
	if args[0] != "/usr/local/bin/scan445" || args[1] != "scan" {
		t.Fatalf("ExecStart runs %q", args[:2])
	}
	checkScanArgs(t, "systemd ExecStart", args[2:])
	if !strings.Contains(timer, "OnCalendar=") || !strings.Contains(timer, "WantedBy=timers.target") {
		t.Error("the timer has no OnCalendar or is not wanted by timers.target")
	}

	analyze := testpeer.LookPath(t, "systemd-analyze")
	dir := t.TempDir()
	bin := scan445Binary(t)
	os.WriteFile(filepath.Join(dir, "scan445.service"), []byte(strings.Replace(service, "/usr/local/bin/scan445", bin, 1)), 0o644)
	os.WriteFile(filepath.Join(dir, "scan445.timer"), []byte(timer), 0o644)
	cmd := exec.Command(analyze, "verify", filepath.Join(dir, "scan445.service"), filepath.Join(dir, "scan445.timer"))
	out, err := cmd.CombinedOutput()
	if err != nil || len(strings.TrimSpace(string(out))) > 0 {
		t.Fatalf("systemd-analyze verify: %v\n%s", err, out)
	}
}

// TestReadmeCronJob: the CronJob parses, runs the image as non-root with no capability and no
// privilege escalation, gates with --fail-on, writes reports to a volume, and does not retry a
// run that found something.
func TestReadmeCronJob(t *testing.T) {
	_, blocks := readmeBlocks(t)
	var cron map[string]any
	for _, b := range blocks {
		if b.lang == "yaml" && strings.Contains(b.text, "kind: CronJob") {
			if err := yaml.Unmarshal([]byte(b.text), &cron); err != nil {
				t.Fatalf("CronJob YAML: %v", err)
			}
		}
	}
	if cron == nil {
		t.Fatal("README has no CronJob")
	}
	get := func(v any, path ...string) any {
		for _, p := range path {
			m, ok := v.(map[string]any)
			if !ok {
				t.Fatalf("CronJob: %s is not a mapping", p)
			}
			v = m[p]
		}
		return v
	}
	if get(cron, "apiVersion") != "batch/v1" || get(cron, "spec", "schedule") == nil {
		t.Fatalf("not a batch/v1 CronJob with a schedule")
	}
	job := get(cron, "spec", "jobTemplate", "spec")
	pod := get(job, "template", "spec")
	if get(pod, "restartPolicy") != "Never" || get(pod, "securityContext", "runAsNonRoot") != true {
		t.Error("the pod must not restart in place and must run as non-root")
	}
	rules, _ := get(job, "podFailurePolicy", "rules").([]any)
	failsOn1 := false
	for _, r := range rules {
		vals, _ := get(r, "onExitCodes", "values").([]any)
		for _, v := range vals {
			failsOn1 = failsOn1 || (v == 1 && get(r, "action") == "FailJob")
		}
	}
	if !failsOn1 {
		t.Error("exit 1 (findings) would be retried: add a podFailurePolicy FailJob rule for it")
	}
	containers, _ := get(pod, "containers").([]any)
	if len(containers) != 1 {
		t.Fatalf("%d containers", len(containers))
	}
	c := containers[0]
	sc := get(c, "securityContext")
	drop, _ := get(sc, "capabilities", "drop").([]any)
	if get(sc, "allowPrivilegeEscalation") != false || len(drop) != 1 || drop[0] != "ALL" || get(sc, "capabilities", "add") != nil {
		t.Errorf("container securityContext %v: want allowPrivilegeEscalation false, capabilities drop ALL, none added", sc)
	}
	var args []string
	raw, _ := get(c, "args").([]any)
	for _, a := range raw {
		args = append(args, a.(string))
	}
	if len(args) == 0 || args[0] != "scan" {
		t.Fatalf("args %q", args)
	}
	checkScanArgs(t, "CronJob args", args[1:])
	mounted := false
	for _, m := range get(c, "volumeMounts").([]any) {
		mounted = mounted || get(m, "mountPath") == "/out"
	}
	if !mounted || !strings.Contains(strings.Join(args, " "), " /out/") {
		t.Error("the reports must go to a mounted volume (/out)")
	}
}
