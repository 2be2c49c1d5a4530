package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/urfave/cli/v2"
	"github.com/urfave/cli/v2/altsrc"
	"gopkg.in/yaml.v3"
)

// maxConfigFile bounds the --config file: it holds flag values, not data.
const maxConfigFile = 1 << 20

// configBefore reads the --config YAML file itself instead of leaving it to altsrc, so that a
// missing file, a misspelt key (`ratee: 5` used to be ignored) or a value of the wrong type is a
// plain-worded usage error, then hands the checked values to altsrc, which keeps the precedence
// flag > environment > file > default.
func configBefore(flags []cli.Flag) cli.BeforeFunc {
	return func(c *cli.Context) error {
		path := c.String("config")
		if path == "" {
			return nil
		}
		values, err := readConfig(c.Command.Name, path, flags)
		if err != nil {
			return usageError{err}
		}
		if err := altsrc.ApplyInputSourceValues(c, altsrc.NewMapInputSource(path, values), flags); err != nil {
			return usagef("--config %s: %v", path, err)
		}
		return nil
	}
}

// readConfig parses and checks the file of command cmd (scan, watch); the map it returns holds
// values of the types altsrc expects for each flag.
func readConfig(cmd, path string, flags []cli.Flag) (map[any]any, error) {
	f, err := os.Open(path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("--config %s: no such file", path)
		}
		return nil, fmt.Errorf("--config %s: %v", path, pathProblem(err))
	}
	defer f.Close()
	raw, err := io.ReadAll(io.LimitReader(f, maxConfigFile+1))
	if err != nil {
		return nil, fmt.Errorf("--config %s: %v", path, pathProblem(err))
	}
	if len(raw) > maxConfigFile {
		return nil, fmt.Errorf("--config %s: larger than %d bytes; it should hold flag values only", path, maxConfigFile)
	}
	var doc map[string]any
	if err := yaml.Unmarshal(raw, &doc); err != nil {
		return nil, fmt.Errorf("--config %s: not valid YAML: %s", path, strings.TrimPrefix(err.Error(), "yaml: "))
	}
	settable := map[string]cli.Flag{}
	var names []string
	for _, fl := range flags {
		if _, ok := fl.(altsrc.FlagInputSourceExtension); ok {
			for _, n := range fl.Names() {
				settable[n] = fl
				names = append(names, n)
			}
		}
	}
	keys := make([]string, 0, len(doc))
	for k := range doc {
		keys = append(keys, k)
	}
	sort.Strings(keys) // the first problem reported is the same every run
	out := make(map[any]any, len(doc))
	for _, key := range keys {
		fl, ok := settable[key]
		if !ok {
			if findFlag(flags, key) != nil {
				return nil, fmt.Errorf("--config %s: %s cannot be set in the file (give it on the command line)", path, key)
			}
			if near := closest(key, names); near != "" {
				return nil, fmt.Errorf("--config %s: unknown key %q: did you mean %s?", path, key, near)
			}
			return nil, fmt.Errorf("--config %s: unknown key %q (keys are the flag names of 'scan445 %s --help', without dashes)", path, key, cmd)
		}
		v, err := configValue(key, doc[key], baseFlag(fl))
		if err != nil {
			return nil, fmt.Errorf("--config %s: %v", path, err)
		}
		out[key] = v
	}
	return out, nil
}

// configValue converts one YAML value to what altsrc expects for the flag, accepting what a
// person would write: a number for a text flag, one item or a comma list for a list flag.
func configValue(key string, v any, fl cli.Flag) (any, error) {
	if v == nil {
		return nil, fmt.Errorf("%s has no value", key)
	}
	switch fl.(type) {
	case *cli.IntFlag, *cli.Int64Flag:
		switch x := v.(type) {
		case int:
			return x, nil
		case string:
			if n, err := strconv.Atoi(strings.TrimSpace(x)); err == nil {
				return n, nil
			}
		}
		return nil, fmt.Errorf("%s: %v is not a whole number", key, v)
	case *cli.DurationFlag:
		if s, ok := v.(string); ok {
			if _, err := time.ParseDuration(s); err == nil {
				return s, nil
			}
		}
		return nil, errors.New(durationProblem(fmt.Sprintf("%s: %v", key, v), fmt.Sprint(v)))
	case *cli.BoolFlag:
		if b, ok := v.(bool); ok {
			return b, nil
		}
		return nil, fmt.Errorf("%s: %v is not true or false", key, v)
	case *cli.StringSliceFlag:
		var items []any
		switch x := v.(type) {
		case []any:
			for _, it := range x {
				s, err := scalar(key, it)
				if err != nil {
					return nil, err
				}
				items = append(items, s)
			}
		default:
			s, err := scalar(key, x)
			if err != nil {
				return nil, err
			}
			for _, part := range strings.Split(s, ",") {
				if part = strings.TrimSpace(part); part != "" {
					items = append(items, part)
				}
			}
		}
		return items, nil
	default:
		return scalar(key, v)
	}
}

// scalar is a YAML scalar as text (a seed or a shard written as a number stays usable).
func scalar(key string, v any) (string, error) {
	switch x := v.(type) {
	case string:
		return x, nil
	case int, int64, uint64, float64, bool:
		return fmt.Sprint(x), nil
	}
	return "", fmt.Errorf("%s: want a single value, not a list or a mapping", key)
}

// baseFlag unwraps an altsrc flag to the urfave/cli flag inside, whose type says what values
// it takes.
func baseFlag(f cli.Flag) cli.Flag {
	switch x := f.(type) {
	case *altsrc.StringFlag:
		return x.StringFlag
	case *altsrc.StringSliceFlag:
		return x.StringSliceFlag
	case *altsrc.IntFlag:
		return x.IntFlag
	case *altsrc.Int64Flag:
		return x.Int64Flag
	case *altsrc.DurationFlag:
		return x.DurationFlag
	case *altsrc.BoolFlag:
		return x.BoolFlag
	}
	return f
}
