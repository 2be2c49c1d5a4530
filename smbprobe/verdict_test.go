package smbprobe

import (
	"testing"

	"github.com/scan445/scan445/smbprobe/dcerpc"
	"github.com/scan445/scan445/smbprobe/ntstatus"
	"github.com/scan445/scan445/smbprobe/srvsvc"
)

func win(major, minor uint8, build uint16) osInfo {
	return osInfo{family: FamilyWindows, major: major, minor: minor, build: build, known: true, name: windowsName(major, minor, build)}
}

func TestMS08Exposure(t *testing.T) {
	tests := []struct {
		name string
		os   osInfo
		v    Verdict
		sev  Severity
		rule string
	}{
		{"2000", win(5, 0, 2195), Exposed, SeverityCritical, "3a.os-affected"},
		{"XP", win(5, 1, 2600), Exposed, SeverityCritical, "3a.os-affected"},
		{"2003", win(5, 2, 3790), Exposed, SeverityCritical, "3a.os-affected"},
		{"NT4", win(4, 0, 1381), Exposed, SeverityCritical, "3a.os-affected"},
		{"Vista RTM", win(6, 0, 6000), Exposed, SeverityHigh, "3a.os-affected"},
		{"Vista SP1 / 2008 RTM", win(6, 0, 6001), Exposed, SeverityHigh, "3a.os-affected"},
		{"Vista SP2", win(6, 0, 6002), NotAffected, SeverityInfo, "3a.os-fixed"},
		{"2008 SP2 update", win(6, 0, 6003), NotAffected, SeverityInfo, "3a.os-fixed"},
		{"6.0 build unknown", win(6, 0, 0), Unknown, SeverityInfo, "3a.build-unknown"},
		{"7 pre-beta", win(6, 1, 6801), Exposed, SeverityHigh, "3a.os-affected"},
		{"7 RTM", win(6, 1, 7600), NotAffected, SeverityInfo, "3a.os-fixed"},
		{"7 SP1", win(6, 1, 7601), NotAffected, SeverityInfo, "3a.os-fixed"},
		{"8.1", win(6, 3, 9600), NotAffected, SeverityInfo, "3a.os-fixed"},
		{"10", win(10, 0, 19045), NotAffected, SeverityInfo, "3a.os-fixed"},
		{"Samba", osInfo{family: FamilySamba, samba: "LAN Manager"}, NotAffected, SeverityInfo, "3a.samba"},
		{"other", osInfo{family: FamilyOther}, NotAffected, SeverityInfo, "3a.not-windows"},
		{"unknown", osInfo{}, Unknown, SeverityInfo, "3a.os-unknown"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, sev, rule, why := ms08Exposure(tt.os)
			if v != tt.v || sev != tt.sev || rule != tt.rule || why == "" {
				t.Errorf("got %s %s %s %q, want %s %s %s", v, sev, rule, why, tt.v, tt.sev, tt.rule)
			}
		})
	}
}

func words(canPath uint32, w srvsvc.WERROR) rpcAnswer {
	return rpcAnswer{sent: true, hasWerr: true, werr: w, hasWords: true, words: srvsvc.PathCanonicalizeWords{MaxCount: 2, CanPath: canPath, PathType: 1, Status: w}}
}

func TestConfickerVerdict(t *testing.T) {
	fault := func(s dcerpc.FaultStatus) rpcAnswer { return rpcAnswer{sent: true, faulted: true, fault: s} }
	tests := []struct {
		name      string
		dot, root rpcAnswer
		v         Verdict
		variant   string
		rule      string
	}{
		{"clean", words(0, srvsvc.WerrInvalidName), words(0x0000005c, 0), Patched, "", "4a.clean"},
		{"A/B/C", words(0, srvsvc.WerrInvalidParameter), words(0x0000005c, 0), Infected, "A/B/C", "4a.hook-0x57"},
		{"A/B/C with the scanner's can_path", words(0x5c450000, srvsvc.WerrInvalidParameter), words(0x0000005c, 0), Infected, "A/B/C", "4a.hook-0x57"},
		{"D/E padding leak", words(0, srvsvc.WerrInvalidParameter), words(canPathConfickerDE, 0), Infected, "D/E", "4a.hook-de-padding"},
		{"D/E leak alone", words(0, srvsvc.WerrInvalidName), words(canPathConfickerDE, 0), Infected, "D/E", "4a.hook-de-padding"},
		{"D/E can_path 0 (Tenable)", words(0, srvsvc.WerrInvalidParameter), words(0, 0), Infected, "D/E", "4a.hook-0x57"},
		{"Samba op range fault", fault(dcerpc.StatusOpRangeError), fault(dcerpc.StatusOpRangeError), Unknown, "", "4a.call-unsupported"},
		{"other fault", fault(dcerpc.StatusAccessDenied), words(0x5c, 0), Unknown, "", "4a.fault"},
		{"not sent", rpcAnswer{notRun: "refused"}, rpcAnswer{}, Unknown, "", "4a.not-run"},
		{"no answer", rpcAnswer{sent: true}, words(0x5c, 0), Unknown, "", "4a.no-answer"},
		{"odd codes", words(0, srvsvc.WerrAccessDenied), words(0x5c, 0), Unknown, "", "4a.unexpected"},
		{"root wrong path", words(0, srvsvc.WerrInvalidName), words(0x00000041, 0), Unknown, "", "4a.unexpected"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, variant, rule, why := confickerVerdict(tt.dot, tt.root)
			if v != tt.v || variant != tt.variant || rule != tt.rule || why == "" {
				t.Errorf("got %s %q %s %q, want %s %q %s", v, variant, rule, why, tt.v, tt.variant, tt.rule)
			}
			if v == Patched && (tt.dot.faulted || tt.root.faulted) {
				t.Error("a fault read as patched")
			}
		})
	}
}

