package report

import (
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/scan445/scan445/scanner"
	"github.com/scan445/scan445/smbprobe"
)

// Values of smbprobe.Finding.Baseline.
const (
	BaselineNew       = "new"
	BaselineUnchanged = "unchanged"
)

// Baseline records the comparison with an earlier run.
type Baseline struct {
	Source    string    `json:"source,omitempty"` // file name or label of the earlier report (set by the caller)
	Started   time.Time `json:"started"`          // when the earlier scan started
	New       int       `json:"new"`              // findings now that the baseline lacked
	Unchanged int       `json:"unchanged"`        // findings present in both
	// Fixed: actionable findings of the baseline whose host answered again and now shows the
	// check clear (or no longer reports it at all).
	Fixed []Change `json:"fixed"`
	// Changed: actionable before, still actionable but with another verdict (exposed → infected).
	Changed []Change `json:"changed,omitempty"`
	// Unverified: actionable before, but this run could not tell (host gone, closed, filtered,
	// or the check now unknown). Never counted as fixed.
	Unverified []Change `json:"unverified,omitempty"`
}

// Change is one finding's move between two runs.
type Change struct {
	ID       string            `json:"id"` // the id in the earlier run
	Address  string            `json:"address"`
	Port     int               `json:"port"`
	Check    string            `json:"check"`
	Category smbprobe.Category `json:"category"`
	Severity smbprobe.Severity `json:"severity"`
	Title    string            `json:"title"`
	From     smbprobe.Verdict  `json:"from,omitempty"` // verdict before; empty for a new finding
	To       string            `json:"to,omitempty"`   // verdict now, or the host status when no verdict
}

// DiffResult is what changed between two runs, for `scan445 diff` and ApplyBaseline.
type DiffResult struct {
	New        []Change `json:"new"` // actionable findings absent from the old run
	Fixed      []Change `json:"fixed"`
	Changed    []Change `json:"changed"`
	Unverified []Change `json:"unverified"`
	Unchanged  int      `json:"unchanged"` // actionable findings present in both
}

type located struct {
	host *scanner.HostResult
	f    *smbprobe.Finding
}

// index maps finding ids to findings, and host+check to the findings of that check now.
func index(doc *Document) (byID map[string]located, byCheck map[string][]located, hosts map[string]*scanner.HostResult) {
	byID = map[string]located{}
	byCheck = map[string][]located{}
	hosts = map[string]*scanner.HostResult{}
	if doc == nil {
		return
	}
	for i := range doc.Hosts {
		h := &doc.Hosts[i]
		k := hostKey(h.Address)
		// A merged or hand-edited document may list a host twice: keep the first, as Merge does.
		if _, dup := hosts[k]; !dup {
			hosts[k] = h
		}
		if h.SMB == nil {
			continue
		}
		for j := range h.SMB.Findings {
			f := &h.SMB.Findings[j]
			l := located{h, f}
			byID[FindingID(h.Address, f.Check, f.Verdict)] = l
			byCheck[k+"\x00"+f.Check] = append(byCheck[k+"\x00"+f.Check], l)
		}
	}
	return
}

func changeOf(l located, from smbprobe.Verdict, to string) Change {
	return Change{
		ID:       FindingID(l.host.Address, l.f.Check, l.f.Verdict),
		Address:  l.host.Address,
		Port:     l.host.Port,
		Check:    l.f.Check,
		Category: l.f.Category,
		Severity: l.f.Severity,
		Title:    l.f.Title,
		From:     from,
		To:       to,
	}
}

// Diff compares the actionable findings of two runs. Ids are recomputed rather than trusted,
// so documents written before Finalize, or edited by hand, still compare correctly.
func Diff(old, cur *Document) DiffResult {
	d := DiffResult{New: []Change{}, Fixed: []Change{}, Changed: []Change{}, Unverified: []Change{}}
	oldID, _, _ := index(old)
	curID, curCheck, curHosts := index(cur)
	for id, l := range curID {
		if !Actionable(l.f.Verdict) {
			continue
		}
		if _, ok := oldID[id]; ok {
			d.Unchanged++
			continue
		}
		d.New = append(d.New, changeOf(l, "", string(l.f.Verdict)))
	}
	for id, l := range oldID {
		if !Actionable(l.f.Verdict) {
			continue
		}
		if _, ok := curID[id]; ok {
			continue
		}
		k := hostKey(l.host.Address)
		h := curHosts[k]
		switch {
		case h == nil && cur != nil && cur.Unlisted != nil:
			// A compact report lists the hosts that answered: this one did not, or was not
			// in this run's targets.
			d.Unverified = append(d.Unverified, changeOf(l, l.f.Verdict, "no answer or not scanned"))
		case h == nil:
			d.Unverified = append(d.Unverified, changeOf(l, l.f.Verdict, "not scanned"))
		case h.SMB == nil:
			d.Unverified = append(d.Unverified, changeOf(l, l.f.Verdict, string(h.Status)))
		default:
			now := curCheck[k+"\x00"+l.f.Check]
			d.classify(l, now)
		}
	}
	for _, s := range []*[]Change{&d.New, &d.Fixed, &d.Changed, &d.Unverified} {
		sortChanges(*s)
	}
	return d
}

