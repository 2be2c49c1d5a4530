package smbprobe

import "time"

// Verdict is the conclusion of one check on one host. The set is closed: reports, CI gating and
// baseline diffs all key on these exact strings.
type Verdict string

const (
	Vulnerable  Verdict = "vulnerable"   // verified vulnerable
	Infected    Verdict = "infected"     // a worm's signature answered
	Exposed     Verdict = "exposed"      // affected OS, patch state not verified
	Patched     Verdict = "patched"      // verified fixed
	Clean       Verdict = "clean"        // an infection check found no sign of the infection
	NotDetected Verdict = "not-detected" // an infection check that can only see a positive saw none (silence)
	NotAffected Verdict = "not-affected" // OS or implementation outside the affected set
	Unknown     Verdict = "unknown"      // the check could not run or could not decide; Reason says why
	Error       Verdict = "error"        // the probe itself failed; Reason says what
)

// Class says how much risk a check carries for the scanned host.
type Class string

// The safety classes (docs/checks.md §0).
const (
	ClassSafe         Class = "safe"
	ClassCredentialed Class = "credentialed"
	ClassIntrusive    Class = "intrusive"
)

// Severity ranks findings for prioritised remediation.
type Severity string

// The severities, most urgent first.
const (
	SeverityCritical Severity = "critical"
	SeverityHigh     Severity = "high"
	SeverityMedium   Severity = "medium"
	SeverityLow      Severity = "low"
	SeverityInfo     Severity = "info"
)

// Remediation ids, rendered to text by package report (docs/checks.md §8, the JPCERT/CC alert).
const (
	RemedyKB958644       = "install-kb958644"
	RemedyBlock445       = "block-outbound-445"
	RemedyPasswords      = "strong-passwords"
	RemedyAutoRun        = "disable-autorun"
	RemedyConfickerClean = "isolate-and-clean"
	RemedyMS17010        = "install-ms17-010"
	RemedyDisableSMBv1   = "disable-smbv1"
	RemedyRequireSigning = "require-signing"
	RemedyRestrictAnon   = "restrict-anonymous"
	RemedyUpgradeOS      = "upgrade-os"
	RemedyVerifyManually = "verify-manually"
)

// Exchange is one request/response pair as seen on the wire: the evidence a verdict points at.
type Exchange struct {
	Step     string `json:"step"`               // e.g. "smb1.negotiate", "srvsvc.NetprPathCanonicalize"
	Class    Class  `json:"class"`              // the safety class of the request that was sent
	Request  string `json:"request"`            // what was sent, in words (path probed, pipe, dialects)
	SentHex  string `json:"sent_hex,omitempty"` // the exact RPC stub bytes for srvsvc calls
	Status   string `json:"status"`             // e.g. "NTSTATUS 0xC0000022 STATUS_ACCESS_DENIED", "WERROR 0x0000007B", "fault 0x1C010002"
	Response string `json:"response,omitempty"` // decoded reply, in words
	Millis   int64  `json:"ms"`                 // round-trip time
}

// Finding is one check's verdict on one host, with everything needed to trust or challenge it.
type Finding struct {
	ID    string `json:"id,omitempty"` // stable across runs: host + check + verdict class (set by package report)
	Check string `json:"check"`
	// Subject names what on the host the finding is about when a check reports several (the
	// account of a weak-password finding); empty for host-wide findings. It is part of the id.
	Subject     string   `json:"subject,omitempty"`
	Category    Category `json:"category"`
	Title       string   `json:"title"`
	CVE         []string `json:"cve,omitempty"`
	Class       Class    `json:"class"`
	Verdict     Verdict  `json:"verdict"`
	Severity    Severity `json:"severity"`
	Variant     string   `json:"variant,omitempty"`     // e.g. Conficker "A/B/C", "D/E"
	Rule        string   `json:"rule"`                  // the rule that decided, e.g. "3a.os-affected"
	Reason      string   `json:"reason"`                // one human sentence; says why for unknown
	Evidence    []int    `json:"evidence"`              // indexes into Result.Exchanges
	Remediation []string `json:"remediation,omitempty"` // remediation ids, see package report
	Baseline    string   `json:"baseline,omitempty"`    // "new" or "unchanged" against --baseline (set by package report)
}

// Category separates what gates CI differently: a worm, a missing patch, a weak setting.
type Category string

// The categories.
const (
	CategoryInfection     Category = "infection"
	CategoryVulnerability Category = "vulnerability"
	CategoryCompliance    Category = "compliance"
)

