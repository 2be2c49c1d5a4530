package report

import (
	"fmt"
	"maps"
	"sort"
	"strings"
	"time"
)

// Report kinds (Document.Kind). A report without a kind is a scan report.
const (
	KindScan  = "scan"
	KindWatch = "watch"
)

// SensorStats is what a watch report (Kind "watch") adds: the traffic the sensor saw and the
// numbers of each source worth reading. Hosts then lists the sources that have a finding.
type SensorStats struct {
	Listen    []string `json:"listen,omitempty"`    // addresses the listener served
	Interface string   `json:"interface,omitempty"` // the captured interface
	Dark      []string `json:"dark,omitempty"`      // prefixes counted as dark (nobody holds them)
	// Thresholds are the effective conficker-scanning thresholds, by name.
	Thresholds map[string]string `json:"thresholds,omitempty"`
	// Attempts: connection attempts observed (accepted connections and captured SYNs).
	Attempts int64 `json:"attempts"`
	// Connections the listener accepted, and those it refused at once (per-source or total
	// limit reached).
	Connections int64 `json:"connections"`
	Refused     int64 `json:"refused"`
	// Sources: distinct source addresses seen during the run (an estimate past a few thousand,
	// see SourcesExact). Tracked: sources in memory at the end; Evicted: idle sources without
	// a finding dropped to stay under the cap; Untracked: attempts from new sources not
	// tracked because the cap was full of sources with findings.
	Sources      int   `json:"sources"`
	SourcesExact bool  `json:"sources_exact"`
	Tracked      int   `json:"tracked"`
	Evicted      int64 `json:"evicted"`
	Untracked    int64 `json:"untracked"`
	// CapturePackets and CaptureDrops are the capture's kernel counters (zero without one).
	CapturePackets uint64 `json:"capture_packets,omitempty"`
	CaptureDrops   uint64 `json:"capture_drops,omitempty"`
	// Hours: attempts and distinct sources per hour, oldest first (the chart), at most the
	// last week.
	Hours []SensorHour `json:"hours"`
	// SourceDetail: every source with a finding, then the busiest others (at most
	// SensorTopOthers), busiest first.
	SourceDetail []SensorSource `json:"source_detail"`
}

// SensorTopOthers bounds how many sources without a finding a watch report details.
const SensorTopOthers = 100

// SensorHour is one hour of the chart.
type SensorHour struct {
	Start    time.Time `json:"start"`
	Attempts int64     `json:"attempts"`
	Sources  int       `json:"sources"`
}

// SensorSource is one source's numbers.
type SensorSource struct {
	Address  string    `json:"address"`
	Attempts int64     `json:"attempts"`
	First    time.Time `json:"first_seen"`
	Last     time.Time `json:"last_seen"`
	// Distinct destinations over the run; exact up to a per-source cap, an estimate past it.
	Distinct      int  `json:"distinct_destinations"`
	DistinctExact bool `json:"distinct_exact"`
	// PeakWindowDistinct: the most distinct destinations within one threshold window.
	PeakWindowDistinct int `json:"peak_window_distinct"`
	// Dark destinations (distinct) and attempts to them.
	DarkDistinct int   `json:"dark_destinations"`
	DarkAttempts int64 `json:"dark_attempts"`
	// PerMinute: attempts per minute between first and last seen (at least one minute);
	// PeakMinute: the most attempts within one calendar minute.
	PerMinute  float64 `json:"attempts_per_minute"`
	PeakMinute int     `json:"peak_minute"`
	// Pattern of successive distinct destinations: "sequential", "random", "mixed", or
	// "too-few" (fewer than 4 steps); Steps and SequentialSteps are its numbers.
	Pattern         string `json:"pattern"`
	Steps           int    `json:"steps"`
	SequentialSteps int    `json:"sequential_steps"`
	// Exploits: MS08-067 exploit attempts the listener decoded from this source.
	Exploits int `json:"exploit_attempts"`
	// Verdict: the worst verdict of its findings ("" for none).
	Verdict string `json:"verdict,omitempty"`
}

// mergeKind carries the kind and the sensor numbers of document n into out: watch reports of
// several sensors add up (attempts, hours; a source two sensors saw is counted by each, so
// merged source counts are upper bounds), and a scan merged with a watch report stays a watch
// report with a warning.
func mergeKind(out, d *Document, n int) {
	if n == 0 {
		out.Kind = d.Kind
	} else if d.Kind != out.Kind {
		out.Warnings = append(out.Warnings, fmt.Sprintf("merge: document %d is a %s report, document 1 a %s report", n+1, kindName(d.Kind), kindName(out.Kind)))
		if d.Kind == KindWatch {
			out.Kind = KindWatch
		}
	}
	if d.Sensor == nil {
		return
	}
	if out.Sensor == nil {
		out.Sensor = &SensorStats{Thresholds: d.Sensor.Thresholds, SourcesExact: true}
	} else if !maps.Equal(out.Sensor.Thresholds, d.Sensor.Thresholds) {
		out.Warnings = append(out.Warnings, fmt.Sprintf("merge: document %d used other conficker-scanning thresholds", n+1))
	}
	o, s := out.Sensor, d.Sensor
	o.Listen = append(o.Listen, s.Listen...)
	if s.Interface != "" {
		o.Interface = strings.TrimPrefix(o.Interface+","+s.Interface, ",")
	}
	o.Dark = append(o.Dark, s.Dark...)
	o.Attempts += s.Attempts
	o.Connections += s.Connections
	o.Refused += s.Refused
	o.Sources += s.Sources
	o.SourcesExact = o.SourcesExact && s.SourcesExact && n == 0
	o.Tracked += s.Tracked
	o.Evicted += s.Evicted
	o.Untracked += s.Untracked
	o.CapturePackets += s.CapturePackets
	o.CaptureDrops += s.CaptureDrops
	at := map[int64]int{}
	for i, h := range o.Hours {
		at[h.Start.Unix()] = i
	}
	for _, h := range s.Hours {
		if i, ok := at[h.Start.Unix()]; ok {
			o.Hours[i].Attempts += h.Attempts
			o.Hours[i].Sources += h.Sources
			continue
		}
		at[h.Start.Unix()] = len(o.Hours)
		o.Hours = append(o.Hours, h)
	}
	sort.Slice(o.Hours, func(i, j int) bool { return o.Hours[i].Start.Before(o.Hours[j].Start) })
	o.SourceDetail = append(o.SourceDetail, s.SourceDetail...)
}

func kindName(k string) string {
	if k == "" {
		return KindScan
	}
	return k
}
