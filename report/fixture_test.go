package report

import (
	"time"

	"github.com/scan445/scan445/scanner"
	"github.com/scan445/scan445/smbprobe"
)

// Strings below that imitate server answers are taken from the captures in shared/pcaps
// (Native OS / LAN Manager / NetBIOS names) and from CHECKS.md, so the fixture looks like a
// real sweep of a mixed network.

var t0 = time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC)

func at(sec int) time.Time { return t0.Add(time.Duration(sec) * time.Second) }

func ptrBool(b bool) *bool { return &b }

var ms08067CVE = []string{"CVE-2008-4250"}
var ms17010CVE = []string{"CVE-2017-0143", "CVE-2017-0144", "CVE-2017-0145", "CVE-2017-0146", "CVE-2017-0147", "CVE-2017-0148"}

func smb1Exchanges(nativeOS, lanman string) []smbprobe.Exchange {
	return []smbprobe.Exchange{
		{Step: "smb1.negotiate", Class: smbprobe.ClassSafe, Request: "dialects NT LM 0.12, SMB 2.002, SMB 2.???", Status: "NTSTATUS 0x00000000 STATUS_SUCCESS", Response: "NT LM 0.12, security mode 0x03", Millis: 3},
		{Step: "smb1.session_setup", Class: smbprobe.ClassSafe, Request: "NTLMSSP anonymous", Status: "NTSTATUS 0x00000000 STATUS_SUCCESS", Response: "Native OS " + nativeOS + ", LAN Manager " + lanman, Millis: 4},
		{Step: "smb1.tree_connect", Class: smbprobe.ClassSafe, Request: `\\IPC$`, Status: "NTSTATUS 0x00000000 STATUS_SUCCESS", Millis: 2},
	}
}

