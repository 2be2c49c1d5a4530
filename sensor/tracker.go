package sensor

import (
	"cmp"
	"net/netip"
	"slices"
	"sync"
	"time"

	"github.com/scan445/scan445/report"
)

// Memory bounds of the Tracker (see TrackerOptions for the ones a caller sets).
const (
	// destExactCap: distinct destinations a source counts exactly before it estimates.
	destExactCap = 256
	destHLLBits  = 8 // 256 B per source past the cap, about 6.5 % error
	// darkExactCap bounds the dark destinations remembered per source (then "≥", Saturated).
	darkExactCap = 256
	// windowCapFactor × InfectedDistinct bounds a source's window map; past it the window
	// holds more than the infected threshold anyway.
	windowCapFactor = 4
	// exploitKeep: exploit attempts kept as evidence per source (all are counted).
	exploitKeep = 4
	// sourcesHLLBits / hourHLLBits size the distinct-source sketches of the run and of each
	// hour (linear counting keeps small counts exact in practice).
	sourcesHLLBits = 14
	hourHLLBits    = 10
	// sourcesExactCap: distinct sources of the run counted exactly before estimating.
	sourcesExactCap = 4096
	// minSteps: successive distinct destinations needed before a pattern is named.
	minSteps = 4
)

// TrackerOptions configure a Tracker. The zero value is usable.
type TrackerOptions struct {
	Thresholds Thresholds     // zero: DefaultThresholds
	Dark       []netip.Prefix // destinations nobody holds
	// MaxSources bounds the sources tracked at once (0: 65536). At the cap, the idle sources
	// without a finding are evicted, least recently seen first.
	MaxSources int
	// Hours is how many hourly chart buckets are kept (0: 168, one week).
	Hours int
	// OnEvent, if set, is called for every new or worse finding of a source, outside the
	// Tracker's lock, on the goroutine that observed it.
	OnEvent func(Event)
}

// Event is a source reaching a new finding level, or an exploit attempt.
type Event struct {
	Time    time.Time
	Source  netip.Addr
	Check   string // CheckScanning or CheckExploit
	Level   Level
	Rule    string
	Reason  string
	Stats   report.SensorSource
	Exploit *ExploitAttempt // for CheckExploit
}

// ExploitAttempt is one decoded srvsvc request whose path reaches the MS08-067 overflow.
type ExploitAttempt struct {
	Time   time.Time  `json:"time"`
	Src    netip.Addr `json:"src"`
	Dst    netip.Addr `json:"dst"`
	Call   string     `json:"call"`   // NetprPathCanonicalize or NetprPathCompare
	Pipe   string     `json:"pipe"`   // the named pipe it came on
	Field  string     `json:"field"`  // the NDR argument that reaches: PathName, Prefix, PathName1…
	Path   string     `json:"path"`   // as decoded, bounded (printable form)
	Hex    string     `json:"hex"`    // the path's UTF-16LE bytes, hex, bounded
	Length int        `json:"length"` // the path's length in UTF-16 code units
}

// Tracker keeps per-source numbers in bounded memory. It is safe for concurrent use.
type Tracker struct {
	mu       sync.Mutex
	opts     TrackerOptions
	sources  map[netip.Addr]*source
	attempts int64
	seen     distinctSet
	hours    map[int64]*hourBucket
	evicted  int64
	untrack  int64
}

type hourBucket struct {
	attempts int64
	sources  hll
}

type source struct {
	addr        netip.Addr
	first, last time.Time
	attempts    int64
	dests       distinctSet
	window      map[netip.Addr]time.Time // nil until the second distinct destination
	peakWindow  int
	dark        map[netip.Addr]struct{} // nil until the first dark destination
	darkSat     bool
	darkAtt     int64
	minute      int64
	minuteN     int
	peakMinute  int
	lastDst     netip.Addr
	firstDst    netip.Addr // the first destination, before the window map exists
	firstAt     time.Time
	steps       int
	seqSteps    int
	exploits    []ExploitAttempt
	exploitN    int
	level       Level // scanning level already announced
}