// OSVersion is the Windows version the NTLMSSP CHALLENGE VERSION field announces.
type OSVersion struct {
	Major uint8  `json:"major"`
	Minor uint8  `json:"minor"`
	Build uint16 `json:"build"`
}

// ServerInfo101 is the srvsvc NetrServerGetInfo level 101 answer.
type ServerInfo101 struct {
	PlatformID uint32 `json:"platform_id"`
	Name       string `json:"name"`
	Major      uint32 `json:"version_major"`
	Minor      uint32 `json:"version_minor"`
	Type       uint32 `json:"type"`
	Comment    string `json:"comment"`
}

// Fingerprint is what the safe exchanges reveal about a host. Every string here came off the
// wire and is attacker-controlled.
type Fingerprint struct {
	SMB1            bool           `json:"smb1"`
	SMB2            bool           `json:"smb2"`
	Dialects        []string       `json:"dialects,omitempty"` // every dialect the host accepted, e.g. "NT LM 0.12", "2.0.2", "2.1"
	SigningEnabled  bool           `json:"signing_enabled"`
	SigningRequired bool           `json:"signing_required"`
	ServerTime      *time.Time     `json:"server_time,omitempty"`
	NativeOS        string         `json:"native_os,omitempty"`
	NativeLANMan    string         `json:"native_lanman,omitempty"`
	NTLMVersion     *OSVersion     `json:"ntlm_version,omitempty"`
	NTLMRevision    uint8          `json:"ntlm_revision,omitempty"` // the VERSION field's NTLM revision (Windows: 15)
	NetBIOSName     string         `json:"netbios_name,omitempty"`
	NetBIOSDomain   string         `json:"netbios_domain,omitempty"`
	DNSName         string         `json:"dns_name,omitempty"`
	DNSDomain       string         `json:"dns_domain,omitempty"`
	NullSession     *bool          `json:"null_session,omitempty"` // nil: not tried
	SessionMode     string         `json:"session_mode,omitempty"` // "ntlmssp-anonymous", "basic-null"
	Pipe            string         `json:"pipe,omitempty"`         // the pipe srvsvc was bound on
	ServerInfo      *ServerInfo101 `json:"server_info,omitempty"`
	OS              string         `json:"os,omitempty"`        // our reading, e.g. "Windows XP SP2+"
	OSFamily        string         `json:"os_family,omitempty"` // "windows", "samba", "other"
	Honeypot        string         `json:"honeypot,omitempty"`  // tell-tales of an emulator, if any
	// OSEvidence is every OS signal the host gave, what we read from it, and whether we
	// believed it: the reading in OS is fused from the credible ones.
	OSEvidence []OSSignal `json:"os_evidence,omitempty"`
	// Registry is what the credentialed registry read found under HKLM\SOFTWARE\Microsoft\
	// Windows NT\CurrentVersion (nil when it did not run or could not read it).
	Registry *RegistryOS `json:"registry,omitempty"`
}

// OSSignal is one piece of evidence about a host's OS. Value came off the wire.
type OSSignal struct {
	Source   string `json:"source"`            // ntlm-version, native-os, native-lanman, server-info, dialects
	Value    string `json:"value"`             // what the host sent, as text
	Reading  string `json:"reading,omitempty"` // what we read from it
	Credible bool   `json:"credible"`          // it passed the plausibility checks and counts
	Note     string `json:"note,omitempty"`    // why it was dropped, or what it is
}

// RegistryOS is the OS as the registry states it (read with credentials over \winreg): the
// service pack known, not guessed. Every string came off the wire.
type RegistryOS struct {
	ProductName        string `json:"product_name,omitempty"`
	CurrentVersion     string `json:"current_version,omitempty"`
	CSDVersion         string `json:"csd_version,omitempty"` // e.g. "Service Pack 3"; empty: none installed, or not stated
	CurrentBuildNumber string `json:"current_build_number,omitempty"`
	// KB958644 says whether the MS08-067 update is registered under
	// HKLM\SOFTWARE\Microsoft\Updates: a hint next to the netapi32.dll file version, which
	// alone decides.
	KB958644 string `json:"kb958644,omitempty"`
}

// Result is everything one probe of one host produced. A probe never returns a Go error for a
// host-level failure: it returns a Result whose findings say unknown or error.
type Result struct {
	Fingerprint Fingerprint `json:"fingerprint"`
	Findings    []Finding   `json:"findings"`
	Exchanges   []Exchange  `json:"exchanges"`
	Connections int         `json:"connections"`
	RoundTrips  int         `json:"round_trips"`
	Error       string      `json:"error,omitempty"` // the probe stopped early, and why
}
