package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/scan445/scan445/report"
)

// This file turns every way a run can be wrong into a plain-worded usage error (exit 2) before
// the first packet: flag syntax the flag package words for Go programmers, flags that contradict
// or dangle, and report paths that would only fail after a long scan.

// Messages of the flag package and of urfave/cli, matched to reword them. They are stable for
// the pinned urfave/cli v2.27.7; TestBadRunsRefusedBeforeTheFirstPacket notices when they change.
var (
	reNotDefined = regexp.MustCompile(`^flag provided but not defined: -+(.+)$`)
	reBadValue   = regexp.MustCompile(`^invalid (?:boolean )?value "(.*)" for (?:flag )?-+([^:]+): `)
	reNeedsArg   = regexp.MustCompile(`^flag needs an argument: -+(.+)$`)
	reBadEnv     = regexp.MustCompile(`^could not parse "(.*)" (?:as \w+(?: slice)? value )?from environment variable "([^"]+)" (?:as value )?for flag ([^:]+): `)
)

// plainWords rewrites an error of urfave/cli or of the flag package for people: flags with two
// dashes, the value and what would be accepted, no Go package or function names. Errors of our
// own pass through unchanged.
func plainWords(err error, app *cli.App, args []string) string {
	msg := err.Error()
	var cmd *cli.Command
	if len(args) > 1 {
		for _, c := range app.Commands {
			if c.HasName(args[1]) {
				cmd = c
			}
		}
	}
	flags := app.Flags
	where := "scan445 --help"
	if cmd != nil {
		flags = cmd.Flags
		where = "scan445 " + cmd.Name + " --help"
	}
	if m := reNotDefined.FindStringSubmatch(msg); m != nil {
		return unknownFlag(m[1], flags, cmd, app, where)
	}
	if m := reBadValue.FindStringSubmatch(msg); m != nil {
		return badValue(fmt.Sprintf("%s %q", dashed(m[2]), m[1]), dashed(m[2]), m[1], findFlag(flags, m[2]))
	}
	if m := reNeedsArg.FindStringSubmatch(msg); m != nil {
		return fmt.Sprintf("%s needs a value (see '%s')", dashed(m[1]), where)
	}
	if m := reBadEnv.FindStringSubmatch(msg); m != nil {
		return badValue(fmt.Sprintf("%s=%q", m[2], m[1]), dashed(m[3]), m[1], findFlag(flags, m[3])) + " (for " + dashed(m[3]) + ")"
	}
	return msg
}

// unknownFlag words an undefined flag, with the nearest real one when there is one.
func unknownFlag(name string, flags []cli.Flag, cmd *cli.Command, app *cli.App, where string) string {
	if cmd == nil {
		// `scan445 -v scan …` used to print the version and exit 0: a CI job went green
		// without scanning. Flags belong after the command.
		if name == "v" || name == "verbose" || name == "q" || name == "quiet" {
			return fmt.Sprintf("%s is not a flag of scan445 itself: put it after the command (scan445 scan %s TARGET...); "+
				"the version is 'scan445 version' or 'scan445 --version'", dashed(name), dashed(name))
		}
		for _, c := range app.Commands {
			if findFlag(c.Flags, name) != nil {
				return fmt.Sprintf("%s is a flag of '%s': put it after the command (scan445 %s %s ...)", dashed(name), c.Name, c.Name, dashed(name))
			}
		}
	}
	var names []string
	for _, f := range flags {
		names = append(names, f.Names()...)
	}
	if near := closest(name, names); near != "" {
		return fmt.Sprintf("unknown flag %s: did you mean %s?", dashed(name), dashed(near))
	}
	return fmt.Sprintf("unknown flag %s (see '%s')", dashed(name), where)
}

// badValue words a value flag f cannot take. subject says where it came from, with the value
// (`--port "abc"`, `SCAN445_RATE="fast"`).
func badValue(subject, flagName, value string, f cli.Flag) string {
	switch f.(type) {
	case *cli.DurationFlag:
		return durationProblem(subject, value)
	case *cli.IntFlag, *cli.Int64Flag, *cli.UintFlag, *cli.Uint64Flag:
		return subject + ": not a whole number"
	case *cli.BoolFlag:
		return fmt.Sprintf("%s: a switch takes no value (write %s alone, or %s=false)", subject, flagName, flagName)
	}
	return subject + ": not a valid value"
}

