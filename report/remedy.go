package report

import "github.com/scan445/scan445/smbprobe"

// Remedy is the text behind a remediation id.
type Remedy struct {
	ID    string   `json:"id"`
	Title string   `json:"title"`
	Steps []string `json:"steps"`
	// Source says where the advice comes from, so a reader can check it: public documents
	// only (bulletins, KB articles, alerts), never this project's internal notes.
	Source string `json:"source"`
}

// Remedies is the catalogue keyed by the remediation ids of package smbprobe, in the order a
// report lists them: containment of infections before patching, patching before hardening.
// It returns a fresh slice each call so no caller can alter another's copy.
func Remedies() []Remedy {
	const jpcert = "JPCERT/CC alert JPCERT-AT-2009-0002"
	return []Remedy{
		{
			ID:    smbprobe.RemedyConfickerClean,
			Title: "Isolate and clean the infected host",
			Steps: []string{
				"Disconnect the host from the network (or move it to a quarantine VLAN) before anything else: it is scanning and attacking its neighbours.",
				"Clean it with an up-to-date Conficker removal tool (e.g. the Microsoft Malicious Software Removal Tool) from trusted media; the worm blocks security sites and disables updates on the host itself.",
				"Install KB958644 before reconnecting, reset the passwords of every account used on the host, then re-scan it.",
			},
			Source: "Microsoft KB962007 (virus alert about the Win32/Conficker worm); " + jpcert,
		},
		{
			ID:    smbprobe.RemedyKB958644,
			Title: "Install security update KB958644 (MS08-067)",
			Steps: []string{
				"Apply the security update for the Server service (MS08-067, KB958644), or any later netapi32.dll update of the same branch.",
				"Where no update exists for the Windows version, retire or upgrade the host.",
			},
			Source: jpcert + " countermeasure 1; Microsoft bulletin MS08-067",
		},
		{
			ID:    smbprobe.RemedyMS17010,
			Title: "Install the MS17-010 security update",
			Steps: []string{
				"Apply the March 2017 SMBv1 server update (MS17-010) or a later cumulative update.",
				"Disable SMBv1 where it is not needed.",
			},
			Source: "Microsoft bulletin MS17-010",
		},
		{
			ID:    smbprobe.RemedyBlock445,
			Title: "Block outbound TCP/445 at the network edge",
			Steps: []string{
				"Drop traffic from inside to outside TCP port 445 at the perimeter firewall, so that an infected host cannot spread beyond the network.",
				"Restrict TCP/445 between internal segments to the file servers that need it.",
				"Verify from inside: scan445 egress --to HOST, where HOST is an endpoint you control outside the border that listens on 445 and 139.",
			},
			Source: jpcert + " countermeasure 2",
		},
		{
			ID:    smbprobe.RemedyPasswords,
			Title: "Use strong passwords on every account",
			Steps: []string{
				"Replace weak or default passwords on local and domain accounts: Conficker tries a list of common passwords against ADMIN$.",
				"Enable account lockout and disable unused administrative accounts.",
			},
			Source: jpcert + " countermeasure 3",
		},
		{
			ID:    smbprobe.RemedyWeakPassword,
			Title: "Change the passwords the audit guessed",
			Steps: []string{
				"Change the password of every account the weak-password finding names, now: it is in the dictionary Conficker (and every worm since) tries first. The finding gives the list and the entry's number (e.g. conficker#46), never the password: look the entry up in the list if you need to know which it was.",
				"Where an administrator account was guessed, treat the host as possibly compromised: check it for Conficker and review the accounts and scheduled tasks on it.",
				"Set an account lockout threshold (Conficker's guessing locks accounts where one is set, which is how many networks noticed it) and a minimum password length; disable accounts that are not used.",
			},
			Source: jpcert + " countermeasure 3; Microsoft KB962007",
		},
		{
			ID:    smbprobe.RemedyAutoRun,
			Title: "Disable AutoRun for removable media",
			Steps: []string{
				"Turn off AutoRun/AutoPlay for removable drives (Group Policy: NoDriveTypeAutoRun = 0xFF); Conficker spreads through autorun.inf on USB memory.",
				"Handle USB memory from unknown machines with care and scan it before use.",
				"On Windows 2000, XP and Server 2003, install KB967715 so that NoDriveTypeAutoRun is honoured, and KB971029 so that AutoRun runs from CD/DVD only; or map autorun.inf to nowhere: HKLM\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion\\IniFileMapping\\Autorun.inf, default value \"@SYS:DoesNotExist\".",
			},
			Source: jpcert + " countermeasure 4; Microsoft KB967715 and KB971029",
		},
		{
			ID:    smbprobe.RemedyDisableSMBv1,
			Title: "Disable SMBv1",
			Steps: []string{
				"Turn off the SMBv1 server (Windows features, or Set-SmbServerConfiguration -EnableSMB1Protocol $false; Samba: server min protocol = SMB2).",
			},
			Source: "Microsoft KB2696547 (how to detect, enable and disable SMBv1, SMBv2 and SMBv3)",
		},
		{
			ID:    smbprobe.RemedyRequireSigning,
			Title: "Require SMB signing",
			Steps: []string{
				"Set \"Microsoft network server: Digitally sign communications (always)\" (Samba: server signing = mandatory).",
			},
			Source: "Microsoft KB887429 (overview of Server Message Block signing)",
		},
		{
			ID:    smbprobe.RemedyRestrictAnon,
			Title: "Restrict anonymous access",
			Steps: []string{
				"Refuse null sessions to IPC$ and anonymous access to named pipes (RestrictAnonymous, RestrictNullSessAccess; Samba: restrict anonymous = 2).",
			},
			Source: "Microsoft security policy settings \"Network access: Restrict anonymous access to Named Pipes and Shares\" and \"Do not allow anonymous enumeration of SAM accounts and shares\"",
		},
		{
			ID:    smbprobe.RemedyUpgradeOS,
			Title: "Upgrade the operating system",
			Steps: []string{
				"Move the host to a Windows version that still receives security updates; until then isolate it from untrusted networks.",
			},
			Source: "Microsoft lifecycle policy: versions past their end of support receive no security updates",
		},
		{
			ID:    smbprobe.RemedyVerifyManually,
			Title: "Verify manually",
			Steps: []string{
				"The scan could not decide. Check the patch level on the host itself (netapi32.dll file version, installed updates) or re-scan with credentials.",
			},
			Source: "scan445: a check that cannot decide from the network says unknown rather than guess",
		},
	}
}

// LookupRemedy returns the catalogue entry for an id.
func LookupRemedy(id string) (Remedy, bool) {
	for _, r := range Remedies() {
		if r.ID == id {
			return r, true
		}
	}
	return Remedy{}, false
}
