// Package report turns scan results into the documents people act on. The JSON Document is the
// source of truth; every other format is rendered from it.
package report

import (
	"time"

	"github.com/scan445/scan445/scanner"
)

// SchemaVersion is bumped only on incompatible changes; readers refuse a newer major version.
const SchemaVersion = "scan445/report/v1"

// Document is the JSON report, version 1. Field names are part of the public schema
// (report/schema.json): add, never rename.
type Document struct {
	Schema string `json:"schema"`
	// Kind is KindWatch for a `scan445 watch` report; empty (or KindScan) for a scan.
	Kind        string               `json:"kind,omitempty"`
	Tool        string               `json:"tool"`
	Version     string               `json:"version"`
	Started     time.Time            `json:"started"`
	Finished    time.Time            `json:"finished"`
	Arguments   []string             `json:"arguments"`
	Options     map[string]string    `json:"options,omitempty"` // effective settings: rate, concurrency, checks, intrusive, shard…
	Complete    bool                 `json:"complete"`
	Interrupted string               `json:"interrupted,omitempty"` // why the scan stopped early
	Warnings    []string             `json:"warnings,omitempty"`
	Summary     Summary              `json:"summary"`
	Stats       *RunStats            `json:"stats,omitempty"`
	Hosts       []scanner.HostResult `json:"hosts"`
	// Sensor is set in watch reports: the traffic the sensor saw (Hosts are then sources).
	Sensor *SensorStats `json:"sensor,omitempty"`
	// Unlisted counts the results not in Hosts (addresses that did not answer); nil when
	// Hosts holds every result (--report-all, and reports of earlier versions).
	Unlisted *Unlisted `json:"unlisted,omitempty"`

	// Baseline is set by ApplyBaseline: the comparison with an earlier run.
	Baseline *Baseline `json:"baseline,omitempty"`
	// WebhookFailures lists tickets the webhook could not deliver (Webhook.Close), so that a
	// silent delivery gap still shows up in the report.
	WebhookFailures []string `json:"webhook_failures,omitempty"`
}

// RunStats describe the sweep itself, for capacity planning and benchmarks.
type RunStats struct {
	Dispatched     int64   `json:"dispatched"`      // hosts started in this run
	Skipped        int64   `json:"skipped"`         // hosts skipped as already done (--resume)
	Attempts       int64   `json:"attempts"`        // TCP connection attempts, retries and redials included
	PacedSeconds   float64 `json:"paced_seconds"`   // first to last attempt
	AchievedRate   float64 `json:"achieved_rate"`   // attempts per second over PacedSeconds
	ConfiguredRate int     `json:"configured_rate"` // --rate (0: unlimited)
}

// Summary counts hosts by connect status and findings by verdict.
type Summary struct {
	Targets  uint64                    `json:"targets"`  // addresses in the (sharded) target space
	Scanned  int                       `json:"scanned"`  // results: in Hosts, plus those Unlisted counts
	Statuses map[string]int            `json:"statuses"` // connect status → hosts
	Verdicts map[string]int            `json:"verdicts"` // verdict → findings
	Checks   map[string]map[string]int `json:"checks"`   // check → verdict → findings
}

// Summarize recomputes the summary from the hosts, so it can never disagree with them.
func Summarize(targets uint64, hosts []scanner.HostResult) Summary {
	s := Summary{
		Targets:  targets,
		Scanned:  len(hosts),
		Statuses: map[string]int{},
		Verdicts: map[string]int{},
		Checks:   map[string]map[string]int{},
	}
	for _, h := range hosts {
		s.Statuses[string(h.Status)]++
		if h.SMB == nil {
			continue
		}
		for _, f := range h.SMB.Findings {
			s.Verdicts[string(f.Verdict)]++
			if s.Checks[f.Check] == nil {
				s.Checks[f.Check] = map[string]int{}
			}
			s.Checks[f.Check][string(f.Verdict)]++
		}
	}
	return s
}
