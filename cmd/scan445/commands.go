package main

import "github.com/urfave/cli/v2"

// extraCommands are the commands beyond scan and version.
func extraCommands(env *environment) []*cli.Command {
	return nil
}