// durationProblem explains a duration that does not parse; a bare number is the usual mistake.
func durationProblem(subject, value string) string {
	if _, err := strconv.ParseFloat(strings.TrimSpace(value), 64); err == nil {
		return fmt.Sprintf("%s: a duration needs a unit: write %ss (or ms, m, h)", subject, strings.TrimSpace(value))
	}
	return subject + ": not a duration (write e.g. 3s, 500ms, 2m)"
}

// plainCause is the message of one of our own errors without the Go package names their
// sentinels start with ("smbprobe: unknown check"): users do not know them.
func plainCause(err error) string {
	msg := err.Error()
	for _, pkg := range []string{"report: ", "smbprobe: ", "credcheck: ", "scanner: "} {
		msg = strings.ReplaceAll(msg, pkg, "")
	}
	return msg
}

// reportFileProblem words why a file given as a saved JSON report cannot be used.
func reportFileProblem(path string, err error) error {
	switch {
	case errors.Is(err, os.ErrNotExist):
		return fmt.Errorf("%s: no such file", path)
	case errors.Is(err, report.ErrSchema):
		return fmt.Errorf("%s is not a scan445 JSON report (%s); give a file written by 'scan445 scan --json'", path, plainCause(err))
	case errors.Is(err, report.ErrMalformed):
		// The JSON decoder's words ("invalid character 'i' in literal false") help nobody.
		return fmt.Errorf("%s is not a scan445 JSON report (it does not parse as one); give a file written by 'scan445 scan --json'", path)
	}
	return fmt.Errorf("%s: %v", path, pathProblem(err))
}

// findFlag finds a flag by any of its names; altsrc wrappers are unwrapped to the cli flag.
func findFlag(flags []cli.Flag, name string) cli.Flag {
	for _, f := range flags {
		for _, n := range f.Names() {
			if n == name {
				return baseFlag(f)
			}
		}
	}
	return nil
}

// dashed writes a flag name the way the help shows it: -q, -iL, --rate.
func dashed(name string) string {
	if len(name) <= 2 {
		return "-" + name
	}
	return "--" + name
}

// closest is the candidate nearest to s by edit distance, or "" when none is near enough to be
// what the user meant.
func closest(s string, candidates []string) string {
	best, bestD := "", 0
	for _, c := range candidates {
		if len(c) < 3 {
			continue
		}
		d := editDistance(strings.ToLower(s), strings.ToLower(c))
		if len(s) >= 3 && strings.HasPrefix(c, s) {
			d = min(d, 1) // a truncated flag name
		}
		if limit := max(1, len(c)/3); d <= limit && (best == "" || d < bestD) {
			best, bestD = c, d
		}
	}
	return best
}

// editDistance counts the insertions, deletions, substitutions and swaps of two neighbours
// (the commonest typo: sacn) that turn a into b.
func editDistance(a, b string) int {
	d := make([][]int, len(a)+1)
	for i := range d {
		d[i] = make([]int, len(b)+1)
		d[i][0] = i
	}
	for j := range d[0] {
		d[0][j] = j
	}
	for i := 1; i <= len(a); i++ {
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			d[i][j] = min(d[i-1][j]+1, d[i][j-1]+1, d[i-1][j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				d[i][j] = min(d[i][j], d[i-2][j-2]+1)
			}
		}
	}
	return d[len(a)][len(b)]
}

// parseFailOn reads --fail-on, worded for the command line.
func parseFailOn(c *cli.Context) (report.FailOn, error) {
	l, err := report.ParseFailOn(c.String("fail-on"))
	if err != nil {
		var levels []string
		for _, l := range report.FailOnLevels() {
			levels = append(levels, string(l))
		}
		return "", usagef("--fail-on %q: want one of %s", c.String("fail-on"), strings.Join(levels, ", "))
	}
	return l, nil
}

// conflict is a usage error naming both sides.
func conflict(a, b, why string) error {
	return usagef("%s and %s %s", a, b, why)
}

// shardIndexFromJob reports whether --shard-index got its value only from the
// JOB_COMPLETION_INDEX a Kubernetes Indexed Job sets for every pod, which is no conflict.
func shardIndexFromJob(c *cli.Context) bool {
	job, ok := os.LookupEnv("JOB_COMPLETION_INDEX")
	if !ok {
		return false
	}
	if _, own := os.LookupEnv("SCAN445_SHARD_INDEX"); own {
		return false
	}
	n, err := strconv.Atoi(job)
	return err == nil && n == c.Int("shard-index")
}

