package main

import (
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/urfave/cli/v2"
	"github.com/urfave/cli/v2/altsrc"

	"github.com/scan445/scan445/scanner"
	"github.com/scan445/scan445/smbprobe"
	"github.com/scan445/scan445/smbprobe/credcheck"
	"github.com/scan445/scan445/smbprobe/p2p"
)

// probeSettings selects the SMB checks.
type probeSettings struct {
	connectOnly bool     // --checks none: connect results only
	checks      []string // resolved check ids, report order
	intrusive   bool
	cred        *credcheck.Credentials  // --user with a secret from the environment or a file
	p2pTime     time.Time               // zero: now
	audit       *smbprobe.PasswordAudit // --password-audit (pwaudit.go)
}

// probeFlags are the credential and P2P-clock flags. A secret is never a flag value: it comes
// from an environment variable or a file, so it cannot leak into ps, shell history or a report.
func probeFlags() []cli.Flag {
	str := func(name, usage string) cli.Flag {
		return altsrc.NewStringFlag(&cli.StringFlag{Name: name, Usage: usage, EnvVars: envs(name)})
	}
	return []cli.Flag{
		str("user", "account for the credentialed MS08-067 check: DOMAIN\\name, name@domain or name"),
		str("password-env", "read the account's password from environment variable `VAR`"),
		str("password-file", "read the account's password from `FILE` (one line)"),
		altsrc.NewBoolFlag(&cli.BoolFlag{Name: "ntlm-hash", EnvVars: envs("ntlm-hash"),
			Usage: "the secret from --password-env/--password-file is an NT hash (32 hex digits or LM:NT), for pass-the-hash"}),
		str("p2p-time", "compute Conficker P2P ports for this RFC 3339 `TIME` (hosts with a wrong clock)"),
		altsrc.NewIntFlag(&cli.IntFlag{Name: "p2p-week", Value: -1, EnvVars: envs("p2p-week"),
			Usage: "compute Conficker P2P ports for this week number (see scan445 conficker-ports)"}),
	}
}

// readCredentials builds the account, reading the secret from where the flags say. Errors
// name the variable or file, never the secret.
func readCredentials(c *cli.Context) (*credcheck.Credentials, error) {
	user := c.String("user")
	env, file := c.String("password-env"), c.String("password-file")
	if user == "" {
		if env != "" || file != "" || c.Bool("ntlm-hash") {
			return nil, fmt.Errorf("--password-env, --password-file and --ntlm-hash need --user")
		}
		return nil, nil
	}
	cred, err := credcheck.ParseUser(user)
	if err != nil {
		return nil, fmt.Errorf("--user: %w", err)
	}
	if env == "" && file == "" {
		return nil, fmt.Errorf("--user needs --password-env VAR or --password-file FILE (never a password on the command line)")
	}
	secret, err := credcheck.LoadPassword(env, file)
	if err != nil {
		return nil, err
	}
	if c.Bool("ntlm-hash") {
		if cred.NTHash, err = credcheck.ParseHash(secret); err != nil {
			return nil, err
		}
	} else {
		cred.Password = secret
	}
	return &cred, nil
}

func readProbeSettings(c *cli.Context) (probeSettings, error) {
	spec := strings.Join(c.StringSlice("checks"), ",")
	p := probeSettings{intrusive: c.Bool("intrusive")}
	if strings.EqualFold(strings.TrimSpace(spec), "none") {
		if p.intrusive {
			return p, fmt.Errorf("--intrusive needs the ms08-067 check, but --checks is none")
		}
		p.connectOnly = true
		return p, nil
	}
	checks, err := smbprobe.ParseChecks(spec)
	if err != nil {
		return p, fmt.Errorf("--checks: %s", plainCause(err))
	}
	p.checks = checks
	if p.cred, err = readCredentials(c); err != nil {
		return p, errors.New(plainCause(err))
	}
	if p.cred != nil && defaultSelection(spec) {
		// An account given with the default selection also runs the credentialed-only checks
		// (autorun-enabled); an explicit --checks list is taken as written.
		p.checks = smbprobe.WithCredentialed(p.checks)
	}
	if ts := c.String("p2p-time"); ts != "" {
		if p.p2pTime, err = time.Parse(time.RFC3339, ts); err != nil {
			return p, fmt.Errorf("--p2p-time %q: want RFC 3339, e.g. 2026-11-27T12:00:00Z", ts)
		}
	}
	if w := c.Int("p2p-week"); w >= 0 {
		if !p.p2pTime.IsZero() {
			return p, fmt.Errorf("give --p2p-time or --p2p-week, not both")
		}
		p.p2pTime = p2p.WeekStart(uint32(w))
	}
	if err := readPasswordAudit(c, &p); err != nil {
		return p, err
	}
	if p.intrusive && !contains(checks, smbprobe.CheckMS08067) {
		return p, fmt.Errorf("--intrusive runs the MS08-067 probe, but --checks does not include %s", smbprobe.CheckMS08067)
	}
	return p, nil
}

// defaultSelection reports whether a --checks value means the default set.
func defaultSelection(spec string) bool {
	switch strings.ToLower(strings.TrimSpace(spec)) {
	case "", "safe", "all", "default":
		return true
	}
	return false
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func newProber(p probeSettings, e scanner.Config, log *slog.Logger) (scanner.Prober, []string, error) {
	if p.connectOnly {
		return nil, nil, nil
	}
	opts := smbprobe.Options{Checks: p.checks, Intrusive: p.intrusive, ReadTimeout: e.Timeout, Credentials: p.cred, PasswordAudit: p.audit}
	if !p.p2pTime.IsZero() {
		at := p.p2pTime
		opts.Now = func() time.Time { return at }
	}
	pr, err := smbprobe.New(opts)
	if err != nil {
		return nil, nil, err
	}
	var warnings []string
	if p.intrusive {
		warnings = append(warnings,
			"--intrusive: the MS08-067 NetprPathCompare probe WILL CRASH many unpatched Windows 2000/XP/2003 hosts "+
				"(nmap measured 52 crashes in 82 vulnerable hosts). Run it only on hosts you own, in a maintenance window.")
		if log != nil {
			log.Warn("intrusive checks enabled", "check", smbprobe.CheckMS08067)
		}
	}
	if p.audit != nil {
		warnings = append(warnings, passwordAuditWarning(p.audit, log))
	}
	return pr, warnings, nil
}

func (p probeSettings) describe(o map[string]string) {
	if p.connectOnly {
		o["checks"] = "none"
	} else {
		o["checks"] = strings.Join(p.checks, ",")
	}
	o["intrusive"] = strconv.FormatBool(p.intrusive)
	describePasswordAudit(p.audit, o)
	if p.cred != nil {
		o["credentialed_as"] = p.cred.Account() // the account only, never the secret
	}
	if !p.p2pTime.IsZero() {
		o["p2p_time"] = p.p2pTime.UTC().Format(time.RFC3339)
	}
}
