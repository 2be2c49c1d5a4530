package pwaudit

import (
	"fmt"
	"time"

	"github.com/scan445/scan445/smbprobe/ntstatus"
)

// Policy is the account lockout policy of the audited SAM (DOMAIN_LOCKOUT_INFORMATION).
type Policy struct {
	// Known is false when the policy could not be read; Reason then says why.
	Known     bool          `json:"known"`
	Reason    string        `json:"reason,omitempty"`
	Threshold int           `json:"threshold"`          // failed logons that lock an account; 0: never locks
	Window    time.Duration `json:"observation_window"` // the failures counted are those within it
	Duration  time.Duration `json:"lockout_duration"`   // how long a lockout lasts; 0: until an admin unlocks
}

// String describes the policy in a report's words.
func (p Policy) String() string {
	switch {
	case !p.Known:
		return "lockout policy unknown (" + p.Reason + ")"
	case p.Threshold == 0:
		return "no account lockout (threshold 0)"
	}
	dur := "until an administrator unlocks it"
	if p.Duration > 0 {
		dur = "for " + p.Duration.String()
	}
	return fmt.Sprintf("an account locks after %d failed logons within %s, %s", p.Threshold, p.Window, dur)
}

// LockoutMargin is how many failed attempts below the threshold the audit's budget stays,
// after the account's own counter (badPwdCount, read over SAMR) where it could be read. An
// account locks when its count reaches the threshold, so the audit ends two below it, and
// one failure it cannot see (a typo between the read and the attempts, or any earlier one
// where the counter could not be read) still leaves it one below.
const LockoutMargin = 2

// NoLockoutCap is the default budget where accounts never lock (threshold 0): enough to find
// the passwords a worm finds first, few enough that an audit never floods the security log
// with failures. --audit-budget overrides it.
const NoLockoutCap = 20

// NoBudget means no explicit budget was given (--audit-budget absent).
const NoBudget = -1

// Budget is the number of failed logons the audit may spend on one account within one
// observation window, and why. explicit is --audit-budget (NoBudget when absent); prior is
// the account's failures already counted in the current window (its badPwdCount), or -1 when
// unknown. The rules, in order:
//
//   - policy unknown: explicit if given, else 0 (no attempts at all);
//   - threshold 0 (no lockout): explicit if given, else NoLockoutCap;
//   - otherwise threshold − LockoutMargin − prior (prior unknown counts as 0: the margin is
//     there for it), never below 0, and an explicit budget can only lower it.
func Budget(p Policy, explicit, prior int) (int, string) {
	switch {
	case !p.Known && explicit >= 0:
		return explicit, fmt.Sprintf("lockout policy unknown: explicit --audit-budget %d", explicit)
	case !p.Known:
		return 0, "lockout policy unknown and no --audit-budget: no attempts"
	case p.Threshold <= 0 && explicit >= 0:
		return explicit, fmt.Sprintf("no lockout: explicit --audit-budget %d", explicit)
	case p.Threshold <= 0:
		return NoLockoutCap, fmt.Sprintf("no lockout: default cap %d", NoLockoutCap)
	}
	n := p.Threshold - LockoutMargin
	why := fmt.Sprintf("threshold %d − %d", p.Threshold, LockoutMargin)
	if prior > 0 {
		n -= prior
		why += fmt.Sprintf(" − %d earlier failures", prior)
	} else if prior < 0 {
		why += " (earlier failures unknown)"
	}
	if explicit >= 0 && explicit < n {
		n = explicit
		why += fmt.Sprintf(", lowered to --audit-budget %d", explicit)
	}
	if n < 0 {
		n = 0
	}
	return n, fmt.Sprintf("%s = %d per %s window", why, n, p.Window)
}

// Outcome is what one logon attempt says about the account.
type Outcome int

const (
	// Rejected: the password is wrong (STATUS_LOGON_FAILURE, STATUS_WRONG_PASSWORD); counts
	// against the budget.
	Rejected Outcome = iota
	// Accepted: the password is right. An expired or must-change password is still the
	// account's password, so those statuses count too.
	Accepted
	// Stop: the account is locked, disabled, expired or restricted — any sign that going on
	// could lock it or that its state is not what the budget assumed. The attempt counts as
	// a failure.
	Stop
	// Unclear: any other answer; counts as a failure and stops the account (we cannot tell
	// whether the server counted it).
	Unclear
)

// NTSTATUS values of a logon that Classify knows and package ntstatus does not name.
const (
	statusAccountExpired     ntstatus.Status = 0xC0000193
	statusInvalidLogonHours  ntstatus.Status = 0xC000006F
	statusInvalidWorkstation ntstatus.Status = 0xC0000070
)

// Classify reads a session setup's NTSTATUS.
func Classify(st ntstatus.Status) Outcome {
	switch st {
	case ntstatus.Success, ntstatus.PasswordExpired, ntstatus.PasswordMustChange:
		return Accepted
	case ntstatus.LogonFailure, ntstatus.WrongPassword:
		return Rejected
	case ntstatus.AccountLockedOut, ntstatus.AccountDisabled, ntstatus.AccountRestriction,
		statusAccountExpired, statusInvalidLogonHours, statusInvalidWorkstation, ntstatus.NoSuchUser:
		return Stop
	}
	return Unclear
}