// checkScanFlags refuses flags that contradict each other or do nothing without another one.
// Silently preferring one side let typos through CI.
func checkScanFlags(c *cli.Context, formats []reportFormat, verbosity int) error {
	shardIndexSet := c.IsSet("shard-index") && !shardIndexFromJob(c)
	switch {
	case c.String("shard") != "" && c.IsSet("shard-count"):
		return conflict("--shard "+c.String("shard"), fmt.Sprintf("--shard-count %d", c.Int("shard-count")),
			"both split the targets: give --shard I/N, or --shard-count N with --shard-index I")
	case c.String("shard") != "" && shardIndexSet:
		return conflict("--shard "+c.String("shard"), fmt.Sprintf("--shard-index %d", c.Int("shard-index")),
			"both name the shard: give --shard I/N, or --shard-count N with --shard-index I")
	case shardIndexSet && !c.IsSet("shard-count"):
		return usagef("--shard-index %d does nothing without --shard-count N", c.Int("shard-index"))
	case c.Bool("quiet") && verbosity > 0:
		return conflict("--quiet", "--verbose", "contradict each other: give one")
	case c.Bool("quiet") && c.IsSet("progress-interval"):
		return conflict("--quiet", "--progress-interval", "contradict each other: --quiet turns progress off")
	}
	if err := checkDangling(c, append(optionPairs(formats),
		[2]string{"webhook-header-env", "webhook"},
		[2]string{"webhook-header-file", "webhook"},
		[2]string{"webhook-wait", "webhook"},
	)); err != nil {
		return err
	}
	if c.Bool("list-targets") {
		for _, name := range append(outputFlagNames(c.Command.Flags), "resume", "webhook", "baseline", "fail-on") {
			if c.IsSet(name) {
				return conflict("--list-targets", dashed(name), "contradict each other: --list-targets only prints the addresses and sends nothing, so nothing would be written or checked")
			}
		}
	}
	return nil
}

// checkDangling refuses each {flag, needs} pair where flag is set and needs is empty.
func checkDangling(c *cli.Context, pairs [][2]string) error {
	for _, p := range pairs {
		if c.IsSet(p[0]) && c.String(p[1]) == "" && len(c.StringSlice(p[1])) == 0 {
			return usagef("%s does nothing without --%s", dashed(p[0]), p[1])
		}
	}
	return nil
}

// outputFlagNames are the report destinations among flags: those whose value placeholder is
// PATH (--json, --html, …). New export flags join by naming their value PATH.
func outputFlagNames(flags []cli.Flag) []string {
	var names []string
	for _, f := range flags {
		df, ok := f.(cli.DocGenerationFlag)
		if !ok {
			continue
		}
		if placeholder, _ := unquoteUsage(df.GetUsage()); placeholder == "PATH" {
			names = append(names, f.Names()[0])
		}
	}
	return names
}

// unquoteUsage splits a usage text into its `PLACEHOLDER` and the text without backquotes, as
// the help does (urfave/cli v2 keeps its own copy unexported).
func unquoteUsage(usage string) (string, string) {
	first := strings.IndexByte(usage, '`')
	if first < 0 {
		return "", usage
	}
	second := strings.IndexByte(usage[first+1:], '`')
	if second < 0 {
		return "", usage
	}
	second += first + 1
	return usage[first+1 : second], usage[:first] + usage[first+1:second] + usage[second+1:]
}

// requireOutput refuses a command that would write nothing: `scan445 report r.json` used to
// exit 0 without a word.
func requireOutput(c *cli.Context, command string) error {
	names := outputFlagNames(c.Command.Flags)
	for _, n := range names {
		if c.String(n) != "" {
			return nil
		}
	}
	var list []string
	for _, n := range names {
		list = append(list, "--"+n+" FILE")
	}
	return usagef("'scan445 %s' has nothing to write: add %s (- for stdout)", command, strings.Join(list, ", "))
}

// checkRenderFlags checks the flags of report and merge before any file is read.
func checkRenderFlags(c *cli.Context, formats []reportFormat, command string) error {
	if err := requireOutput(c, command); err != nil {
		return err
	}
	if err := checkDangling(c, optionPairs(formats)); err != nil {
		return err
	}
	if _, err := parseFailOn(c); err != nil {
		return err
	}
	return checkOutputPaths(c, formats, "", c.Args().Slice()...)
}

