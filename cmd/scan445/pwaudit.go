package main

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strconv"
	"strings"

	"github.com/urfave/cli/v2"
	"github.com/urfave/cli/v2/altsrc"

	"github.com/scan445/scan445/smbprobe"
	"github.com/scan445/scan445/smbprobe/pwaudit"
)

// The weak-password audit's flags. --password-audit and --audit-budget are command line only
// (plain cli flags: the config loader refuses their keys, refusePasswordAuditElsewhere their
// variables): failed logons that move accounts towards lockout must be asked for by the person
// running the scan, where they see it, never inherited from a shared file or environment.
func passwordAuditFlags() []cli.Flag {
	return []cli.Flag{
		&cli.BoolFlag{Name: "password-audit", Usage: "ALSO try the Conficker password list (and --password-list) against every account, " +
			"within the lockout policy read first over SAMR (needs --user, an administrator); makes failed logons; command line only"},
		altsrc.NewStringFlag(&cli.StringFlag{Name: "password-list", EnvVars: envs("password-list"),
			Usage: "with --password-audit: also try the passwords in `FILE` (one a line, # comments), before the Conficker list"}),
		&cli.IntFlag{Name: "audit-budget", Value: pwaudit.NoBudget,
			Usage: "with --password-audit: at most `N` failed logons per account (lowers the lockout-derived budget; the only way to audit when the policy cannot be read); command line only"},
	}
}

// refusePasswordAuditElsewhere makes the audit command-line only, like --intrusive.
func refusePasswordAuditElsewhere() error {
	// The variables a user might expect to work; they are refused.
	for _, v := range []string{"SCAN445_PASSWORD_AUDIT", "SCAN445_AUDIT_BUDGET"} {
		if _, set := os.LookupEnv(v); set {
			return usagef("%s is set, but the weak-password audit (it makes failed logons on every account) is only enabled by --password-audit and --audit-budget on the command line; unset %s", v, v)
		}
	}
	return nil
}

// readPasswordAudit validates the audit flags against the selected checks and the account,
// and loads the lists. checks is updated: --password-audit adds the weak-password check.
func readPasswordAudit(c *cli.Context, p *probeSettings) error {
	on := c.Bool("password-audit")
	selected := contains(p.checks, smbprobe.CheckWeakPassword)
	switch {
	case !on && selected:
		return fmt.Errorf("--checks %s makes failed logons on every account (class %s): it runs only with --password-audit on the command line",
			smbprobe.CheckWeakPassword, smbprobe.ClassAuthAttempts)
	case !on && c.String("password-list") != "":
		return errors.New("--password-list needs --password-audit")
	case !on && c.Int("audit-budget") != pwaudit.NoBudget:
		return errors.New("--audit-budget needs --password-audit")
	case !on:
		return nil
	case p.cred == nil:
		return errors.New("--password-audit needs an administrator account (--user with --password-env or --password-file) to read the account list and lockout policy")
	case c.Int("audit-budget") < pwaudit.NoBudget:
		return fmt.Errorf("--audit-budget %d: want 0 or more", c.Int("audit-budget"))
	}
	var lists []pwaudit.List
	if path := c.String("password-list"); path != "" {
		l, err := pwaudit.LoadListFile(path)
		if err != nil {
			return fmt.Errorf("--password-list: %s", strings.TrimPrefix(err.Error(), "pwaudit: "))
		}
		lists = append(lists, l)
	}
	lists = append(lists, pwaudit.ConfickerList())
	p.audit = &smbprobe.PasswordAudit{Lists: lists, Budget: c.Int("audit-budget")}
	if !selected {
		checks, err := smbprobe.ParseChecks(strings.Join(append(append([]string(nil), p.checks...), smbprobe.CheckWeakPassword), ","))
		if err != nil {
			return err
		}
		p.checks = checks
	}
	return nil
}

// passwordAuditWarning is the loud line --password-audit prints on stderr and records in the
// report's warnings.
func passwordAuditWarning(a *smbprobe.PasswordAudit, log *slog.Logger) string {
	budget := "derived from each host's lockout policy (threshold − 2; none where it cannot be read; " + strconv.Itoa(pwaudit.NoLockoutCap) + " where accounts never lock)"
	if a.Budget != pwaudit.NoBudget {
		budget = fmt.Sprintf("at most %d, and below threshold − 2 where the policy is read", a.Budget)
	}
	var names []string
	for _, l := range a.Lists {
		names = append(names, l.String())
	}
	if log != nil {
		log.Warn("password audit enabled", "check", smbprobe.CheckWeakPassword, "lists", strings.Join(names, ", "))
	}
	return "--password-audit: logging on to every enumerated account with the passwords of " + strings.Join(names, " and ") +
		"; failed logons per account per lockout window: " + budget +
		". Each failure is in the host's security log and counts towards lockout. Findings name the list entry (list#index), never the password."
}

// describePasswordAudit records the audit in the report's options.
func describePasswordAudit(a *smbprobe.PasswordAudit, o map[string]string) {
	if a == nil {
		o["password_audit"] = "false"
		return
	}
	o["password_audit"] = "true"
	var names []string
	for _, l := range a.Lists {
		names = append(names, l.String())
	}
	o["password_lists"] = strings.Join(names, ", ")
	if a.Budget != pwaudit.NoBudget {
		o["audit_budget"] = strconv.Itoa(a.Budget)
	}
}