// classify files a vanished finding by what the same check says now: the worst current
// verdict wins, so "vulnerable then vulnerable+unknown" is never read as fixed.
func (d *DiffResult) classify(old located, now []located) {
	if len(now) == 0 {
		d.Fixed = append(d.Fixed, changeOf(old, old.f.Verdict, "absent"))
		return
	}
	var actionable, undetermined *located
	for i := range now {
		switch VerdictClass(now[i].f.Verdict) {
		case classClear:
		case classUndetermined:
			undetermined = &now[i]
		default:
			actionable = &now[i]
		}
	}
	switch {
	case actionable != nil:
		d.Changed = append(d.Changed, changeOf(old, old.f.Verdict, string(actionable.f.Verdict)))
	case undetermined != nil:
		d.Unverified = append(d.Unverified, changeOf(old, old.f.Verdict, string(undetermined.f.Verdict)))
	default:
		d.Fixed = append(d.Fixed, changeOf(old, old.f.Verdict, string(now[0].f.Verdict)))
	}
}

func sortChanges(cs []Change) {
	sort.Slice(cs, func(i, j int) bool {
		if c := compareHosts(cs[i].Address, cs[i].Port, cs[j].Address, cs[j].Port); c != 0 {
			return c < 0
		}
		if cs[i].Check != cs[j].Check {
			return cs[i].Check < cs[j].Check
		}
		return cs[i].ID < cs[j].ID
	})
}

// ApplyBaseline marks every finding of doc new or unchanged against base and records in
// doc.Baseline what was fixed. Call it after Finalize (it needs the ids).
func ApplyBaseline(doc, base *Document) {
	if doc == nil || base == nil {
		return
	}
	hb := NewHostBaseline(base)
	b := &Baseline{Started: base.Started}
	for i := range doc.Hosts {
		n, u := hb.mark(&doc.Hosts[i])
		b.New += n
		b.Unchanged += u
	}
	d := Diff(base, doc)
	b.Fixed = d.Fixed
	if len(d.Changed) > 0 {
		b.Changed = d.Changed
	}
	if len(d.Unverified) > 0 {
		b.Unverified = d.Unverified
	}
	doc.Baseline = b
}

// HostBaseline marks the findings of single hosts against an earlier run as they finish, the
// way ApplyBaseline marks a whole document: the webhook speaks while the scan runs, long before
// the document exists. A nil *HostBaseline is no baseline.
type HostBaseline struct {
	ids map[string]located // the earlier run's findings by id
}

// NewHostBaseline indexes base (nil: no baseline, and a nil result). base is not modified.
func NewHostBaseline(base *Document) *HostBaseline {
	if base == nil {
		return nil
	}
	ids, _, _ := index(base)
	return &HostBaseline{ids: ids}
}

// mark sets each finding of h new or unchanged and counts them.
func (b *HostBaseline) mark(h *scanner.HostResult) (added, unchanged int) {
	if b == nil || h.SMB == nil {
		return 0, 0
	}
	for j := range h.SMB.Findings {
		f := &h.SMB.Findings[j]
		if _, ok := b.ids[FindingID(h.Address, f.Check, f.Verdict)]; ok {
			f.Baseline = BaselineUnchanged
			unchanged++
		} else {
			f.Baseline = BaselineNew
			added++
		}
	}
	return added, unchanged
}

// Tickets are the tickets of one finished host: every finding needing action, or with a
// baseline only those it lacks. h is not modified.
func (b *HostBaseline) Tickets(h scanner.HostResult) []Ticket {
	one := &Document{Hosts: []scanner.HostResult{cloneHost(h)}}
	Finalize(one)
	if b != nil {
		one.Baseline = &Baseline{}
		b.mark(&one.Hosts[0])
	}
	return Tickets(one)
}

// WriteDiff writes a DiffResult as plain text for a terminal. Strings from the wire are
// quoted so that control characters cannot rewrite the terminal.
func WriteDiff(w io.Writer, d DiffResult) error {
	var b strings.Builder
	fmt.Fprintf(&b, "new: %d  fixed: %d  changed: %d  unverified: %d  unchanged: %d\n",
		len(d.New), len(d.Fixed), len(d.Changed), len(d.Unverified), d.Unchanged)
	section := func(name string, cs []Change) {
		if len(cs) == 0 {
			return
		}
		fmt.Fprintf(&b, "\n%s:\n", name)
		for _, c := range cs {
			from := string(c.From)
			if from == "" {
				from = "-"
			}
			fmt.Fprintf(&b, "  %s  %-22s %-21s %-8s %s -> %s  %s\n",
				c.ID, TermSafe(hostLabel(c.Address, c.Port)), TermSafe(c.Check), c.Severity, from, TermSafe(c.To), TermSafe(c.Title))
		}
	}
	section("NEW", d.New)
	section("FIXED", d.Fixed)
	section("CHANGED", d.Changed)
	section("UNVERIFIED (not rechecked, not counted as fixed)", d.Unverified)
	_, err := io.WriteString(w, b.String())
	return err
}

// TermSafe keeps wire strings from driving a terminal: control characters (ESC, CR, BEL …, C1
// included) become '?'.
func TermSafe(s string) string {
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) {
			return '?'
		}
		return r
	}, s)
}
