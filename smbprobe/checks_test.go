package smbprobe

import (
	"context"
	"net"
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/scan445/scan445/smbprobe/smblab"
)

func mustPlan(t testing.TB, ids ...string) plan {
	t.Helper()
	return mustPlanOf(t, checkTable(), ids...)
}

// TestNeedsMatchTheFlow pins what each check alone makes the flow do, as the hand-kept
// need-lists of probe.go said before they were derived from the table.
func TestNeedsMatchTheFlow(t *testing.T) {
	tests := []struct {
		id                       string
		smb, smb1, ipc, pipe     bool
		info, hook, honey, peek  bool
		p2p, cred, intrusiveStep bool
		registry                 bool
	}{
		{id: CheckMS08067, smb: true, smb1: true, ipc: true, pipe: true, info: true, honey: true, cred: true, intrusiveStep: true},
		{id: CheckConficker, smb: true, smb1: true, ipc: true, pipe: true, info: true, hook: true, honey: true},
		{id: CheckConfickerP2P, p2p: true},
		{id: CheckMS17010, smb: true, smb1: true, ipc: true, peek: true},
		{id: CheckSMBv1, smb: true, smb1: true},
		{id: CheckSigning, smb: true, smb1: true},
		{id: CheckNullSession, smb: true, smb1: true, ipc: true},
		{id: CheckSrvsvcAnon, smb: true, smb1: true, ipc: true, pipe: true, info: true},
		{id: CheckOSUnsupported, smb: true, smb1: true, ipc: true, pipe: true, info: true},
		{id: CheckAutorun, smb: true, smb1: true, registry: true},
		{id: CheckWeakPassword, smb: true},
	}
	if len(tests) != len(checkTable()) {
		t.Fatalf("%d rows pinned, table has %d", len(tests), len(checkTable()))
	}
	for _, tt := range tests {
		r := &run{sel: mustPlan(t, tt.id)}
		got := []bool{r.anySMBCheck(), r.needSMB1(), r.needIPC(), r.needPipe(),
			r.sel.wants(stepServerInfo), r.sel.wants(stepHook), r.sel.wants(stepHoneypot), r.sel.wants(stepPeek),
			r.sel.wants(stepP2P), r.sel.wants(stepCredRead), r.sel.wants(stepIntrusive), r.sel.wants(stepRegistry)}
		want := []bool{tt.smb, tt.smb1, tt.ipc, tt.pipe, tt.info, tt.hook, tt.honey, tt.peek, tt.p2p, tt.cred, tt.intrusiveStep, tt.registry}
		if !slices.Equal(got, want) {
			t.Errorf("%s: needs/steps %v, want %v", tt.id, got, want)
		}
	}
}

// TestTableRows: every row is complete and ids are unique.
func TestTableRows(t *testing.T) {
	seen := map[string]bool{}
	for _, c := range checkTable() {
		if c.ID == "" || c.Title == "" || c.Class == "" || c.Category == "" || c.judge == nil {
			t.Errorf("incomplete row %+v", c.CheckInfo)
		}
		if seen[c.ID] {
			t.Errorf("duplicate id %s", c.ID)
		}
		seen[c.ID] = true
		if c.needs&needPipe != 0 && c.needs&needIPC == 0 {
			t.Errorf("%s needs a pipe but not IPC$", c.ID)
		}
	}
}

// truthGaps lists what the lab's truth tables miss or have in excess against a check table.
func truthGaps(table []checkDef, ps []smblab.Personality) []string {
	var gaps []string
	for _, p := range ps {
		for _, id := range ids(table) {
			if _, ok := p.Truth[id]; !ok {
				gaps = append(gaps, p.Name+": no truth for "+id)
			}
		}
		for id := range p.Truth {
			if _, ok := lookup(table, id); !ok {
				gaps = append(gaps, p.Name+": truth for "+id+", which is not a check")
			}
		}
	}
	slices.Sort(gaps)
	return gaps
}

// TestLabTruthCoversEveryCheck: every personality's truth table names every check of the
// table, and nothing else; the lab's own list of ids is the table's, in report order.
func TestLabTruthCoversEveryCheck(t *testing.T) {
	if g := truthGaps(checkTable(), smblab.DefaultPersonalities()); len(g) > 0 {
		t.Errorf("truth tables out of step with the check table:\n%s", strings.Join(g, "\n"))
	}
	if got, want := smblab.Checks(), CheckIDs(); !slices.Equal(got, want) {
		t.Errorf("smblab.Checks() = %v, want the table's %v", got, want)
	}
}

