// Package peerdiff compares what scan445 and nmap 7.93 conclude about the same SMB server, field
// by field, on a common vocabulary, and checks every disagreement against a checked-in list
// that says who is right and why. The differential test itself (TestPeerDiff) scans the lab,
// impacket and Samba peers with both tools.
package peerdiff

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/scan445/scan445/smbprobe"
)

// The compared fields, in report order.
const (
	FieldOS        = "os"
	FieldSMB1      = "smb1"
	FieldSigning   = "signing"
	FieldConficker = "conficker"
	FieldMS17010   = "ms17-010"
)

// Fields lists the compared fields in order.
func Fields() []string {
	return []string{FieldOS, FieldSMB1, FieldSigning, FieldConficker, FieldMS17010}
}

// Observation is one tool's reading of one server, each field in the common vocabulary:
//   - os: an NT version class ("Windows XP (NT 5.1)", "Samba", ...), or the tool's raw words
//     when they name no known class, or "none";
//   - smb1: "on" / "off" (or a verdict word when the tool could not tell);
//   - signing: "required" / "not-required" (or a verdict word);
//   - conficker: "infected" / "clean" / scan445's verdict word / nmap's "clean (<why>)" when
//     nmap said NOT VULNERABLE only because its check failed;
//   - ms17-010: "vulnerable" / "not-vulnerable" (or a verdict word, or "none").
type Observation map[string]string

// osClasses maps substrings of an OS description (lower case) to a class, first match wins:
// the classes are what MS08-067 exposure depends on (the NT version), named by their products.
var osClasses = []struct{ sub, class string }{
	{"samba", "Samba"},
	{"2008 r2", "Windows 7 / 2008 R2 (NT 6.1)"},
	{"windows 7", "Windows 7 / 2008 R2 (NT 6.1)"},
	{"2012 r2", "Windows 8.1 / 2012 R2 (NT 6.3)"},
	{"windows 8.1", "Windows 8.1 / 2012 R2 (NT 6.3)"},
	{"2012", "Windows 8 / 2012 (NT 6.2)"},
	{"windows 8", "Windows 8 / 2012 (NT 6.2)"},
	{"vista", "Windows Vista / 2008 (NT 6.0)"},
	{"2008", "Windows Vista / 2008 (NT 6.0)"},
	{"2003", "Windows 2003 / XP x64 (NT 5.2)"},
	{"xp x64", "Windows 2003 / XP x64 (NT 5.2)"},
	{"xp", "Windows XP (NT 5.1)"},
	{"windows 2000", "Windows 2000 (NT 5.0)"},
	{"windows 10", "Windows 10 / 2016+ (NT 10.0)"},
	{"windows 11", "Windows 10 / 2016+ (NT 10.0)"},
	{"2016", "Windows 10 / 2016+ (NT 10.0)"},
	{"2019", "Windows 10 / 2016+ (NT 10.0)"},
	{"2022", "Windows 10 / 2016+ (NT 10.0)"},
}

// OSClass puts an OS description into its class; an empty one is "none" and one that names no
// known class is returned as is (trimmed), so that "Windows 255.255 (build 65535)" stays visible.
func OSClass(desc string) string {
	d := strings.TrimSpace(desc)
	if d == "" {
		return "none"
	}
	l := strings.ToLower(d)
	for _, c := range osClasses {
		if strings.Contains(l, c.sub) {
			return c.class
		}
	}
	return d
}

// FromScan445 reads a scan445 result into the common vocabulary.
func FromScan445(res *smbprobe.Result) Observation {
	o := Observation{FieldOS: OSClass(res.Fingerprint.OS)}
	fp := res.Fingerprint
	switch {
	case fp.SMB1:
		o[FieldSMB1] = "on"
	case len(fp.Dialects) > 0:
		o[FieldSMB1] = "off"
	default:
		o[FieldSMB1] = "none" // no negotiation completed: it cannot tell
	}
	verdicts := map[string]smbprobe.Verdict{}
	for _, f := range res.Findings {
		verdicts[f.Check] = f.Verdict
	}
	o[FieldSigning] = word(verdicts, smbprobe.CheckSigning, map[smbprobe.Verdict]string{
		smbprobe.Exposed: "not-required", smbprobe.NotAffected: "required",
	})
	o[FieldConficker] = word(verdicts, smbprobe.CheckConficker, map[smbprobe.Verdict]string{
		smbprobe.Infected: "infected", smbprobe.Clean: "clean",
		// Before the word "clean" existed, a clean infection check said "patched".
		smbprobe.Patched: "clean",
	})
	o[FieldMS17010] = word(verdicts, smbprobe.CheckMS17010, map[smbprobe.Verdict]string{
		smbprobe.Vulnerable: "vulnerable", smbprobe.Patched: "not-vulnerable", smbprobe.NotAffected: "not-vulnerable",
	})
	return o
}