// NewTracker returns an empty Tracker.
func NewTracker(opts TrackerOptions) *Tracker {
	if opts.Thresholds == (Thresholds{}) {
		opts.Thresholds = DefaultThresholds()
	}
	if opts.MaxSources <= 0 {
		opts.MaxSources = 65536
	}
	if opts.Hours <= 0 {
		opts.Hours = 168
	}
	return &Tracker{
		opts:    opts,
		sources: map[netip.Addr]*source{},
		seen:    newDistinctSet(sourcesExactCap, sourcesHLLBits),
		hours:   map[int64]*hourBucket{},
	}
}

// Thresholds returns the thresholds in effect.
func (t *Tracker) Thresholds() Thresholds { return t.opts.Thresholds }

// IsDark reports whether dst is inside one of the dark prefixes.
func (t *Tracker) IsDark(dst netip.Addr) bool {
	dst = dst.Unmap()
	for _, p := range t.opts.Dark {
		if p.Contains(dst) {
			return true
		}
	}
	return false
}

// Observe records one connection attempt.
func (t *Tracker) Observe(o Observation) {
	o.Src, o.Dst = o.Src.Unmap(), o.Dst.Unmap()
	if !o.Src.IsValid() {
		return
	}
	if o.Time.IsZero() {
		o.Time = time.Now()
	}
	dark := o.Dst.IsValid() && !o.Live && t.IsDark(o.Dst)
	t.mu.Lock()
	t.attempts++
	t.seen.add(o.Src)
	t.hour(o.Time, o.Src)
	s := t.source(o.Src, o.Time)
	var ev *Event
	if s != nil {
		s.observe(o, dark, t.opts.Thresholds)
		ev = t.scanEvent(s, o.Time)
	}
	t.mu.Unlock()
	if ev != nil && t.opts.OnEvent != nil {
		t.opts.OnEvent(*ev)
	}
}

// RecordExploit records an exploit attempt (the listener decoded one) and announces it.
func (t *Tracker) RecordExploit(e ExploitAttempt) {
	e.Src, e.Dst = e.Src.Unmap(), e.Dst.Unmap()
	if !e.Src.IsValid() {
		return
	}
	if e.Time.IsZero() {
		e.Time = time.Now()
	}
	t.mu.Lock()
	s := t.source(e.Src, e.Time)
	var ev *Event
	if s != nil {
		s.exploitN++
		if len(s.exploits) < exploitKeep {
			s.exploits = append(s.exploits, e)
		}
	}
	// Only the kept attempts are announced: a source repeating its exploit does not flood the
	// events file (the count still grows).
	if s != nil && s.exploitN <= exploitKeep {
		ee := e
		ev = &Event{Time: e.Time, Source: e.Src, Check: CheckExploit, Level: LevelInfected,
			Rule: ruleExploit, Reason: exploitReason(e), Stats: s.stats(t.opts.Thresholds), Exploit: &ee}
	}
	if s == nil {
		t.untrack++
	}
	t.mu.Unlock()
	if ev != nil && t.opts.OnEvent != nil {
		t.opts.OnEvent(*ev)
	}
}

// hour counts o in its chart bucket and drops buckets older than the kept hours.
func (t *Tracker) hour(at time.Time, src netip.Addr) {
	k := at.Unix() / 3600
	b := t.hours[k]
	if b == nil {
		b = &hourBucket{sources: newHLL(hourHLLBits)}
		t.hours[k] = b
		for old := range t.hours {
			if old <= k-int64(t.opts.Hours) {
				delete(t.hours, old)
			}
		}
	}
	b.attempts++
	b.sources.add(src)
}

// source returns src's record, making room for a new one; nil when the cap is full of
// sources with findings (the attempt still counts in the totals and the chart).
func (t *Tracker) source(src netip.Addr, now time.Time) *source {
	if s := t.sources[src]; s != nil {
		return s
	}
	if len(t.sources) >= t.opts.MaxSources {
		t.evict()
		if len(t.sources) >= t.opts.MaxSources {
			t.untrack++
			return nil
		}
	}
	s := &source{addr: src, first: now, last: now, dests: newDistinctSet(destExactCap, destHLLBits)}
	t.sources[src] = s
	return s
}