func TestMS17Verdict(t *testing.T) {
	tests := []struct {
		st   ntstatus.Status
		v    Verdict
		rule string
	}{
		{ntstatus.InsuffServerResources, Vulnerable, "5.insuff-resources"},
		{ntstatus.InvalidHandle, Patched, "5.invalid-handle"},
		{ntstatus.AccessDenied, Patched, "5.access-denied"},
		{ntstatus.NotImplemented, Unknown, "5.other-status"},
		{ntstatus.Status(0xC0000001), Unknown, "5.other-status"},
		{ntstatus.Success, Unknown, "5.other-status"},
	}
	for _, tt := range tests {
		v, rule, why := ms17Verdict(tt.st)
		if v != tt.v || rule != tt.rule || why == "" {
			t.Errorf("%s: got %s %s %q, want %s %s", tt.st, v, rule, why, tt.v, tt.rule)
		}
	}
}

func TestOSSupport(t *testing.T) {
	tests := []struct {
		os osInfo
		v  Verdict
	}{
		{win(5, 1, 2600), Exposed},
		{win(6, 1, 7601), Exposed},
		{win(6, 3, 9600), Exposed},
		{win(10, 0, 19045), Exposed},     // Windows 10 22H2, past 2025-10-14
		{win(10, 0, 14393), NotAffected}, // Server 2016
		{win(10, 0, 17763), NotAffected}, // Server 2019
		{win(10, 0, 20348), NotAffected}, // Server 2022
		{win(10, 0, 26100), NotAffected}, // Windows 11 24H2 / Server 2025
		{osInfo{family: FamilySamba}, NotAffected},
		{osInfo{}, Unknown},
	}
	for _, tt := range tests {
		if v, _, _, _ := osSupport(tt.os); v != tt.v {
			t.Errorf("%+v: got %s, want %s", tt.os, v, tt.v)
		}
	}
}

func TestIdentifyOS(t *testing.T) {
	v := func(ma, mi uint8, b uint16) *OSVersion { return &OSVersion{Major: ma, Minor: mi, Build: b} }
	tests := []struct {
		name   string
		fp     Fingerprint
		family string
		major  uint8
		minor  uint8
		build  uint16
	}{
		{"XP from NTLM", Fingerprint{NTLMVersion: v(5, 1, 2600), NativeOS: "Windows 5.1"}, FamilyWindows, 5, 1, 2600},
		{"2000 from Native OS", Fingerprint{NativeOS: "Windows 5.0", NativeLANMan: "Windows 2000 LAN Manager"}, FamilyWindows, 5, 0, 2195},
		{"2003 from Native OS", Fingerprint{NativeOS: "Windows Server 2003 3790 Service Pack 2"}, FamilyWindows, 5, 2, 3790},
		{"Vista from Native OS", Fingerprint{NativeOS: "Windows Vista (TM) Business 6001 Service Pack 1"}, FamilyWindows, 6, 0, 6001},
		{"8.1 from Native OS", Fingerprint{NativeOS: "Windows 8.1 9600"}, FamilyWindows, 6, 3, 9600},
		{"7 from Native OS", Fingerprint{NativeOS: "Windows 7 Ultimate 7601 Service Pack 1"}, FamilyWindows, 6, 1, 7601},
		{"Samba 4.17", Fingerprint{NTLMVersion: v(6, 1, 0), NativeOS: "Windows 6.1", NativeLANMan: "Samba 4.17.12-Debian"}, FamilySamba, 0, 0, 0},
		{"Samba over SMB2 (NTLM build 0)", Fingerprint{NTLMVersion: v(6, 1, 0)}, FamilySamba, 0, 0, 0},
		{"server info only", Fingerprint{ServerInfo: &ServerInfo101{PlatformID: 500, Major: 5, Minor: 1}}, FamilyWindows, 5, 1, 0},
		{"injection strings", Fingerprint{NativeOS: "<script>alert(1)</script>", NativeLANMan: "=cmd|' /C calc'!A0"}, "", 0, 0, 0},
		{"nothing", Fingerprint{}, "", 0, 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := identifyOS(&tt.fp)
			if o.family != tt.family || o.major != tt.major || o.minor != tt.minor || o.build != tt.build {
				t.Errorf("got %+v, want %s %d.%d.%d", o, tt.family, tt.major, tt.minor, tt.build)
			}
		})
	}
}

// TestUnknownNeverPatched: a check that could not run must not come out patched or
// not-affected just because nothing was observed.
func TestUnknownNeverPatched(t *testing.T) {
	r := &run{res: &Result{}, sel: selection(DefaultChecks()), opts: Options{}}
	r.f.init()
	r.judge()
	for _, f := range r.res.Findings {
		if f.Check == CheckConfickerP2P {
			continue
		}
		if f.Verdict != Unknown {
			t.Errorf("%s: %s with no observation (%s)", f.Check, f.Verdict, f.Reason)
		}
	}
}