// TestFakeCheckFlowsThrough adds a row to the table — nothing else — and sees it flow through
// --checks parsing and help, the need-lists, the judge loop and the lab's truth tables: the
// fake check alone must make the flow reach srvsvc, and its verdicts must match a truth the
// lab tables gain for it.
func TestFakeCheckFlowsThrough(t *testing.T) {
	const id = "fake-srvsvc-bound"
	fake := checkDef{
		CheckInfo: CheckInfo{ID: id, Title: "a fake check: srvsvc bound anonymously", Class: ClassSafe, Category: CategoryCompliance},
		needs:     needSMB | needSMB1 | needIPC | needPipe,
		judge: func(r *run) Finding {
			f := r.judgeSrvsvc()
			return r.finding(id, f.Verdict, f.Severity, "fake", f.Reason, f.Evidence)
		},
	}
	table := append(checkTable(), fake)

	if !strings.Contains(checksUsage(table), id) {
		t.Errorf("help does not name the fake check: %s", checksUsage(table))
	}
	sel, err := parseChecks(table, id)
	if err != nil || !slices.Equal(sel, []string{id}) {
		t.Fatalf("parseChecks(%q) = %v, %v", id, sel, err)
	}
	if def := defaultIDs(table); !slices.Contains(def, id) {
		t.Errorf("the fake safe check is not in the default set %v", def)
	}
	r := &run{sel: mustPlanOf(t, table, id)}
	if !r.anySMBCheck() || !r.needSMB1() || !r.needIPC() || !r.needPipe() {
		t.Errorf("need-lists ignore the fake check")
	}

	ps := smblab.DefaultPersonalities()
	if g := truthGaps(table, ps); len(g) != len(ps) || !strings.Contains(g[0], "no truth for "+id) {
		t.Errorf("truth coverage does not flag the fake check's missing truth: %v", g)
	}
	var wellBehaved []smblab.Personality
	for _, p := range ps {
		if p.Hostile != smblab.HostileNone || p.Nmap.Unreliable {
			continue
		}
		p.Truth[id] = p.Truth[CheckSrvsvcAnon] // the fake judge is srvsvc-anonymous's
		wellBehaved = append(wellBehaved, p)
	}
	if g := truthGaps(table, wellBehaved); len(g) > 0 {
		t.Errorf("gaps left: %v", g)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	lab, err := smblab.Start(ctx, smblab.Options{First: netip.MustParseAddr("127.47.12.1"), Personalities: wellBehaved, IdleTimeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer lab.Close()
	p, err := newProber(Options{Checks: []string{id}, ReadTimeout: 1500 * time.Millisecond}, table)
	if err != nil {
		t.Fatal(err)
	}
	var d net.Dialer
	if len(lab.Hosts()) != len(wellBehaved) || len(wellBehaved) < 10 {
		t.Fatalf("lab serves %d hosts for %d well-behaved personalities", len(lab.Hosts()), len(wellBehaved))
	}
	exposed := 0
	for _, h := range lab.Hosts() {
		pers, _ := lab.Personality(h.Addr)
		conn, err := d.DialContext(ctx, "tcp", h.AddrPort().String())
		if err != nil {
			t.Fatal(err)
		}
		res := p.Probe(ctx, h.AddrPort(), conn, d.DialContext)
		if len(res.Findings) != 1 || res.Findings[0].Check != id {
			t.Fatalf("%s: findings %+v, want one for %s", pers.Name, res.Findings, id)
		}
		f := res.Findings[0]
		if !pers.Accepts(id, smblab.Verdict(f.Verdict)) {
			t.Errorf("%s: %s got %s (%s), truth %s", pers.Name, id, f.Verdict, f.Reason, pers.Truth[id])
		}
		if f.Verdict == Exposed {
			exposed++
		}
		if f.Title != fake.Title || f.Rule != id+"/fake" {
			t.Errorf("%s: finding metadata %q %q not from the fake row", pers.Name, f.Title, f.Rule)
		}
	}
	// Exposed needs srvsvc bound: proof that the fake check alone drove the flow to the pipe.
	if exposed == 0 {
		t.Error("no host came out exposed: the flow never reached srvsvc for the fake check")
	}
}

func mustPlanOf(t testing.TB, table []checkDef, ids ...string) plan {
	t.Helper()
	p, err := newPlan(table, ids)
	if err != nil {
		t.Fatal(err)
	}
	return p
}