// evict drops about the least recently seen sixteenth of the sources without a finding (at
// least one), in O(n) without sorting them all: the cut-off is the 1/16 quantile of the last
// seen times of a sample (map order is random in Go). It runs once per n/16 new sources.
func (t *Tracker) evict() {
	const sampleSize = 256
	n := max(1, t.opts.MaxSources/16)
	var sample []time.Time
	for _, s := range t.sources {
		if s.level == LevelNone && s.exploitN == 0 {
			sample = append(sample, s.last)
			if len(sample) == sampleSize {
				break
			}
		}
	}
	if len(sample) == 0 {
		return
	}
	slices.SortFunc(sample, time.Time.Compare)
	cut := sample[len(sample)/16]
	dropped := 0
	for pass := 0; pass < 2 && dropped == 0; pass++ {
		for a, s := range t.sources {
			if dropped == n {
				break
			}
			// The second pass (nothing was at or before the cut-off, e.g. all equal) takes
			// any benign source.
			if s.level == LevelNone && s.exploitN == 0 && (pass == 1 || !s.last.After(cut)) {
				delete(t.sources, a)
				dropped++
			}
		}
	}
	t.evicted += int64(dropped)
}

// scanEvent announces s when its scanning level rose.
func (t *Tracker) scanEvent(s *source, now time.Time) *Event {
	lvl, rule, reason := t.opts.Thresholds.judge(s.peakWindow, len(s.dark), s.darkAtt)
	if lvl <= s.level {
		return nil
	}
	s.level = lvl
	return &Event{Time: now, Source: s.addr, Check: CheckScanning, Level: lvl, Rule: rule, Reason: reason,
		Stats: s.stats(t.opts.Thresholds)}
}

func (s *source) observe(o Observation, dark bool, th Thresholds) {
	s.attempts++
	if o.Time.Before(s.first) {
		s.first = o.Time
	}
	if o.Time.After(s.last) {
		s.last = o.Time
	}
	if m := o.Time.Unix() / 60; m != s.minute {
		s.minute, s.minuteN = m, 0
	}
	s.minuteN++
	s.peakMinute = max(s.peakMinute, s.minuteN)
	if !o.Dst.IsValid() {
		return
	}
	if dark {
		s.darkAtt++
		if _, ok := s.dark[o.Dst]; !ok {
			if s.dark == nil {
				s.dark = map[netip.Addr]struct{}{}
			}
			if len(s.dark) < darkExactCap {
				s.dark[o.Dst] = struct{}{}
			} else {
				s.darkSat = true
			}
		}
	}
	if s.dests.add(o.Dst) && o.Dst != s.lastDst {
		// A step between successive distinct destinations; sequential when the address
		// moves by one (up or down), as a sweep of a subnet does.
		if s.lastDst.IsValid() {
			s.steps++
			if s.lastDst.Next() == o.Dst || s.lastDst.Prev() == o.Dst {
				s.seqSteps++
			}
		}
		s.lastDst = o.Dst
	}
	s.slide(o.Dst, o.Time, th)
}

// slide updates the sliding window of distinct destinations and its peak. Expired entries
// are pruned only when the window could set a new peak, so a steady scanner costs a map write
// per attempt, not a scan of the window.
func (s *source) slide(dst netip.Addr, now time.Time, th Thresholds) {
	if s.window == nil {
		if s.peakWindow == 1 && dst == s.firstDst {
			s.firstAt = now // the same server again: still one destination, no map
			return
		}
		if s.peakWindow == 0 {
			s.peakWindow = 1 // the first destination: no map yet
			s.firstDst, s.firstAt = dst, now
			return
		}
		s.window = map[netip.Addr]time.Time{s.firstDst: s.firstAt}
	}
	s.window[dst] = now
	if len(s.window) <= s.peakWindow {
		return
	}
	cut := now.Add(-th.Window)
	for a, at := range s.window {
		if at.Before(cut) {
			delete(s.window, a)
		}
	}
	limit := windowCapFactor * th.InfectedDistinct
	s.peakWindow = max(s.peakWindow, min(len(s.window), limit))
	if len(s.window) > limit {
		// Every entry is inside the window, which already holds more than the infected
		// threshold: forget the older half to stay bounded (the peak stays, reported as at
		// least windowCapFactor × the threshold).
		type aged struct {
			a  netip.Addr
			at time.Time
		}
		all := make([]aged, 0, len(s.window))
		for a, at := range s.window {
			all = append(all, aged{a, at})
		}
		slices.SortFunc(all, func(x, y aged) int { return x.at.Compare(y.at) })
		for _, e := range all[:len(all)/2] {
			delete(s.window, e.a)
		}
	}
}