// word maps check's verdict through m; a verdict m does not name is kept as scan445 spells it.
func word(verdicts map[string]smbprobe.Verdict, check string, m map[smbprobe.Verdict]string) string {
	v, ok := verdicts[check]
	if !ok {
		return "none"
	}
	if w, ok := m[v]; ok {
		return w
	}
	return string(v)
}

var (
	nmapOSLine    = regexp.MustCompile(`(?m)^\s*OS: (.*)$`)
	nmapState     = regexp.MustCompile(`State: ([A-Z ]+)`)
	nmapExtraInfo = regexp.MustCompile(`(?s)Extra information:\s*\n\s*(.*?)\s*(\n|$)`)
	nmapSigning   = regexp.MustCompile(`message_signing: (\w+)`)
)

// FromNmap reads nmap's script outputs for one host into the common vocabulary. scripts is
// nmap's hostscript output by id: smb-os-discovery, smb-protocols, smb-security-mode,
// smb2-security-mode, smb-vuln-conficker, smb-vuln-ms17-010.
func FromNmap(scripts map[string]string) Observation {
	o := Observation{}

	osOut := scripts["smb-os-discovery"]
	switch m := nmapOSLine.FindStringSubmatch(osOut); {
	case m != nil:
		// "Windows XP (Windows 5.1)": get_windows_version(Native OS) (LAN Manager). Samba is
		// named only in the LAN Manager part, so the class looks at both.
		o[FieldOS] = OSClass(m[1])
	case strings.Contains(osOut, "ERROR"):
		o[FieldOS] = "error: " + firstLine(strings.TrimSpace(osOut))
	default:
		o[FieldOS] = "none"
	}

	proto := scripts["smb-protocols"]
	switch {
	case strings.Contains(proto, "NT LM 0.12"):
		o[FieldSMB1] = "on"
	case strings.Contains(proto, "dialects:"):
		o[FieldSMB1] = "off"
	default:
		o[FieldSMB1] = "none"
	}

	// SMB1 hosts: smb-security-mode's message_signing (required / supported / disabled);
	// SMB2 hosts: smb2-security-mode. Required on either counts.
	sec1, sec2 := scripts["smb-security-mode"], scripts["smb2-security-mode"]
	switch m := nmapSigning.FindStringSubmatch(sec1); {
	case m != nil && m[1] == "required", strings.Contains(sec2, "enabled and required"):
		o[FieldSigning] = "required"
	case m != nil, strings.Contains(sec2, "not required"):
		o[FieldSigning] = "not-required"
	default:
		o[FieldSigning] = "none"
	}

	o[FieldConficker] = nmapVuln(scripts["smb-vuln-conficker"], "infected", "clean")
	o[FieldMS17010] = nmapVuln(scripts["smb-vuln-ms17-010"], "vulnerable", "not-vulnerable")
	return o
}

// nmapVuln reads a vulns-library output. NOT VULNERABLE with "Extra information" is nmap's
// way of saying its check failed (smb-vuln-conficker: "UNKNOWN; got error ..."); that is kept
// apart from a clean answer, with nmap's reason.
func nmapVuln(out, positive, negative string) string {
	m := nmapState.FindStringSubmatch(out)
	if m == nil {
		if strings.TrimSpace(out) == "" {
			return "none"
		}
		return "error: " + firstLine(strings.TrimSpace(out))
	}
	switch state := strings.TrimSpace(m[1]); state {
	case "VULNERABLE", "LIKELY VULNERABLE":
		return positive
	case "NOT VULNERABLE":
		if x := nmapExtraInfo.FindStringSubmatch(out); x != nil {
			return negative + " (" + x[1] + ")"
		}
		return negative
	default:
		return strings.ToLower(state)
	}
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(s, "\n")
	return strings.TrimSpace(s)
}

// Disagreement is one field on which the two tools differ on one server.
type Disagreement struct {
	Server  string `json:"server"`
	Field   string `json:"field"`
	Scan445 string `json:"scan445"`
	Nmap    string `json:"nmap"`
}

func (d Disagreement) String() string {
	return fmt.Sprintf("%s %s: scan445 %q, nmap %q", d.Server, d.Field, d.Scan445, d.Nmap)
}

// Compare lists the fields on which ours and nmap's readings of server differ.
func Compare(server string, ours, nmap Observation) []Disagreement {
	var out []Disagreement
	for _, f := range Fields() {
		if ours[f] != nmap[f] {
			out = append(out, Disagreement{Server: server, Field: f, Scan445: ours[f], Nmap: nmap[f]})
		}
	}
	return out
}
