package sensor

import (
	"fmt"
	"time"

	"github.com/scan445/scan445/report"
	"github.com/scan445/scan445/scanner"
	"github.com/scan445/scan445/smbprobe"
)

// The sensor's check ids, as they appear in findings.
const (
	// CheckScanning: the source scans TCP/445 the way Conficker does.
	CheckScanning = "conficker-scanning"
	// CheckExploit: the source sent the sensor an MS08-067 exploit path.
	CheckExploit = "ms08-067-exploit-attempt"
)

const ruleExploit = "ms08-067-exploit-attempt/model-reaches"

func exploitReason(e ExploitAttempt) string {
	return fmt.Sprintf("%s on \\%s: %s of %d UTF-16 units reaches the MS08-067 overflow (internal/ms08model)", e.Call, e.Pipe, e.Field, e.Length)
}

// RunInfo is what a watch report says about the run beyond the Tracker's numbers.
type RunInfo struct {
	Version     string
	Arguments   []string
	Options     map[string]string
	Started     time.Time
	Finished    time.Time
	Complete    bool
	Interrupted string
	Listen      []string
	Interface   string
	Dark        []string
	Connections int64 // accepted by the listener
	Refused     int64 // refused by its limits
	Capture     CaptureStats
	Warnings    []string
}

// Document builds the watch report: one host per source with a finding, the sensor stats, and
// the summary, finalised.
func (s Snapshot) Document(run RunInfo) *report.Document {
	doc := &report.Document{
		Kind: report.KindWatch, Version: run.Version, Arguments: run.Arguments, Options: run.Options,
		Started: run.Started, Finished: run.Finished, Complete: run.Complete, Interrupted: run.Interrupted,
		Warnings: run.Warnings,
		Sensor: &report.SensorStats{
			Listen: run.Listen, Interface: run.Interface, Dark: run.Dark, Thresholds: s.Thresholds.Map(),
			Attempts: s.Attempts, Connections: run.Connections, Refused: run.Refused,
			Sources: s.Sources, SourcesExact: s.SourcesExact, Tracked: s.Tracked, Evicted: s.Evicted,
			Untracked: s.Untracked, CapturePackets: run.Capture.Packets, CaptureDrops: run.Capture.Drops,
			Hours: s.Hours, SourceDetail: append(append([]report.SensorSource{}, s.Flagged...), s.Others...),
		},
	}
	if doc.Sensor.Hours == nil {
		doc.Sensor.Hours = []report.SensorHour{}
	}
	for _, st := range s.Flagged {
		doc.Hosts = append(doc.Hosts, SourceResult(st, s.Exploits[st.Address], s.Thresholds))
	}
	doc.Summary.Targets = uint64(s.Sources)
	report.Finalize(doc)
	return doc
}

// SourceResult renders one source as a report host: its conficker-scanning finding (infected,
// or unknown when only suspect) and one ms08-067-exploit-attempt finding per kept attempt
// (deduplicated by the report's finding id: one per source).
func SourceResult(st report.SensorSource, exploits []ExploitAttempt, th Thresholds) scanner.HostResult {
	r := &smbprobe.Result{}
	h := scanner.HostResult{Address: st.Address, Port: 0, Status: scanner.StatusOpen, Attempts: int(min(st.Attempts, 1<<31-1)),
		Started: st.First, TotalMS: st.Last.Sub(st.First).Milliseconds(), SMB: r}
	lvl, rule, reason := th.judge(st.PeakWindowDistinct, st.DarkDistinct, st.DarkAttempts)
	r.Exchanges = append(r.Exchanges, smbprobe.Exchange{
		Step:     "sensor.observed",
		Class:    smbprobe.ClassSafe,
		Request:  "nothing sent: connection attempts from " + st.Address + " observed by the sensor",
		Status:   "observed",
		Response: Numbers(st, th),
	})
	if lvl != LevelNone {
		f := smbprobe.Finding{
			Check: CheckScanning, Category: smbprobe.CategoryInfection, Title: "Scans TCP/445 like Conficker",
			Class: smbprobe.ClassSafe, Rule: rule, Reason: reason, Evidence: []int{0},
			Remediation: []string{smbprobe.RemedyConfickerClean, smbprobe.RemedyKB958644, smbprobe.RemedyBlock445},
		}
		if lvl == LevelInfected {
			f.Verdict, f.Severity = smbprobe.Infected, smbprobe.SeverityCritical
		} else {
			f.Verdict, f.Severity = smbprobe.Unknown, smbprobe.SeverityMedium
			f.Variant = "suspect"
			f.Remediation = []string{smbprobe.RemedyVerifyManually}
		}
		r.Findings = append(r.Findings, f)
	}
	if len(exploits) > 0 {
		f := smbprobe.Finding{
			Check: CheckExploit, Category: smbprobe.CategoryInfection, Title: "Sent an MS08-067 exploit path",
			CVE: []string{"CVE-2008-4250"}, Class: smbprobe.ClassSafe, Verdict: smbprobe.Infected,
			Severity: smbprobe.SeverityCritical, Rule: ruleExploit,
			Reason:      fmt.Sprintf("%d exploit attempt(s); first: %s", st.Exploits, exploitReason(exploits[0])),
			Remediation: []string{smbprobe.RemedyConfickerClean, smbprobe.RemedyKB958644, smbprobe.RemedyBlock445},
		}
		for _, e := range exploits {
			f.Evidence = append(f.Evidence, len(r.Exchanges))
			r.Exchanges = append(r.Exchanges, smbprobe.Exchange{
				Step:     "srvsvc." + e.Call,
				Class:    smbprobe.ClassSafe,
				Request:  fmt.Sprintf("received from %s on %s \\%s: %s=%q (%d UTF-16 units); sent_hex is what the source sent (the path, bounded)", e.Src, e.Dst, e.Pipe, e.Field, e.Path, e.Length),
				SentHex:  e.Hex,
				Status:   "WERROR 0x0000007B",
				Response: "answered WERR_INVALID_NAME, as a patched host does; nothing executed",
			})
		}
		r.Findings = append(r.Findings, f)
	}
	return h
}

// Numbers renders a source's numbers in one line, the evidence of a scanning finding.
func Numbers(st report.SensorSource, th Thresholds) string {
	approx := ""
	if !st.DistinctExact {
		approx = "≈"
	}
	return fmt.Sprintf("%d attempts to %s%d distinct destinations (peak %d within %s), %d dark destinations (%d attempts), %.1f attempts/min (peak %d in one minute), pattern %s (%d of %d steps sequential), first seen %s, last seen %s",
		st.Attempts, approx, st.Distinct, st.PeakWindowDistinct, th.Window, st.DarkDistinct, st.DarkAttempts,
		st.PerMinute, st.PeakMinute, st.Pattern, st.SequentialSteps, st.Steps,
		st.First.UTC().Format(time.RFC3339), st.Last.UTC().Format(time.RFC3339))
}