// checkOutputPaths proves before the first packet that every report can be written: its
// directory exists and takes a new file, it is not a directory or a device, no two outputs
// share a file, and the --resume journal is none of them. A report that fails after an hour of
// scanning is an hour lost.
func checkOutputPaths(c *cli.Context, formats []reportFormat, resume string, inputs ...string) error {
	seen := map[string]string{} // canonical path → flag
	for _, name := range outputFlagNames(c.Command.Flags) {
		p := c.String(name)
		if p == "" || p == "-" {
			continue
		}
		key, err := writablePath("--"+name, p)
		if err != nil {
			return err
		}
		if other, dup := seen[key]; dup {
			return conflict(other, "--"+name, fmt.Sprintf("both write %s: give each report its own file", p))
		}
		seen[key] = "--" + name
	}
	if resume != "" {
		key, err := writablePath("--resume", resume)
		if err != nil {
			return err
		}
		if other, dup := seen[key]; dup {
			return conflict("--resume "+resume, other, "name the same file: the report would overwrite the journal; give the journal its own file")
		}
	}
	// No report may overwrite what the run reads (the target list, the config, a secret, the
	// reports given to `report`), except --json over --baseline: a rolling baseline, where each
	// run compares with the last one and replaces it.
	type input struct{ flag, path string }
	var in []input
	for _, p := range inputs {
		in = append(in, input{"the input", p})
	}
	for _, name := range []string{"input-list", "exclude-file", "config", "password-file", "webhook-header-file", "baseline"} {
		if findFlag(c.Command.Flags, name) == nil {
			continue
		}
		for _, p := range append(c.StringSlice(name), c.String(name)) {
			if p != "" && p != "-" {
				in = append(in, input{"--" + name, p})
			}
		}
	}
	for _, i := range in {
		out, dup := seen[canonicalPath(i.path)]
		if dup && !(i.flag == "--baseline" && rollsBaseline(formats, out)) {
			return conflict(out+" "+i.path, i.flag, "name the same file: the report would overwrite what the run reads")
		}
	}
	return nil
}

// rollsBaseline reports whether the output flag (--json) is a format that a later run reads as
// its --baseline, and so may overwrite the one this run read.
func rollsBaseline(formats []reportFormat, flag string) bool {
	for _, f := range formats {
		if "--"+f.name == flag {
			return f.baseline
		}
	}
	return false
}

// canonicalPath is p made absolute, with its directory's symbolic links resolved.
func canonicalPath(p string) string {
	abs, err := filepath.Abs(p)
	if err != nil {
		return p
	}
	dir, base := filepath.Split(abs)
	if real, err := filepath.EvalSymlinks(dir); err == nil {
		dir = real
	}
	return filepath.Join(dir, base)
}

// writablePath checks one destination and returns its canonical form for duplicate checks.
func writablePath(flagName, p string) (string, error) {
	abs, err := filepath.Abs(p)
	if err != nil {
		return "", usagef("%s %s: %v", flagName, p, err)
	}
	dir := filepath.Dir(abs)
	st, err := os.Stat(dir)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return "", usagef("%s %s: the directory %s does not exist", flagName, p, filepath.Clean(dir))
	case err != nil:
		return "", usagef("%s %s: %v", flagName, p, pathProblem(err))
	case !st.IsDir():
		return "", usagef("%s %s: %s is not a directory", flagName, p, filepath.Clean(dir))
	}
	if st, err := os.Stat(abs); err == nil && !st.Mode().IsRegular() {
		if st.IsDir() {
			return "", usagef("%s %s: is a directory; give a file name", flagName, p)
		}
		return "", usagef("%s %s: not a regular file (reports replace their file; use - for stdout)", flagName, p)
	}
	// Reports are written as a temporary file in the same directory, then renamed: prove that
	// works with the same call.
	probe, err := os.CreateTemp(dir, ".scan445-write-check-*")
	if err != nil {
		return "", usagef("%s %s: cannot create files in %s: %v", flagName, p, filepath.Clean(dir), pathProblem(err))
	}
	probe.Close()
	os.Remove(probe.Name())
	return canonicalPath(abs), nil
}

// pathProblem is the operating system's reason without the Go call that met it.
func pathProblem(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}
