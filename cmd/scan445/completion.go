package main

import (
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/scan445/scan445/report"
	"github.com/scan445/scan445/smbprobe"
)

// Shell completion and the man page are generated from the command definitions themselves, so
// they cannot drift from the flags the binary accepts.

var completionShells = []string{"bash", "zsh", "fish"}

func completionCommand(env *environment) *cli.Command {
	return &cli.Command{
		Name:      "completion",
		Usage:     "print a shell completion script: bash, zsh or fish",
		ArgsUsage: "bash|zsh|fish",
		Description: joinLines(
			"bash: source <(scan445 completion bash), or save it as /etc/bash_completion.d/scan445",
			"zsh:  scan445 completion zsh > \"${fpath[1]}/_scan445\" (then restart zsh)",
			"fish: scan445 completion fish > ~/.config/fish/completions/scan445.fish"),
		Action: func(c *cli.Context) error {
			if c.NArg() != 1 {
				return usagef("completion: name the shell: bash, zsh or fish")
			}
			model := completionModel(c.App, env.formats())
			switch c.Args().First() {
			case "bash":
				writeBashCompletion(env.stdout, model)
			case "zsh":
				writeZshCompletion(env.stdout, model)
			case "fish":
				writeFishCompletion(env.stdout, model)
			default:
				return usagef("completion: unknown shell %q: want bash, zsh or fish", c.Args().First())
			}
			return nil
		},
	}
}

func manCommand(env *environment) *cli.Command {
	return &cli.Command{
		Name:  "man",
		Usage: "print the manual page (roff): scan445 man > /usr/local/share/man/man1/scan445.1",
		Action: func(c *cli.Context) error {
			// The page is rendered from the command definitions; urfave/cli's template shows a
			// command's UsageText but not its Description, so both go into UsageText here (the
			// app is built anew for every run: this changes no help text).
			c.App.Description = manDescription
			for _, cmd := range c.App.Commands {
				if cmd.UsageText != "" || cmd.Name == "help" {
					continue
				}
				cmd.UsageText = strings.TrimSpace("scan445 " + cmd.Name + " [options] " + cmd.ArgsUsage)
				if cmd.Description != "" {
					cmd.UsageText += "\n\n" + cmd.Description
				}
			}
			page, err := c.App.ToManWithSection(1)
			if err != nil {
				return cli.Exit(fmt.Sprintf("man page: %v", err), exitIncomplete)
			}
			_, err = io.WriteString(env.stdout, page+manExitCodes)
			return err
		},
	}
}

// manDescription opens the man page.
const manDescription = "scan445 sweeps internal address ranges on TCP/445, speaks SMB1 and SMB2, fingerprints each " +
	"host and runs only checks that cannot reach the vulnerable code of MS08-067. Every verdict carries its " +
	"evidence and says unknown, with the reason, rather than guess. Reports: JSON (the source of truth), HTML, " +
	"CSV, JUnit XML and tickets; a webhook; exit codes a CI job can gate on (--fail-on)."

// manExitCodes is the environment and the exit-code contract, which the help shows from
// texts of its own.
const manExitCodes = `.SH ENVIRONMENT
Every flag of \fBscan\fP can also be set as \fBSCAN445_\fIFLAG\fR (upper case, dashes as
underscores, e.g. SCAN445_RATE=500, SCAN445_FAIL_ON=exposed) or as a key of the YAML
\-\-config file. Precedence: flag, then environment, then file, then default.
\fBJOB_COMPLETION_INDEX\fP (set by Kubernetes Indexed Jobs) gives \-\-shard\-index.
Secrets are never flag values: \-\-password\-env and \-\-webhook\-header\-env name the variables
that hold them.
.SH EXIT CODES
.TP
0
the scan completed and nothing at or above \-\-fail\-on was found
.TP
1
findings at or above \-\-fail\-on (reports are still written)
.TP
2
usage or input error (bad flag, bad target spec, unreadable file, unwritable report path); nothing was sent
.TP
3
the scan could not complete (Ctrl\-C/SIGTERM, or a fatal error); partial reports are written
`

type compFlag struct {
	names   []string // as typed: --rate, -iL
	usage   string
	value   bool     // takes a value
	files   bool     // the value is a file name
	choices []string // the value is one of these
	repeat  bool     // may be given more than once
}

type compCommand struct {
	name, usage string
	flags       []compFlag
	args        []string // choices for the positional arguments, if any
	fileArgs    bool     // the positional arguments are files
}

// flagChoices are the fixed vocabularies of flag values.
func flagChoices(formats []reportFormat) map[string][]string {
	levels := make([]string, 0, 5)
	for _, l := range report.FailOnLevels() {
		levels = append(levels, string(l))
	}
	checks := []string{"safe", "none"}
	for _, c := range smbprobe.Checks() {
		checks = append(checks, c.ID)
	}
	choices := map[string][]string{
		"fail-on":     levels,
		"fallback-on": {"closed", "filtered"},
		"checks":      checks,
	}
	for _, f := range formats {
		if f.option != nil {
			choices[f.option.name] = f.option.choices
		}
	}
	return choices
}

