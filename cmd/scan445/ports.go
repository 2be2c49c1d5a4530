package main

import (
	"strconv"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/scan445/scan445/scanner"
)

// readPorts applies the port flags: --port N scans N alone, exactly as before --ports existed;
// otherwise --ports (default 445,139) under --fallback-on (scanner/ports.go has the policy).
func readPorts(c *cli.Context) (ports []int, filtered bool, err error) {
	on := c.String("fallback-on")
	if on != "closed" && on != "filtered" {
		return nil, false, usagef("--fallback-on %q: want closed or filtered", on)
	}
	if c.IsSet("port") {
		switch {
		case c.IsSet("ports"):
			return nil, false, conflict("--port", "--ports", "both name the ports: give --port N for one port, or --ports LIST")
		case c.IsSet("fallback-on"):
			return nil, false, conflict("--port", "--fallback-on", "contradict each other: --port scans one port, there is nothing to fall back to")
		}
		port := c.Int("port")
		if port < 1 || port > 65535 {
			return nil, false, usagef("--port %d: must be 1-65535", port)
		}
		return []int{port}, false, nil
	}
	ports, err = scanner.ParsePorts(c.String("ports"))
	if err != nil {
		return nil, false, usagef("--ports %q: %v", c.String("ports"), err)
	}
	return ports, on == "filtered", nil
}

// joinPorts writes a port list the way --ports takes it.
func joinPorts(ports []int) string {
	s := make([]string, len(ports))
	for i, p := range ports {
		s[i] = strconv.Itoa(p)
	}
	return strings.Join(s, ",")
}

// fallbackOn is the --fallback-on value of a policy, for the report's options.
func fallbackOn(filtered bool) string {
	if filtered {
		return "filtered"
	}
	return "closed"
}