func (s *source) stats(th Thresholds) report.SensorSource {
	d, exact := s.dests.count()
	span := s.last.Sub(s.first)
	st := report.SensorSource{
		Address: s.addr.String(), Attempts: s.attempts, First: s.first, Last: s.last,
		Distinct: d, DistinctExact: exact, PeakWindowDistinct: s.peakWindow,
		DarkDistinct: len(s.dark), DarkAttempts: s.darkAtt,
		PerMinute:  float64(s.attempts) / max(1, span.Minutes()),
		PeakMinute: s.peakMinute, Steps: s.steps, SequentialSteps: s.seqSteps,
		Pattern: pattern(s.steps, s.seqSteps), Exploits: s.exploitN,
	}
	if s.darkSat {
		st.DarkDistinct++ // "more than the cap": at least one more than remembered
	}
	lvl, _, _ := th.judge(s.peakWindow, st.DarkDistinct, s.darkAtt)
	switch {
	case lvl == LevelInfected || s.exploitN > 0:
		st.Verdict = "infected"
	case lvl == LevelSuspect:
		st.Verdict = "unknown"
	}
	return st
}

// pattern names how successive distinct destinations move: a sweep steps by one address
// (sequential); Conficker's random targets almost never do (random).
func pattern(steps, seq int) string {
	switch {
	case steps < minSteps:
		return "too-few"
	case seq*10 >= steps*6:
		return "sequential"
	case seq*10 <= steps*2:
		return "random"
	}
	return "mixed"
}

// Snapshot is the Tracker's state for a report.
type Snapshot struct {
	Time         time.Time
	Thresholds   Thresholds
	Attempts     int64
	Sources      int
	SourcesExact bool
	Tracked      int
	Evicted      int64
	Untracked    int64
	Hours        []report.SensorHour
	// Flagged: every tracked source with a finding, busiest first; Others: the busiest of the
	// rest, at most report.SensorTopOthers.
	Flagged []report.SensorSource
	Others  []report.SensorSource
	// Exploits: the kept exploit attempts per flagged source.
	Exploits map[string][]ExploitAttempt
}

// Snapshot copies what a report needs; it may be called while observations go on.
func (t *Tracker) Snapshot() Snapshot {
	t.mu.Lock()
	defer t.mu.Unlock()
	n, exact := t.seen.count()
	snap := Snapshot{
		Time: time.Now(), Thresholds: t.opts.Thresholds, Attempts: t.attempts,
		Sources: n, SourcesExact: exact, Tracked: len(t.sources), Evicted: t.evicted, Untracked: t.untrack,
		Exploits: map[string][]ExploitAttempt{},
	}
	for k, b := range t.hours {
		snap.Hours = append(snap.Hours, report.SensorHour{Start: time.Unix(k*3600, 0).UTC(), Attempts: b.attempts, Sources: b.sources.estimate()})
	}
	slices.SortFunc(snap.Hours, func(a, b report.SensorHour) int { return a.Start.Compare(b.Start) })
	for _, s := range t.sources {
		st := s.stats(t.opts.Thresholds)
		if st.Verdict == "" {
			snap.Others = append(snap.Others, st)
			continue
		}
		snap.Flagged = append(snap.Flagged, st)
		if len(s.exploits) > 0 {
			snap.Exploits[st.Address] = append([]ExploitAttempt(nil), s.exploits...)
		}
	}
	busiest := func(a, b report.SensorSource) int {
		if c := cmp.Compare(b.Attempts, a.Attempts); c != 0 {
			return c
		}
		return cmp.Compare(a.Address, b.Address)
	}
	slices.SortFunc(snap.Flagged, busiest)
	slices.SortFunc(snap.Others, busiest)
	if len(snap.Others) > report.SensorTopOthers {
		snap.Others = snap.Others[:report.SensorTopOthers]
	}
	return snap
}
