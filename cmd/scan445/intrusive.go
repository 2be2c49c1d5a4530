package main

import (
	"fmt"
	"io"
	"os"

	"gopkg.in/yaml.v3"

	"github.com/scan445/scan445/report"
)

// intrusiveEnv is the variable a user might expect to enable --intrusive; it is refused.
const intrusiveEnv = "SCAN445_INTRUSIVE"

// refuseIntrusiveElsewhere makes --intrusive a command-line-only flag: a probe that can crash
// hosts must not be switched on by an inherited environment or a shared config file, where
// the person running the scan never sees it.
func refuseIntrusiveElsewhere(configPath string) error {
	if _, set := os.LookupEnv(intrusiveEnv); set {
		return usagef("%s is set, but the intrusive MS08-067 probe (it can crash unpatched hosts) is only enabled by --intrusive on the command line; unset %s", intrusiveEnv, intrusiveEnv)
	}
	if configPath == "" {
		return nil
	}
	raw, err := os.ReadFile(configPath)
	if err != nil {
		return nil // the config loader reports an unreadable file in its own words
	}
	var keys map[string]any
	if yaml.Unmarshal(raw, &keys) != nil {
		return nil
	}
	if _, set := keys["intrusive"]; set {
		return usagef("--config %s sets intrusive, but the intrusive MS08-067 probe (it can crash unpatched hosts) is only enabled by --intrusive on the command line; remove the key", configPath)
	}
	return nil
}

// maxUncheckedLines bounds what reportUnchecked prints; the reports list every host.
const maxUncheckedLines = 20

// reportUnchecked applies --fail-on-unknown: it says on w which open hosts could not be judged
// and reports whether any could not.
func reportUnchecked(w io.Writer, doc *report.Document, checks []string) bool {
	lines := report.Unchecked(doc, checks)
	if len(lines) == 0 {
		return false
	}
	fmt.Fprintf(w, "scan445: --fail-on-unknown: %d check(s) on open hosts ended unknown or error:\n", len(lines))
	for i, l := range lines {
		if i == maxUncheckedLines {
			fmt.Fprintf(w, "  … and %d more (see the report)\n", len(lines)-i)
			break
		}
		fmt.Fprintln(w, "  "+l)
	}
	return true
}
