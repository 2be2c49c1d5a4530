package smbprobe

import (
	"errors"
	"fmt"
	"strings"
)

// ErrUnknownCheck is returned by ParseChecks for an id that is not in the table.
var ErrUnknownCheck = errors.New("smbprobe: unknown check")

// Check identifiers. They appear in reports and in --checks, so they never change.
const (
	CheckMS08067       = "ms08-067"
	CheckConficker     = "conficker"
	CheckConfickerP2P  = "conficker-p2p"
	CheckMS17010       = "ms17-010"
	CheckSMBv1         = "smbv1-enabled"
	CheckSigning       = "signing-not-required"
	CheckNullSession   = "anonymous-ipc"
	CheckSrvsvcAnon    = "srvsvc-anonymous"
	CheckOSUnsupported = "os-unsupported"
	CheckAutorun       = "autorun-enabled"
)

// CheckInfo describes one check: what it is, how risky, what it is about. It is the public
// view of a row of the check table (checkTable).
type CheckInfo struct {
	ID       string
	Title    string
	CVE      []string
	Class    Class
	Category Category
}

// need is what a check needs from the SMB session before its exchanges can run. The flow
// (flow.go, session1.go, session2.go) asks the selected checks, never a list of check ids.
type need uint8

const (
	// needSMB: a NEGOTIATE answer (dialects, SecurityMode).
	needSMB need = 1 << iota
	// needSMB1: an SMB1 connection; on an SMB2-preferring host, a second connection offering
	// NT LM 0.12 alone.
	needSMB1
	// needIPC: an anonymous session and a TREE_CONNECT to IPC$.
	needIPC
	// needPipe: a pipe bound to srvsvc (\browser, then \srvsvc).
	needPipe
	// needCredentials: the account of Options.Credentials, when one was given (a second
	// connection, logged on as it).
	needCredentials
)

// step is one exchange a check asks for beyond its session needs. A step shared by several
// checks is sent once; the flow runs it where the session allows (rpc.go, session1.go,
// credentialed.go, probe.go).
type step uint16

const (
	stepServerInfo    step = 1 << iota // srvsvc NetrServerGetInfo level 101
	stepHook                           // srvsvc NetprPathCanonicalize of `\..\` and `\` (Conficker's hook)
	stepHoneypot                       // srvsvc NetprPathCompare of two different safe paths
	stepPeek                           // SMB1 TRANSACTION PeekNamedPipe on FID 0
	stepP2P                            // the Conficker P2P hello on the derived ports
	stepCredRead                       // the credentialed netapi32.dll version read over ADMIN$
	stepIntrusive                      // the classic NetprPathCompare probe, only with Options.Intrusive
	stepPasswordAudit                  // the weak-password audit (weakpw.go), only with Options.PasswordAudit
	stepRegistry                       // the credentialed winreg read (registry.go), only with Options.Credentials
)

// checkDef is one row of the check table: the check's metadata, what it needs from the
// session, the exchange steps it asks for, and its judge, a pure function of the facts the
// exchanges established.
type checkDef struct {
	CheckInfo
	needs need
	steps step
	judge func(*run) Finding
	// judgeAll, when set, replaces judge for a check that reports one finding per subject
	// (Finding.Subject): weak-password's per account.
	judgeAll func(*run) []Finding
}

// needSession is what every check reading the anonymous session needs: a NEGOTIATE, SMB1 where
// the host has it, and the null session's IPC$ tree.
const needSession = needSMB | needSMB1 | needIPC

// checkTable is the table of checks in report order, a fresh copy each call (no package
// state, no init registration). Each row comes from the check's own file (ms08.go,
// conficker.go, p2pcheck.go, ms17.go, compliance.go): its metadata, what it needs from the
// session, the exchange steps it asks for, and its judge. Adding a check is its file, its id
// constant and one line here, its lab behaviour (smblab's truth tables, keyed by id) and its
// tests; need-lists, the judge loop, --checks and its help, and the README's check table all
// follow from this slice.
func checkTable() []checkDef {
	return []checkDef{
		ms08Row(), confickerRow(), p2pRow(), ms17Row(),
		smbv1Row(), signingRow(), anonIPCRow(), srvsvcAnonRow(), osUnsupportedRow(),
		autorunRow(),
		weakPasswordRow(),
	}
}