func completionModel(app *cli.App, formats []reportFormat) []compCommand {
	choices := flagChoices(formats)
	top := compCommand{flags: compFlags(app.VisibleFlags(), choices)}
	cmds := []compCommand{top}
	for _, c := range app.VisibleCommands() {
		cc := compCommand{name: c.Name, usage: c.Usage, flags: compFlags(c.VisibleFlags(), choices)}
		switch c.Name {
		case "completion":
			cc.args = completionShells
		case "report", "merge", "diff", "lab-check":
			cc.fileArgs = true
		}
		cmds = append(cmds, cc)
	}
	return cmds
}

func compFlags(flags []cli.Flag, choices map[string][]string) []compFlag {
	var out []compFlag
	for _, f := range flags {
		cf := compFlag{}
		for _, n := range f.Names() {
			cf.names = append(cf.names, dashed(n))
		}
		if df, ok := f.(cli.DocGenerationFlag); ok {
			placeholder, usage := unquoteUsage(df.GetUsage())
			cf.usage = usage
			cf.value = df.TakesValue()
			cf.files = placeholder == "PATH" || placeholder == "FILE"
		}
		if _, ok := baseFlag(f).(*cli.StringSliceFlag); ok {
			cf.repeat = true
		}
		if b, ok := baseFlag(f).(*cli.BoolFlag); ok && b.Count != nil {
			cf.repeat = true
		}
		cf.choices = choices[f.Names()[0]]
		out = append(out, cf)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].names[0] < out[j].names[0] })
	return out
}

func flagWords(flags []compFlag, keep func(compFlag) bool) string {
	var w []string
	for _, f := range flags {
		if keep(f) {
			w = append(w, f.names...)
		}
	}
	return strings.Join(w, " ")
}

func writeBashCompletion(w io.Writer, cmds []compCommand) {
	var names []string
	for _, c := range cmds[1:] {
		names = append(names, c.name)
	}
	fmt.Fprintf(w, `# bash completion for scan445; generated by 'scan445 completion bash'.
_scan445() {
  local cur prev cmd i
  cur="${COMP_WORDS[COMP_CWORD]}"
  prev=""
  (( COMP_CWORD > 0 )) && prev="${COMP_WORDS[COMP_CWORD-1]}"
  cmd=""
  for (( i = 1; i < COMP_CWORD; i++ )); do
    case "${COMP_WORDS[i]}" in
      -*) ;;
      *) cmd="${COMP_WORDS[i]}"; break ;;
    esac
  done
  COMPREPLY=()
  case "$cmd" in
    "")
      COMPREPLY=( $(compgen -W %s -- "$cur") ) ;;
`, shQuote(strings.Join(names, " ")+" "+flagWords(cmds[0].flags, func(compFlag) bool { return true })))
	for _, c := range cmds[1:] {
		fmt.Fprintf(w, "    %s)\n      case \"$prev\" in\n", c.name)
		for _, f := range c.flags {
			switch {
			case f.choices != nil:
				fmt.Fprintf(w, "        %s) COMPREPLY=( $(compgen -W %s -- \"$cur\") ); return ;;\n",
					strings.Join(f.names, "|"), shQuote(strings.Join(f.choices, " ")))
			case f.files:
				fmt.Fprintf(w, "        %s) COMPREPLY=( $(compgen -f -- \"$cur\") ); return ;;\n", strings.Join(f.names, "|"))
			case f.value:
				fmt.Fprintf(w, "        %s) return ;;\n", strings.Join(f.names, "|"))
			}
		}
		fmt.Fprintf(w, "      esac\n      case \"$cur\" in\n        -*) COMPREPLY=( $(compgen -W %s -- \"$cur\") ) ;;\n",
			shQuote(flagWords(c.flags, func(compFlag) bool { return true })))
		switch {
		case c.args != nil:
			fmt.Fprintf(w, "        *) COMPREPLY=( $(compgen -W %s -- \"$cur\") ) ;;\n", shQuote(strings.Join(c.args, " ")))
		case c.fileArgs:
			fmt.Fprintf(w, "        *) COMPREPLY=( $(compgen -f -- \"$cur\") ) ;;\n")
		}
		fmt.Fprintf(w, "      esac ;;\n")
	}
	fmt.Fprint(w, "  esac\n}\ncomplete -o bashdefault -o default -F _scan445 scan445\n")
}

