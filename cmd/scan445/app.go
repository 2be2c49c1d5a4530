package main

import (
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/scan445/scan445/sensor"
)

// Exit codes. They are a contract with CI jobs: documented in README.md and in --help.
const (
	exitOK         = 0 // scan completed, nothing at or above --fail-on
	exitFindings   = 1 // scan completed (or not) and found something at or above --fail-on
	exitUsage      = 2 // bad flags, bad targets, unreadable input: nothing was sent
	exitIncomplete = 3 // the scan could not complete (interrupted, or a fatal error)
)

const exitCodesHelp = `EXIT CODES:
   0  scan completed and nothing at or above --fail-on was found
   1  findings at or above --fail-on (reports are still written)
   2  usage or input error (bad or contradicting flags, bad target spec, unreadable input,
      unwritable report path); nothing was sent
   3  the scan could not complete (Ctrl-C/SIGTERM, or a fatal error); partial reports are written
   Webhook failures do not change the exit code: they are printed on stderr and listed in the report.`

// version is set by the linker (-X main.version=…) for releases.
var version = "0.1.0-dev"

// usageError marks errors that are the user's to fix.
type usageError struct{ err error }

func (u usageError) Error() string { return u.err.Error() }
func (u usageError) Unwrap() error { return u.err }

func usagef(format string, args ...any) error {
	return usageError{fmt.Errorf(format, args...)}
}

// run is main without os.Exit, so tests drive the whole CLI in-process.
func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	return runEnv(&environment{stdin: stdin, stdout: stdout, stderr: stderr}, args)
}

// runEnv is run in a given environment, so a test can swap the format registry.
func runEnv(env *environment, args []string) int {
	stderr := env.stderr
	if len(args) > 1 {
		env.args = args[1:]
	}
	app := newApp(env)
	err := app.Run(interspersed(args, app.Commands))
	switch {
	case env.unknownCommand != "":
		var names []string
		for _, c := range app.Commands {
			names = append(names, c.Name)
		}
		if near := closest(env.unknownCommand, names); near != "" {
			fmt.Fprintf(stderr, "scan445: unknown command %q: did you mean %s?\n", env.unknownCommand, near)
		} else {
			fmt.Fprintf(stderr, "scan445: unknown command %q (see 'scan445 help')\n", env.unknownCommand)
		}
		return exitUsage
	case err == nil:
		return env.exitCode
	}
	var ue usageError
	var ec cli.ExitCoder
	switch {
	case errors.As(err, &ue):
		fmt.Fprintf(stderr, "scan445: %s\n", plainWords(err, app, args))
		return exitUsage
	case errors.As(err, &ec):
		if msg := err.Error(); msg != "" {
			fmt.Fprintf(stderr, "scan445: %s\n", msg)
		}
		return ec.ExitCode()
	default:
		// What urfave/cli returns itself is a flag or argument problem.
		fmt.Fprintf(stderr, "scan445: %s\n", plainWords(err, app, args))
		return exitUsage
	}
}

// environment carries the process's streams and the outcome of a command, instead of globals.
type environment struct {
	args           []string // the command line after the program name, as typed
	stdin          io.Reader
	stdout, stderr io.Writer
	exitCode       int
	unknownCommand string
	// reportFormats replaces the format registry (reportFormats) in tests; nil in production.
	reportFormats []reportFormat
	// openCapture replaces the packet capture of `watch --interface` in tests; nil in
	// production (defaultOpenCapture).
	openCapture sensor.OpenCapture
}

func newApp(env *environment) *cli.App {
	app := &cli.App{
		Name:                 "scan445",
		Usage:                "find hosts exposed to MS08-067 and infected by Conficker, without harming them",
		Version:              version,
		Writer:               env.stdout,
		ErrWriter:            env.stderr,
		Reader:               env.stdin,
		EnableBashCompletion: true,
		// urfave/cli's own version flag is --version/-v: `scan445 -v scan …` printed the version
		// and exited 0 without scanning. Ours has no -v.
		HideVersion: true,
		Flags: []cli.Flag{
			&cli.BoolFlag{Name: "version", Usage: "print the version"},
		},
		Action: func(c *cli.Context) error {
			switch {
			case c.Bool("version"):
				fmt.Fprintf(env.stdout, "scan445 %s\n", version)
				return nil
			case c.NArg() > 0:
				env.unknownCommand = c.Args().First()
				return nil
			}
			return cli.ShowAppHelp(c)
		},
		CustomAppHelpTemplate: cli.AppHelpTemplate + "\n" + exitCodesHelp + "\n",
		// urfave/cli would call os.Exit itself; we map every error to our documented codes.
		ExitErrHandler: func(*cli.Context, error) {},
		CommandNotFound: func(_ *cli.Context, name string) {
			env.unknownCommand = name
		},
		OnUsageError: func(_ *cli.Context, err error, _ bool) error {
			return usageError{err}
		},
		Commands: []*cli.Command{
			scanCommand(env),
			{
				Name:  "version",
				Usage: "print the version",
				Action: func(c *cli.Context) error {
					fmt.Fprintf(env.stdout, "scan445 %s\n", version)
					return nil
				},
			},
		},
	}
	app.Commands = append(app.Commands, extraCommands(env)...)
	app.Commands = append(app.Commands, watchCommand(env))
	app.Commands = append(app.Commands, completionCommand(env), manCommand(env))
	for _, c := range app.Commands {
		if c.OnUsageError == nil {
			c.OnUsageError = app.OnUsageError
		}
		if c.CustomHelpTemplate == "" && c.Name == "scan" {
			c.CustomHelpTemplate = cli.CommandHelpTemplate + "\n" + exitCodesHelp + "\n"
		}
	}
	return app
}

// joinLines is for help texts assembled from parts.
func joinLines(lines ...string) string { return strings.Join(lines, "\n") }

// interspersed moves a command's flags in front of its positional arguments, so that
// `scan445 scan 10.0.0.0/24 --rate 500` works as nmap users expect (Go's flag parsing, and so
// urfave/cli, stops at the first positional argument). "--" still ends flag parsing.
func interspersed(args []string, commands []*cli.Command) []string {
	if len(args) < 2 {
		return args
	}
	var cmd *cli.Command
	for _, c := range commands {
		if c.HasName(args[1]) {
			cmd = c
		}
	}
	if cmd == nil {
		return args
	}
	boolean := map[string]bool{"help": true, "h": true}
	for _, f := range cmd.Flags {
		if tv, ok := f.(interface{ TakesValue() bool }); ok && !tv.TakesValue() {
			for _, n := range f.Names() {
				boolean[n] = true
			}
		}
	}
	flags, positional := []string{}, []string{}
	rest := args[2:]
	for i := 0; i < len(rest); i++ {
		a := rest[i]
		switch {
		case a == "--":
			positional = append(positional, rest[i+1:]...)
			i = len(rest)
		case len(a) > 1 && a[0] == '-':
			flags = append(flags, a)
			name := strings.TrimLeft(a, "-")
			if !strings.Contains(name, "=") && !boolean[name] {
				if i+1 == len(rest) {
					// A value flag with nothing after it: keep it last, so that flag parsing
					// says it needs a value instead of taking the "--" below as its value.
					return append([]string{args[0], args[1]}, flags...)
				}
				flags = append(flags, rest[i+1])
				i++
			}
		default:
			positional = append(positional, a)
		}
	}
	out := append([]string{args[0], args[1]}, flags...)
	if len(positional) > 0 {
		out = append(out, "--")
		out = append(out, positional...)
	}
	return out
}