// Checks returns the public view of the check table in report order, a fresh copy each call.
func Checks() []CheckInfo { return infos(checkTable()) }

func infos(table []checkDef) []CheckInfo {
	out := make([]CheckInfo, 0, len(table))
	for _, c := range table {
		out = append(out, c.CheckInfo)
	}
	return out
}

// checkInfo returns the table entry of id.
func checkInfo(id string) (CheckInfo, bool) {
	d, ok := lookup(checkTable(), id)
	return d.CheckInfo, ok
}

func lookup(table []checkDef, id string) (checkDef, bool) {
	for _, c := range table {
		if c.ID == id {
			return c, true
		}
	}
	return checkDef{}, false
}

// DefaultChecks is every safe check, in report order.
func DefaultChecks() []string { return defaultIDs(checkTable()) }

func defaultIDs(table []checkDef) []string {
	var ids []string
	for _, c := range table {
		if c.Class == ClassSafe {
			ids = append(ids, c.ID)
		}
	}
	return ids
}

// WithCredentialed returns ids plus every credentialed-only check of the table (class
// credentialed), in report order: what the default selection becomes when the admin gives an
// account, so --user alone turns the registry checks on.
func WithCredentialed(ids []string) []string {
	want := map[string]bool{}
	for _, id := range ids {
		want[id] = true
	}
	var out []string
	for _, c := range checkTable() {
		if want[c.ID] || c.Class == ClassCredentialed {
			out = append(out, c.ID)
		}
	}
	return out
}

// CheckIDs returns every check id in report order.
func CheckIDs() []string { return ids(checkTable()) }

func ids(table []checkDef) []string {
	out := make([]string, 0, len(table))
	for _, c := range table {
		out = append(out, c.ID)
	}
	return out
}

// ChecksUsage is the help text of a --checks flag, naming every check of the table. The
// caller adds its own spellings (scan445's "none").
func ChecksUsage() string { return checksUsage(checkTable()) }

func checksUsage(table []checkDef) string {
	return "checks to run, comma-separated: " + strings.Join(ids(table), ", ") + "; safe (every safe check, the default)"
}

// ParseChecks reads a --checks value: a comma-separated list of check ids, "safe" or "all"
// (both mean DefaultChecks), "" meaning the default too. Duplicates are dropped and the
// result is in report order, so two spellings of one selection give the same report.
func ParseChecks(spec string) ([]string, error) { return parseChecks(checkTable(), spec) }

func parseChecks(table []checkDef, spec string) ([]string, error) {
	spec = strings.TrimSpace(spec)
	if spec == "" {
		return defaultIDs(table), nil
	}
	want := map[string]bool{}
	for _, part := range strings.Split(spec, ",") {
		id := strings.ToLower(strings.TrimSpace(part))
		switch id {
		case "":
			continue
		case "safe", "all", "default":
			for _, d := range defaultIDs(table) {
				want[d] = true
			}
			continue
		}
		if _, ok := lookup(table, id); !ok {
			return nil, fmt.Errorf("%w %q (known: %s)", ErrUnknownCheck, id, strings.Join(ids(table), ", "))
		}
		want[id] = true
	}
	if len(want) == 0 {
		return nil, fmt.Errorf("%w: empty selection %q", ErrUnknownCheck, spec)
	}
	var out []string
	for _, c := range table {
		if want[c.ID] {
			out = append(out, c.ID)
		}
	}
	return out, nil
}

// plan is the rows of the checks one probe runs, in report order: the flow asks it what the
// session must provide and which steps to send, the judge loop walks it.
type plan []checkDef

// newPlan selects ids from table, in the order given.
func newPlan(table []checkDef, ids []string) (plan, error) {
	p := make(plan, 0, len(ids))
	for _, id := range ids {
		d, ok := lookup(table, id)
		if !ok {
			return nil, fmt.Errorf("%w %q", ErrUnknownCheck, id)
		}
		p = append(p, d)
	}
	return p, nil
}

func (p plan) def(id string) (checkDef, bool) { return lookup(p, id) }

// needs reports whether any selected check needs n from the session.
func (p plan) needs(n need) bool {
	for _, c := range p {
		if c.needs&n != 0 {
			return true
		}
	}
	return false
}

// wants reports whether any selected check asks for step s.
func (p plan) wants(s step) bool {
	for _, c := range p {
		if c.steps&s != 0 {
			return true
		}
	}
	return false
}
