package main

import (
	"github.com/urfave/cli/v2"
	"github.com/urfave/cli/v2/altsrc"
)

// watchConfigFlag is watch's --config: the same YAML file of flag values as scan's, read by
// configBefore (unknown keys, wrong types and command-line-only keys refused with exit 2).
func watchConfigFlag() cli.Flag {
	return &cli.StringFlag{Name: "config", EnvVars: envs("config"),
		Usage: "YAML `FILE` of watch flag values (keys are flag names); precedence: flag > env > file > default"}
}

// fileSettable makes flags settable from --config by wrapping each in its altsrc flag, which is
// what configBefore takes as a key. The flags named in cmdLineOnly (-q, -v: how this run talks,
// not what it watches) stay as they are, and a key naming them is refused. Flags that are
// already altsrc flags, or of a type the file cannot hold, are kept.
func fileSettable(flags []cli.Flag, cmdLineOnly ...string) []cli.Flag {
	only := map[string]bool{}
	for _, n := range cmdLineOnly {
		only[n] = true
	}
	out := make([]cli.Flag, 0, len(flags))
	for _, f := range flags {
		if only[f.Names()[0]] {
			out = append(out, f)
			continue
		}
		switch x := f.(type) {
		case *cli.StringFlag:
			f = altsrc.NewStringFlag(x)
		case *cli.StringSliceFlag:
			f = altsrc.NewStringSliceFlag(x)
		case *cli.IntFlag:
			f = altsrc.NewIntFlag(x)
		case *cli.Int64Flag:
			f = altsrc.NewInt64Flag(x)
		case *cli.DurationFlag:
			f = altsrc.NewDurationFlag(x)
		case *cli.BoolFlag:
			f = altsrc.NewBoolFlag(x)
		}
		out = append(out, f)
	}
	return out
}
