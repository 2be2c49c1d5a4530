package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// Docker is not available where the tests run, so the Dockerfile is held to the rules docker
// build applies (instruction set, line continuations, parser directives, ARG before FROM,
// COPY --from naming an earlier stage, exec-form JSON) and to ours: multi-stage, the final
// stage runs as a non-root user with nothing that adds capabilities, and the builder's Go
// matches go.mod.

type dockerInstr struct {
	line int
	cmd  string // upper case
	args string
}

var dockerInstructions = map[string]bool{
	"FROM": true, "RUN": true, "CMD": true, "LABEL": true, "EXPOSE": true, "ENV": true, "ADD": true,
	"COPY": true, "ENTRYPOINT": true, "VOLUME": true, "USER": true, "WORKDIR": true, "ARG": true,
	"ONBUILD": true, "STOPSIGNAL": true, "HEALTHCHECK": true, "SHELL": true,
}

// parseDockerfile splits a Dockerfile into instructions the way the docker parser does:
// parser directives only before anything else, # comments on their own lines (also inside a
// continued instruction), and a trailing backslash continuing the instruction.
func parseDockerfile(text string) ([]dockerInstr, error) {
	var out []dockerInstr
	sc := bufio.NewScanner(strings.NewReader(text))
	n, start := 0, 0
	var cur strings.Builder
	directives := true
	for sc.Scan() {
		n++
		line := sc.Text()
		trimmed := strings.TrimSpace(line)
		if strings.HasPrefix(trimmed, "#") {
			if directives && regexp.MustCompile(`^#\s*\w+\s*=`).MatchString(trimmed) {
				continue
			}
			directives = false
			continue
		}
		directives = false
		if cur.Len() == 0 && trimmed == "" {
			continue
		}
		if cur.Len() == 0 {
			start = n
		}
		if strings.HasSuffix(trimmed, `\`) {
			cur.WriteString(strings.TrimSpace(strings.TrimSuffix(trimmed, `\`)) + " ")
			continue
		}
		cur.WriteString(trimmed)
		full := strings.TrimSpace(cur.String())
		cur.Reset()
		if full == "" {
			continue
		}
		cmd, args, _ := strings.Cut(full, " ")
		cmd = strings.ToUpper(cmd)
		if !dockerInstructions[cmd] {
			return nil, fmt.Errorf("line %d: unknown instruction %q", start, cmd)
		}
		if strings.TrimSpace(args) == "" {
			return nil, fmt.Errorf("line %d: %s without arguments", start, cmd)
		}
		out = append(out, dockerInstr{line: start, cmd: cmd, args: strings.TrimSpace(args)})
	}
	if cur.Len() > 0 {
		return nil, fmt.Errorf("the file ends inside a continued instruction (line %d)", start)
	}
	return out, sc.Err()
}

func TestDockerfile(t *testing.T) {
	root := filepath.Join("..", "..")
	raw, err := os.ReadFile(filepath.Join(root, "Dockerfile"))
	if err != nil {
		t.Fatal(err)
	}
	instrs, err := parseDockerfile(string(raw))
	if err != nil {
		t.Fatalf("Dockerfile: %v", err)
	}
	args := map[string]bool{}
	type stage struct {
		name, image string
		body        []dockerInstr
	}
	var stages []stage
	for _, in := range instrs {
		switch {
		case in.cmd == "ARG" && len(stages) == 0:
			name, _, _ := strings.Cut(in.args, "=")
			args[name] = true
		case len(stages) == 0 && in.cmd != "FROM":
			t.Fatalf("line %d: %s before the first FROM (only ARG may come first)", in.line, in.cmd)
		case in.cmd == "FROM":
			f := strings.Fields(in.args)
			s := stage{image: f[0]}
			if len(f) == 3 && strings.EqualFold(f[1], "AS") {
				s.name = strings.ToLower(f[2])
			} else if len(f) != 1 {
				t.Fatalf("line %d: FROM %q: want IMAGE [AS NAME]", in.line, in.args)
			}
			for _, m := range regexp.MustCompile(`\$\{?(\w+)`).FindAllStringSubmatch(s.image, -1) {
				if !args[m[1]] {
					t.Errorf("line %d: FROM uses $%s, which no ARG before the first FROM declares", in.line, m[1])
				}
			}
			for _, prev := range stages {
				if s.name != "" && prev.name == s.name {
					t.Errorf("line %d: stage name %q used twice", in.line, s.name)
				}
			}
			stages = append(stages, s)
		default:
			stages[len(stages)-1].body = append(stages[len(stages)-1].body, in)
		}
	}
	if len(stages) < 2 {
		t.Fatalf("%d stages; want a multi-stage build (builder + runtime)", len(stages))
	}
	for i, s := range stages {
		for _, in := range s.body {
			if in.cmd != "COPY" && in.cmd != "ADD" {
				continue
			}
			if m := regexp.MustCompile(`--from=(\S+)`).FindStringSubmatch(in.args); m != nil {
				found := false
				for _, prev := range stages[:i] {
					found = found || prev.name == strings.ToLower(m[1])
				}
				if !found {
					t.Errorf("line %d: COPY --from=%s names no earlier stage", in.line, m[1])
				}
				continue
			}
			// Sources of the build context must exist (and survive .dockerignore).
			f := strings.Fields(in.args)
			for _, src := range f[:len(f)-1] {
				if strings.HasPrefix(src, "--") {
					continue
				}
				if _, err := os.Stat(filepath.Join(root, src)); err != nil {
					t.Errorf("line %d: COPY source %s: %v", in.line, src, err)
				}
			}
		}
	}

	final := stages[len(stages)-1]
	var user, entrypoint string
	for _, in := range final.body {
		switch in.cmd {
		case "USER":
			user = in.args
		case "ENTRYPOINT":
			entrypoint = in.args
		case "RUN":
			t.Errorf("line %d: RUN in the final stage (a distroless image has no shell)", in.line)
		}
	}
	for _, in := range instrs {
		low := strings.ToLower(in.args)
		for _, bad := range []string{"setcap", "cap_net", "--cap-add", "--privileged", "chmod u+s", "chmod 4"} {
			if strings.Contains(low, bad) {
				t.Errorf("line %d: %s adds privileges (%q)", in.line, in.cmd, bad)
			}
		}
	}
	uid, _, _ := strings.Cut(user, ":")
	if uid == "" || uid == "0" || uid == "root" {
		t.Errorf("final stage USER %q: want a non-root user", user)
	}
	if !regexp.MustCompile(`^\d+$`).MatchString(uid) {
		t.Errorf("final stage USER %q: want a numeric uid, so that Kubernetes runAsNonRoot can verify it", user)
	}
	var ep []string
	if err := json.Unmarshal([]byte(entrypoint), &ep); err != nil || len(ep) == 0 {
		t.Fatalf("ENTRYPOINT %q: want the exec form, a JSON array of strings (%v)", entrypoint, err)
	}
	if filepath.Base(ep[0]) != "scan445" {
		t.Errorf("ENTRYPOINT runs %s, not scan445", ep[0])
	}

	// The builder's Go is the one go.mod asks for.
	mod, err := os.ReadFile(filepath.Join(root, "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	goVer := regexp.MustCompile(`(?m)^go (\d+\.\d+)`).FindSubmatch(mod)
	argVer := regexp.MustCompile(`(?m)^ARG GO_VERSION=(\S+)`).FindSubmatch(raw)
	if goVer == nil || argVer == nil || string(goVer[1]) != string(argVer[1]) {
		t.Errorf("Dockerfile GO_VERSION %q does not match go.mod's go %q", argVer, goVer)
	}
	var built bool
	for _, in := range stages[0].body {
		built = built || (in.cmd == "RUN" && strings.Contains(in.args, "go build") && strings.Contains(in.args, "./cmd/scan445"))
	}
	if !built {
		t.Error("the build stage does not go build ./cmd/scan445")
	}
}

// The parser itself must reject what docker rejects, or the test above proves nothing.
func TestParseDockerfileRejects(t *testing.T) {
	for _, tc := range []struct{ name, text string }{
		{"unknown instruction", "FROM scratch\nCOPYY a b\n"},
		{"dangling continuation", "FROM scratch\nRUN a \\\n"},
		{"empty instruction", "FROM scratch\nUSER\n"},
	} {
		if _, err := parseDockerfile(tc.text); err == nil {
			t.Errorf("%s: accepted", tc.name)
		}
	}
	in, err := parseDockerfile("# syntax=docker/dockerfile:1\nFROM a AS b\nRUN x \\\n  # comment inside\n  y\n")
	if err != nil || len(in) != 2 || in[1].args != "x y" {
		t.Fatalf("continuation with comment: %+v %v", in, err)
	}
}
