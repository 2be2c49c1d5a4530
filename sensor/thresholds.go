package sensor

import (
	"fmt"
	"strconv"
	"time"
)

// Thresholds decide when a source's numbers make a conficker-scanning finding. A source is
// judged on its peak, so a finding, once reached, stays for the run.
//
// The defaults, and why:
//   - Window 10m: Conficker scans a few addresses per second for as long as it runs, so ten
//     minutes hold thousands of attempts from an infected host and a handful from anyone else.
//   - InfectedDistinct 20: twenty distinct addresses on 445 within the window is a sweep; a
//     workstation talks SMB to its file servers and domain controllers, rarely more than five.
//   - SuspectDistinct 8: between the two, someone should look (a management server, a backup
//     job, an inventory scanner): verdict unknown, with the numbers.
//   - InfectedDark 2: nobody has a reason to open 445 on two addresses nobody holds.
//   - SuspectDarkAttempts 10: one dark address hit again and again (a mistyped drive mapping
//     retries too: 3 SYNs to each of 445 and 139 per try, hence 10, not 1).
type Thresholds struct {
	Window              time.Duration
	InfectedDistinct    int
	SuspectDistinct     int
	InfectedDark        int
	SuspectDarkAttempts int64
}

// DefaultThresholds returns the documented defaults.
func DefaultThresholds() Thresholds {
	return Thresholds{
		Window:              10 * time.Minute,
		InfectedDistinct:    20,
		SuspectDistinct:     8,
		InfectedDark:        2,
		SuspectDarkAttempts: 10,
	}
}

// Validate rejects thresholds that cannot work, in plain words.
func (t Thresholds) Validate() error {
	switch {
	case t.Window < time.Second:
		return fmt.Errorf("scanning window %s: must be at least 1s", t.Window)
	case t.InfectedDistinct < 1:
		return fmt.Errorf("infected distinct-destination threshold %d: must be at least 1", t.InfectedDistinct)
	case t.SuspectDistinct < 1 || t.SuspectDistinct > t.InfectedDistinct:
		return fmt.Errorf("suspect distinct-destination threshold %d: must be between 1 and the infected threshold %d", t.SuspectDistinct, t.InfectedDistinct)
	case t.InfectedDark < 1:
		return fmt.Errorf("infected dark-destination threshold %d: must be at least 1", t.InfectedDark)
	case t.SuspectDarkAttempts < 1:
		return fmt.Errorf("suspect dark-attempt threshold %d: must be at least 1", t.SuspectDarkAttempts)
	}
	return nil
}

// Map names the thresholds for the report.
func (t Thresholds) Map() map[string]string {
	return map[string]string{
		"window":                t.Window.String(),
		"infected_distinct":     strconv.Itoa(t.InfectedDistinct),
		"suspect_distinct":      strconv.Itoa(t.SuspectDistinct),
		"infected_dark":         strconv.Itoa(t.InfectedDark),
		"suspect_dark_attempts": strconv.FormatInt(t.SuspectDarkAttempts, 10),
	}
}

// Level is how a source's scanning is judged.
type Level int

// The levels, in increasing order.
const (
	LevelNone     Level = iota // nothing to report
	LevelSuspect               // verdict unknown: someone should look
	LevelInfected              // verdict infected
)

// judge applies the thresholds to a source's peak numbers; rule and reason say which one
// decided, with the numbers.
func (t Thresholds) judge(peakWindow, dark int, darkAttempts int64) (lvl Level, rule, reason string) {
	switch {
	case peakWindow >= t.InfectedDistinct:
		return LevelInfected, "conficker-scanning/distinct",
			fmt.Sprintf("%d distinct destinations on TCP/445 within %s (threshold %d)", peakWindow, t.Window, t.InfectedDistinct)
	case dark >= t.InfectedDark:
		return LevelInfected, "conficker-scanning/dark",
			fmt.Sprintf("%d dark destinations (addresses nobody holds) contacted on TCP/445 (threshold %d)", dark, t.InfectedDark)
	case peakWindow >= t.SuspectDistinct:
		return LevelSuspect, "conficker-scanning/suspect-distinct",
			fmt.Sprintf("suspect: %d distinct destinations on TCP/445 within %s (suspect at %d, infected at %d)", peakWindow, t.Window, t.SuspectDistinct, t.InfectedDistinct)
	case dark >= 1 && darkAttempts >= t.SuspectDarkAttempts:
		return LevelSuspect, "conficker-scanning/suspect-dark",
			fmt.Sprintf("suspect: %d attempts to %d dark destination(s) (suspect at %d attempts, infected at %d dark destinations)", darkAttempts, dark, t.SuspectDarkAttempts, t.InfectedDark)
	}
	return LevelNone, "", ""
}