func writeZshCompletion(w io.Writer, cmds []compCommand) {
	fmt.Fprint(w, "#compdef scan445\n# zsh completion for scan445; generated by 'scan445 completion zsh'.\n\n_scan445() {\n  local line state\n  local -a commands\n  commands=(\n")
	for _, c := range cmds[1:] {
		fmt.Fprintf(w, "    %s\n", shQuote(c.name+":"+zshText(c.usage)))
	}
	fmt.Fprint(w, "  )\n  _arguments -C \\\n")
	for _, f := range cmds[0].flags {
		for _, spec := range zshFlagSpecs(f) {
			fmt.Fprintf(w, "    %s \\\n", spec)
		}
	}
	fmt.Fprint(w, "    '1: :->cmds' \\\n    '*::arg:->args'\n  case $state in\n    cmds) _describe -t commands 'scan445 command' commands ;;\n    args)\n      case $line[1] in\n")
	for _, c := range cmds[1:] {
		fmt.Fprintf(w, "        %s)\n          _arguments -S \\\n", c.name)
		for _, f := range c.flags {
			for _, spec := range zshFlagSpecs(f) {
				fmt.Fprintf(w, "            %s \\\n", spec)
			}
		}
		switch {
		case c.args != nil:
			fmt.Fprintf(w, "            %s ;;\n", shQuote("1:shell:("+strings.Join(c.args, " ")+")"))
		case c.fileArgs:
			fmt.Fprint(w, "            '*:file:_files' ;;\n")
		default:
			fmt.Fprint(w, "            '*:argument:' ;;\n")
		}
	}
	fmt.Fprint(w, "      esac ;;\n  esac\n}\n\nif [[ \"$funcstack[1]\" == _scan445 ]]; then\n  _scan445 \"$@\"\nelse\n  compdef _scan445 scan445\nfi\n")
}

// zshFlagSpecs are the _arguments specs of one flag, one per name.
func zshFlagSpecs(f compFlag) []string {
	var specs []string
	for _, n := range f.names {
		spec := ""
		if f.repeat {
			spec = "*"
		}
		spec += n + "[" + zshText(f.usage) + "]"
		switch {
		case f.choices != nil:
			spec += ":value:(" + strings.Join(f.choices, " ") + ")"
		case f.files:
			spec += ":file:_files"
		case f.value:
			spec += ":value: "
		}
		specs = append(specs, shQuote(spec))
	}
	return specs
}

// zshText keeps a description from breaking an _arguments spec.
func zshText(s string) string {
	if i := strings.Index(s, "; "); i > 0 {
		s = s[:i]
	}
	return strings.NewReplacer("[", "(", "]", ")", ":", " -", "\\", "/", "`", "").Replace(s)
}

func writeFishCompletion(w io.Writer, cmds []compCommand) {
	fmt.Fprint(w, "# fish completion for scan445; generated by 'scan445 completion fish'.\ncomplete -c scan445 -f\n")
	for _, c := range cmds[1:] {
		fmt.Fprintf(w, "complete -c scan445 -n __fish_use_subcommand -a %s -d %s\n", c.name, shQuote(firstClause(c.usage)))
	}
	for _, f := range cmds[0].flags {
		fmt.Fprintf(w, "complete -c scan445 -n __fish_use_subcommand %s\n", fishFlag(f))
	}
	for _, c := range cmds[1:] {
		cond := shQuote("__fish_seen_subcommand_from " + c.name)
		for _, f := range c.flags {
			fmt.Fprintf(w, "complete -c scan445 -n %s %s\n", cond, fishFlag(f))
		}
		switch {
		case c.args != nil:
			fmt.Fprintf(w, "complete -c scan445 -n %s -a %s\n", cond, shQuote(strings.Join(c.args, " ")))
		case c.fileArgs:
			fmt.Fprintf(w, "complete -c scan445 -n %s -F\n", cond)
		}
	}
}

func fishFlag(f compFlag) string {
	var parts []string
	for _, n := range f.names {
		switch {
		case strings.HasPrefix(n, "--"):
			parts = append(parts, "-l "+n[2:])
		case len(n) == 2:
			parts = append(parts, "-s "+n[1:])
		default:
			parts = append(parts, "-o "+n[1:]) // nmap-style -iL
		}
	}
	switch {
	case f.choices != nil:
		parts = append(parts, "-x -a "+shQuote(strings.Join(f.choices, " ")))
	case f.files:
		parts = append(parts, "-r -F")
	case f.value:
		parts = append(parts, "-x")
	}
	parts = append(parts, "-d "+shQuote(firstClause(f.usage)))
	return strings.Join(parts, " ")
}

// firstClause shortens a usage text for a completion menu.
func firstClause(s string) string {
	if i := strings.Index(s, "; "); i > 0 {
		s = s[:i]
	}
	if i := strings.Index(s, " ("); i > 0 {
		s = s[:i]
	}
	return s
}

// shQuote quotes s for bash, zsh and fish alike (single quotes; fish also reads '\” as the
// end of a string, an escaped quote and a new string).
func shQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