// fixtureDocument is the deterministic Document behind the golden files: an infected 2003, an
// exposed XP, an XP clean of Conficker and patched, a Windows 7 vulnerable to MS17-010, a Samba
// server, a host refusing null sessions, a closed and a filtered host.
func fixtureDocument() *Document {
	hosts := []scanner.HostResult{
		{ // listed out of order on purpose: Finalize sorts
			Address: "10.20.4.2", Port: 445, Status: scanner.StatusFiltered, Attempts: 2, Started: at(40), ConnectMS: 3000, TotalMS: 6000,
			Error: "no answer after 2 attempts",
		},
		{
			Address: "10.20.1.5", Port: 445, Status: scanner.StatusOpen, Attempts: 1, Started: at(1), ConnectMS: 2, TotalMS: 412,
			SMB: &smbprobe.Result{
				Fingerprint: smbprobe.Fingerprint{
					SMB1: true, Dialects: []string{"NT LM 0.12"}, SigningEnabled: true,
					NativeOS: "Windows Server 2003 3790 Service Pack 2", NativeLANMan: "Windows Server 2003 5.2",
					NTLMVersion: &smbprobe.OSVersion{Major: 5, Minor: 2, Build: 3790},
					NetBIOSName: "FILESRV03", NetBIOSDomain: "CORP", DNSName: "filesrv03.corp.example", DNSDomain: "corp.example",
					NullSession: ptrBool(true), SessionMode: "ntlmssp-anonymous", Pipe: `\browser`,
					OS: "Windows Server 2003 SP2", OSFamily: "windows",
					OSEvidence: []smbprobe.OSSignal{
						{Source: smbprobe.SignalNTLM, Value: "5.2 build 3790, revision 15", Reading: "Windows Server 2003 / XP x64 (build 3790)", Credible: true},
						{Source: smbprobe.SignalNativeOS, Value: "Windows Server 2003 3790 Service Pack 2", Reading: "Windows Server 2003 / XP x64 (build 3790) Service Pack 2", Credible: true},
						{Source: smbprobe.SignalServerInfo, Value: "platform 500, version 4.9, type 0x00009003", Credible: false, Note: "dropped: not a version Windows reports (an old Samba says 4.9)"},
					},
				},
				Exchanges: append(smb1Exchanges("Windows Server 2003 3790 Service Pack 2", "Windows Server 2003 5.2"),
					smbprobe.Exchange{Step: "smb1.nt_create", Class: smbprobe.ClassSafe, Request: `\browser`, Status: "NTSTATUS 0x00000000 STATUS_SUCCESS", Millis: 2},
					smbprobe.Exchange{Step: "dcerpc.bind", Class: smbprobe.ClassSafe, Request: "srvsvc v3.0", Status: "bind_ack, result 0", Millis: 3},
					smbprobe.Exchange{Step: "srvsvc.NetprPathCanonicalize", Class: smbprobe.ClassSafe, Request: `PathName \..\ Prefix \ OutbufLen 2`, SentHex: "00000000020000000000000002000000", Status: "WERROR 0x00000057", Response: "can_path 0x5c450000", Millis: 5},
				),
				Findings: []smbprobe.Finding{
					{Check: smbprobe.CheckConficker, Category: smbprobe.CategoryInfection, Title: "Conficker worm answers on the srvsvc hook", Class: smbprobe.ClassSafe,
						Verdict: smbprobe.Infected, Severity: smbprobe.SeverityCritical, Variant: "A/B/C", Rule: "4a.werror-57",
						Reason:   `NetprPathCanonicalize("\..\") returned WERROR 0x57, the answer of Conficker's in-memory hook.`,
						Evidence: []int{3, 4, 5}, Remediation: []string{smbprobe.RemedyConfickerClean, smbprobe.RemedyBlock445, smbprobe.RemedyPasswords, smbprobe.RemedyAutoRun}},
					{Check: smbprobe.CheckMS08067, Category: smbprobe.CategoryVulnerability, Title: "MS08-067 Server service remote code execution", CVE: ms08067CVE, Class: smbprobe.ClassSafe,
						Verdict: smbprobe.Exposed, Severity: smbprobe.SeverityCritical, Rule: "3a.os-affected",
						Reason:   "Windows Server 2003 is affected; the patch state cannot be read without credentials.",
						Evidence: []int{1}, Remediation: []string{smbprobe.RemedyKB958644, smbprobe.RemedyBlock445}},
					{Check: smbprobe.CheckNullSession, Category: smbprobe.CategoryCompliance, Title: "Anonymous IPC$ access allowed", Class: smbprobe.ClassSafe,
						Verdict: smbprobe.Exposed, Severity: smbprobe.SeverityMedium, Rule: "6.null-session",
						Reason: "A null session and TREE_CONNECT to IPC$ succeeded.", Evidence: []int{1, 2}, Remediation: []string{smbprobe.RemedyRestrictAnon}},
					{Check: smbprobe.CheckOSUnsupported, Category: smbprobe.CategoryCompliance, Title: "Operating system out of support", Class: smbprobe.ClassSafe,
						Verdict: smbprobe.Exposed, Severity: smbprobe.SeverityHigh, Rule: "6.os-eol",
						Reason: "Windows Server 2003 left extended support in 2015.", Evidence: []int{1}, Remediation: []string{smbprobe.RemedyUpgradeOS}},
				},
				Connections: 1, RoundTrips: 6,
			},
		},
		{
			Address: "10.20.1.17", Port: 445, Status: scanner.StatusOpen, Attempts: 1, Started: at(2), ConnectMS: 1, TotalMS: 230,
			SMB: &smbprobe.Result{
				Fingerprint: smbprobe.Fingerprint{
					SMB1: true, Dialects: []string{"NT LM 0.12"}, SigningEnabled: true,
					NativeOS: "Windows 5.1", NativeLANMan: "Windows 2000 LAN Manager",
					NTLMVersion: &smbprobe.OSVersion{Major: 5, Minor: 1, Build: 2600},
					NetBIOSName: "TEST-F7DFBC3FE9", NetBIOSDomain: "WORKGROUP",
					NullSession: ptrBool(true), SessionMode: "ntlmssp-anonymous", Pipe: `\browser`,
					ServerInfo: &smbprobe.ServerInfo101{PlatformID: 500, Name: "TEST-F7DFBC3FE9", Major: 5, Minor: 1, Type: 0x00001003, Comment: ""},
					OS:         "Windows XP SP2+", OSFamily: "windows",
				},
				Exchanges: append(smb1Exchanges("Windows 5.1", "Windows 2000 LAN Manager"),
					smbprobe.Exchange{Step: "smb1.nt_create", Class: smbprobe.ClassSafe, Request: `\srvsvc`, Status: "NTSTATUS 0xC0000022 STATUS_ACCESS_DENIED", Millis: 1},
					smbprobe.Exchange{Step: "srvsvc.NetprPathCanonicalize", Class: smbprobe.ClassSafe, Request: `PathName \..\ on \browser`, Status: "WERROR 0x0000007B", Response: "WERR_INVALID_NAME", Millis: 4},
				),
				Findings: []smbprobe.Finding{
					{Check: smbprobe.CheckMS08067, Category: smbprobe.CategoryVulnerability, Title: "MS08-067 Server service remote code execution", CVE: ms08067CVE, Class: smbprobe.ClassSafe,
						Verdict: smbprobe.Exposed, Severity: smbprobe.SeverityCritical, Rule: "3a.os-affected",
						Reason:   "Windows XP (5.1 build 2600) is affected and exploitable without authentication; patch state not verified.",
						Evidence: []int{0, 1}, Remediation: []string{smbprobe.RemedyKB958644, smbprobe.RemedyBlock445, smbprobe.RemedyPasswords, smbprobe.RemedyAutoRun}},
					{Check: smbprobe.CheckConficker, Category: smbprobe.CategoryInfection, Title: "Conficker worm answers on the srvsvc hook", Class: smbprobe.ClassSafe,
						Verdict: smbprobe.Clean, Severity: smbprobe.SeverityInfo, Rule: "4a.clean",
						Reason: `NetprPathCanonicalize("\..\") returned WERR_INVALID_NAME: no Conficker hook.`, Evidence: []int{4}},
					{Check: smbprobe.CheckSMBv1, Category: smbprobe.CategoryCompliance, Title: "SMBv1 enabled", Class: smbprobe.ClassSafe,
						Verdict: smbprobe.Exposed, Severity: smbprobe.SeverityLow, Rule: "6.smb1",
						Reason: "The host accepted the NT LM 0.12 dialect.", Evidence: []int{0}, Remediation: []string{smbprobe.RemedyDisableSMBv1}},
				},
				Connections: 1, RoundTrips: 5,
			},
		},
		{
			Address: "10.20.2.8", Port: 445, Status: scanner.StatusOpen, Attempts: 1, Started: at(3), ConnectMS: 1, TotalMS: 980,
			SMB: &smbprobe.Result{
				Fingerprint: smbprobe.Fingerprint{
					SMB1: true, Dialects: []string{"NT LM 0.12"}, SigningEnabled: true,
					NativeOS: "Windows 5.1", NativeLANMan: "Windows 2000 LAN Manager",
					NTLMVersion: &smbprobe.OSVersion{Major: 5, Minor: 1, Build: 2600},
					NetBIOSName: "ACCT-XP3", NetBIOSDomain: "CORP",
					NullSession: ptrBool(true), SessionMode: "ntlmssp-anonymous", Pipe: `\browser`,
					OS: "Windows XP SP3", OSFamily: "windows",
				},
				Exchanges: append(smb1Exchanges("Windows 5.1", "Windows 2000 LAN Manager"),
					smbprobe.Exchange{Step: "srvsvc.NetprPathCanonicalize", Class: smbprobe.ClassSafe, Request: `PathName \..\ on \browser`, Status: "WERROR 0x0000007B", Response: "WERR_INVALID_NAME", Millis: 4},
					smbprobe.Exchange{Step: "smb1.read_version", Class: smbprobe.ClassCredentialed, Request: `ADMIN$\system32\netapi32.dll`, Status: "NTSTATUS 0x00000000 STATUS_SUCCESS", Response: "file version 5.1.2600.5694", Millis: 35},
				),
				Findings: []smbprobe.Finding{
					{Check: smbprobe.CheckMS08067, Category: smbprobe.CategoryVulnerability, Title: "MS08-067 Server service remote code execution", CVE: ms08067CVE, Class: smbprobe.ClassCredentialed,
						Verdict: smbprobe.Patched, Severity: smbprobe.SeverityInfo, Rule: "3b.netapi32-fixed",
						Reason: "netapi32.dll 5.1.2600.5694 is at or above the XP SP3 fix (5.1.2600.5694).", Evidence: []int{4}},
					{Check: smbprobe.CheckConficker, Category: smbprobe.CategoryInfection, Title: "Conficker worm answers on the srvsvc hook", Class: smbprobe.ClassSafe,
						Verdict: smbprobe.Clean, Severity: smbprobe.SeverityInfo, Rule: "4a.clean",
						Reason: `NetprPathCanonicalize("\..\") returned WERR_INVALID_NAME: no Conficker hook.`, Evidence: []int{3}},
				},
				Connections: 2, RoundTrips: 9,
			},
		},
		{
			Address: "10.20.2.30", Port: 445, Status: scanner.StatusOpen, Attempts: 1, Started: at(4), ConnectMS: 1, TotalMS: 120,
			SMB: &smbprobe.Result{
				Fingerprint: smbprobe.Fingerprint{
					SMB1: true, SMB2: true, Dialects: []string{"NT LM 0.12", "2.0.2", "2.1"}, SigningEnabled: true,
					NativeOS: "Windows 7 Ultimate 7601 Service Pack 1", NativeLANMan: "Windows 7 Ultimate 6.1",
					NTLMVersion: &smbprobe.OSVersion{Major: 6, Minor: 1, Build: 7601},
					NetBIOSName: "LAB-W7", NetBIOSDomain: "CORP", DNSName: "lab-w7.corp.example", DNSDomain: "corp.example",
					NullSession: ptrBool(true), SessionMode: "basic-null",
					OS: "Windows 7 SP1", OSFamily: "windows",
				},
				Exchanges: append(smb1Exchanges("Windows 7 Ultimate 7601 Service Pack 1", "Windows 7 Ultimate 6.1"),
					smbprobe.Exchange{Step: "smb1.transaction.peek_named_pipe", Class: smbprobe.ClassSafe, Request: `FID 0 \PIPE\`, Status: "NTSTATUS 0xC0000205 STATUS_INSUFF_SERVER_RESOURCES", Millis: 2},
				),
				Findings: []smbprobe.Finding{
					{Check: smbprobe.CheckMS17010, Category: smbprobe.CategoryVulnerability, Title: "MS17-010 SMBv1 remote code execution (EternalBlue)", CVE: ms17010CVE, Class: smbprobe.ClassSafe,
						Verdict: smbprobe.Vulnerable, Severity: smbprobe.SeverityCritical, Rule: "5.insuff-resources",
						Reason: "PeekNamedPipe on FID 0 returned STATUS_INSUFF_SERVER_RESOURCES.", Evidence: []int{2, 3}, Remediation: []string{smbprobe.RemedyMS17010, smbprobe.RemedyDisableSMBv1, smbprobe.RemedyBlock445}},
					{Check: smbprobe.CheckMS08067, Category: smbprobe.CategoryVulnerability, Title: "MS08-067 Server service remote code execution", CVE: ms08067CVE, Class: smbprobe.ClassSafe,
						Verdict: smbprobe.NotAffected, Severity: smbprobe.SeverityInfo, Rule: "3a.os-not-affected",
						Reason: "Windows 7 build 7601 is outside the affected set.", Evidence: []int{1}},
					{Check: smbprobe.CheckSigning, Category: smbprobe.CategoryCompliance, Title: "SMB signing not required", Class: smbprobe.ClassSafe,
						Verdict: smbprobe.Exposed, Severity: smbprobe.SeverityLow, Rule: "6.signing",
						Reason: "SecurityMode has signing enabled but not required.", Evidence: []int{0}, Remediation: []string{smbprobe.RemedyRequireSigning}},
				},
				Connections: 1, RoundTrips: 4,
			},
		},
		{
			Address: "10.20.3.2", Port: 445, Status: scanner.StatusOpen, Attempts: 1, Started: at(5), ConnectMS: 1, TotalMS: 60,
			SMB: &smbprobe.Result{
				Fingerprint: smbprobe.Fingerprint{
					SMB1: true, SMB2: true, Dialects: []string{"NT LM 0.12", "2.0.2", "3.1.1"}, SigningEnabled: true,
					NativeOS: "Windows 6.1", NativeLANMan: "Samba 4.17.12-Debian",
					NTLMVersion: &smbprobe.OSVersion{Major: 6, Minor: 1, Build: 0},
					NetBIOSName: "NAS01", NetBIOSDomain: "WORKGROUP",
					NullSession: ptrBool(true), SessionMode: "ntlmssp-anonymous", Pipe: `\srvsvc`,
					ServerInfo: &smbprobe.ServerInfo101{PlatformID: 500, Name: "NAS01", Major: 6, Minor: 1, Type: 0x00809a03, Comment: "Samba 4.17.12-Debian"},
					OS:         "Samba 4.17", OSFamily: "samba",
				},
				Exchanges: append(smb1Exchanges("Windows 6.1", "Samba 4.17.12-Debian"),
					smbprobe.Exchange{Step: "smb1.nt_create", Class: smbprobe.ClassSafe, Request: `\browser`, Status: "NTSTATUS 0xC0000034 STATUS_OBJECT_NAME_NOT_FOUND", Millis: 1},
					smbprobe.Exchange{Step: "srvsvc.NetprPathCanonicalize", Class: smbprobe.ClassSafe, Request: `PathName \..\ on \srvsvc`, Status: "fault 0x1C010002", Response: "nca_s_op_rng_error", Millis: 1},
				),
				Findings: []smbprobe.Finding{
					{Check: smbprobe.CheckMS08067, Category: smbprobe.CategoryVulnerability, Title: "MS08-067 Server service remote code execution", CVE: ms08067CVE, Class: smbprobe.ClassSafe,
						Verdict: smbprobe.NotAffected, Severity: smbprobe.SeverityInfo, Rule: "3a.samba",
						Reason: "Samba (NTLM 6.1 build 0, LAN Manager Samba 4.17.12-Debian) does not implement the vulnerable routine.", Evidence: []int{1, 4}},
					{Check: smbprobe.CheckSrvsvcAnon, Category: smbprobe.CategoryCompliance, Title: "srvsvc reachable anonymously", Class: smbprobe.ClassSafe,
						Verdict: smbprobe.Exposed, Severity: smbprobe.SeverityLow, Rule: "6.srvsvc-anon",
						Reason: `The srvsvc interface was bound on \srvsvc over a null session.`, Evidence: []int{4}, Remediation: []string{smbprobe.RemedyRestrictAnon}},
				},
				Connections: 1, RoundTrips: 6,
			},
		},
		{
			Address: "10.20.3.9", Port: 445, Status: scanner.StatusOpen, Attempts: 1, Started: at(6), ConnectMS: 1, TotalMS: 40,
			SMB: &smbprobe.Result{
				Fingerprint: smbprobe.Fingerprint{
					SMB2: true, SMB1: true, Dialects: []string{"NT LM 0.12", "2.0.2"}, SigningEnabled: true, SigningRequired: true,
					NTLMVersion: &smbprobe.OSVersion{Major: 6, Minor: 0, Build: 6001},
					NetBIOSName: "DC01", NetBIOSDomain: "CORP", DNSName: "dc01.corp.example", DNSDomain: "corp.example",
					NullSession: ptrBool(false), OS: "Windows Server 2008 SP1", OSFamily: "windows",
				},
				Exchanges: []smbprobe.Exchange{
					{Step: "smb1.negotiate", Class: smbprobe.ClassSafe, Request: "dialects NT LM 0.12, SMB 2.002, SMB 2.???", Status: "NTSTATUS 0x00000000 STATUS_SUCCESS", Response: "SMB 2.002", Millis: 2},
					{Step: "smb2.session_setup", Class: smbprobe.ClassSafe, Request: "NTLMSSP anonymous", Status: "NTSTATUS 0xC0000022 STATUS_ACCESS_DENIED", Millis: 3},
				},
				Findings: []smbprobe.Finding{
					{Check: smbprobe.CheckMS08067, Category: smbprobe.CategoryVulnerability, Title: "MS08-067 Server service remote code execution", CVE: ms08067CVE, Class: smbprobe.ClassSafe,
						Verdict: smbprobe.Exposed, Severity: smbprobe.SeverityHigh, Rule: "3a.os-affected-auth",
						Reason: "Windows Server 2008 RTM (6.0 build 6001) is affected; exploitation needs authentication.", Evidence: []int{0}, Remediation: []string{smbprobe.RemedyKB958644}},
					{Check: smbprobe.CheckConficker, Category: smbprobe.CategoryInfection, Title: "Conficker worm answers on the srvsvc hook", Class: smbprobe.ClassSafe,
						Verdict: smbprobe.Unknown, Severity: smbprobe.SeverityInfo, Rule: "4a.no-null-session",
						Reason: "The null session was refused (STATUS_ACCESS_DENIED), so the srvsvc hook could not be probed.", Evidence: []int{1}, Remediation: []string{smbprobe.RemedyVerifyManually}},
				},
				Connections: 1, RoundTrips: 2,
			},
		},
		{ // the port answered, then the SMB negotiation failed: nothing about the host is known
			Address: "10.20.3.40", Port: 445, Status: scanner.StatusOpen, Attempts: 1, Started: at(7), ConnectMS: 1, TotalMS: 3001,
			SMB: &smbprobe.Result{
				Exchanges: []smbprobe.Exchange{
					{Step: "smb1.negotiate", Class: smbprobe.ClassSafe, Request: "dialects NT LM 0.12, SMB 2.002, SMB 2.???", Status: "connection reset by peer", Millis: 1},
				},
				Findings: []smbprobe.Finding{
					{Check: smbprobe.CheckMS08067, Category: smbprobe.CategoryVulnerability, Title: "MS08-067 Server service remote code execution", CVE: ms08067CVE, Class: smbprobe.ClassSafe,
						Verdict: smbprobe.Unknown, Severity: smbprobe.SeverityInfo, Rule: "0.no-negotiation",
						Reason: "The SMB negotiation failed (connection reset by peer), so the operating system is unknown.", Evidence: []int{0}, Remediation: []string{smbprobe.RemedyVerifyManually}},
					{Check: smbprobe.CheckSigning, Category: smbprobe.CategoryCompliance, Title: "SMB signing not required", Class: smbprobe.ClassSafe,
						Verdict: smbprobe.Unknown, Severity: smbprobe.SeverityInfo, Rule: "0.no-negotiation",
						Reason: "The SMB negotiation failed, so the signing policy is unknown.", Evidence: []int{0}},
				},
				Connections: 1, RoundTrips: 1, Error: "smb1.negotiate: connection reset by peer",
			},
		},
		{
			Address: "10.20.4.1", Port: 445, Status: scanner.StatusClosed, Attempts: 1, Started: at(39), ConnectMS: 1, TotalMS: 1,
		},
	}
	doc := &Document{
		Schema: SchemaVersion, Tool: "scan445", Version: "1.0.0-test",
		Started: t0, Finished: t0.Add(47 * time.Second),
		Arguments: []string{"scan445", "scan", "--format", "json,html", "10.20.0.0/22"},
		Options:   map[string]string{"rate": "200", "concurrency": "64", "checks": "default", "intrusive": "false"},
		Complete:  true,
		Summary:   Summary{Targets: 1024},
		Hosts:     hosts,
	}
	Finalize(doc)
	return doc
}

// baselineDocument is an earlier run of the same network: the XP SP3 host was still exposed,
// the filtered host answered and was exposed, and the Windows 7 host was not there yet.
func baselineDocument() *Document {
	cur := fixtureDocument()
	base := &Document{Schema: SchemaVersion, Tool: "scan445", Version: "0.9.0", Started: t0.Add(-7 * 24 * time.Hour),
		Finished: t0.Add(-7*24*time.Hour + 50*time.Second), Arguments: []string{"scan445"}, Complete: true, Summary: Summary{Targets: 1024}}
	for _, h := range cur.Hosts {
		switch h.Address {
		case "10.20.2.30":
			continue
		case "10.20.2.8":
			h.SMB.Findings[0].Verdict = smbprobe.Exposed
			h.SMB.Findings[0].Severity = smbprobe.SeverityCritical
		case "10.20.4.2":
			h.Status = scanner.StatusOpen
			h.SMB = &smbprobe.Result{Findings: []smbprobe.Finding{{Check: smbprobe.CheckMS08067, Category: smbprobe.CategoryVulnerability,
				Title: "MS08-067 Server service remote code execution", Verdict: smbprobe.Exposed, Severity: smbprobe.SeverityCritical, Class: smbprobe.ClassSafe}}}
		}
		base.Hosts = append(base.Hosts, h)
	}
	Finalize(base)
	return base
}

func verdictOf(s string) smbprobe.Verdict { return smbprobe.Verdict(s) }
