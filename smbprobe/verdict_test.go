package smbprobe

import (
	"strings"
	"testing"
	"time"

	"github.com/scan445/scan445/smbprobe/dcerpc"
	"github.com/scan445/scan445/smbprobe/ntstatus"
	"github.com/scan445/scan445/smbprobe/srvsvc"
)

// win is a fused reading from one credible NTLM VERSION.
func win(major, minor uint8, build uint16) osInfo {
	o := osInfo{readings: []osReading{{source: SignalNTLM, major: major, minor: minor, build: build}}}
	o.fuse(nil)
	return o
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
		{"NT4", win(4, 0, 1381), Unknown, SeverityInfo, "3a.nt4"},
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
		{"clean, \\ returns the path", words(0, srvsvc.WerrInvalidName), words(0x0000005c, 0), Clean, "", "4a.clean"},
		{"clean, \\ returns NERR_BufTooSmall", words(0, srvsvc.WerrInvalidName), words(0, 0x84B), Clean, "", "4a.clean"},
		{"clean, \\ returns another path", words(0, srvsvc.WerrInvalidName), words(0x00000041, 0), Clean, "", "4a.clean"},
		{"D/E signature with NERR_BufTooSmall", words(0, srvsvc.WerrInvalidName), words(canPathConfickerDE, 0x84B), Infected, "D/E", "4a.hook-de-padding"},
		{"\\..\\ returns 0", words(0, 0), words(0x5c, 0), Unknown, "", "4a.dotdot-0"},
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
		{"root not answered", words(0, srvsvc.WerrInvalidName), rpcAnswer{sent: true}, Unknown, "", "4a.no-answer"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, variant, rule, why := confickerVerdict(tt.dot, tt.root)
			if v != tt.v || variant != tt.variant || rule != tt.rule || why == "" {
				t.Errorf("got %s %q %s %q, want %s %q %s", v, variant, rule, why, tt.v, tt.variant, tt.rule)
			}
			if v == Clean && (tt.dot.faulted || tt.root.faulted || !tt.root.hasWerr) {
				t.Error("a fault or a missing answer read as clean")
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
		{win(10, 0, 19044), NotAffected}, // Windows 10 LTSC 2021 (IoT until 2032)
		{win(10, 0, 22631), Exposed},     // Windows 11 23H2, ended 2026-11-10
		{win(10, 0, 26200), NotAffected}, // Windows 11 25H2
		{win(10, 0, 29000), NotAffected}, // newer than the table
		{win(10, 0, 0), Unknown},         // 10.0 without a build
		{win(4, 0, 0), Exposed},          // NT 4
		{win(10, 0, 14393), NotAffected}, // Server 2016
		{win(10, 0, 17763), NotAffected}, // Server 2019
		{win(10, 0, 20348), NotAffected}, // Server 2022
		{win(10, 0, 26100), NotAffected}, // Windows 11 24H2 / Server 2025
		{osInfo{family: FamilySamba}, NotAffected},
		{osInfo{}, Unknown},
	}
	for _, tt := range tests {
		if v, _, _, _ := osSupport(tt.os, scanDay); v != tt.v {
			t.Errorf("%+v: got %s, want %s", tt.os, v, tt.v)
		}
	}
}

// scanDay is the clock of the lifecycle tests.
var scanDay = time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC)

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
		{"XP from NTLM", Fingerprint{NTLMVersion: v(5, 1, 2600), NTLMRevision: 15, NativeOS: "Windows 5.1"}, FamilyWindows, 5, 1, 2600},
		{"impacket: NTLM 255.255.65535 dropped, Native OS says XP", Fingerprint{NTLMVersion: v(255, 255, 65535), NTLMRevision: 15, NativeOS: "Windows 5.1", NativeLANMan: "Windows 2000 LAN Manager"}, FamilyWindows, 5, 1, 2600},
		{"NTLM revision other than 15 dropped", Fingerprint{NTLMVersion: v(6, 1, 7601), NTLMRevision: 10, NativeOS: "Windows 5.1"}, FamilyWindows, 5, 1, 2600},
		{"old Samba's server info 4.9 dropped", Fingerprint{ServerInfo: &ServerInfo101{PlatformID: 500, Major: 4, Minor: 9}}, "", 0, 0, 0},
		{"NT 4 from server info", Fingerprint{ServerInfo: &ServerInfo101{PlatformID: 500, Major: 4, Minor: 0}}, FamilyWindows, 4, 0, 0},
		{"Samba by SV_TYPE_SERVER_UNIX", Fingerprint{ServerInfo: &ServerInfo101{PlatformID: 500, Major: 6, Minor: 1, Type: 0x00809a03}}, FamilySamba, 0, 0, 0},
		{"dialect floor alone", Fingerprint{SMB2: true, Dialects: []string{"3.1.1"}}, FamilyWindows, 10, 0, 0},
		{"2000 from Native OS", Fingerprint{NativeOS: "Windows 5.0", NativeLANMan: "Windows 2000 LAN Manager"}, FamilyWindows, 5, 0, 2195},
		{"2003 from Native OS", Fingerprint{NativeOS: "Windows Server 2003 3790 Service Pack 2"}, FamilyWindows, 5, 2, 3790},
		{"Vista from Native OS", Fingerprint{NativeOS: "Windows Vista (TM) Business 6001 Service Pack 1"}, FamilyWindows, 6, 0, 6001},
		{"8.1 from Native OS", Fingerprint{NativeOS: "Windows 8.1 9600"}, FamilyWindows, 6, 3, 9600},
		{"7 from Native OS", Fingerprint{NativeOS: "Windows 7 Ultimate 7601 Service Pack 1"}, FamilyWindows, 6, 1, 7601},
		{"Samba 4.17", Fingerprint{NTLMVersion: v(6, 1, 0), NativeOS: "Windows 6.1", NativeLANMan: "Samba 4.17.12-Debian"}, FamilySamba, 0, 0, 0},
		{"Samba over SMB2 (NTLM build 0)", Fingerprint{NTLMVersion: v(6, 1, 0)}, FamilySamba, 0, 0, 0},
		{"server info only", Fingerprint{ServerInfo: &ServerInfo101{PlatformID: 500, Major: 5, Minor: 1}}, FamilyWindows, 5, 1, 2600},
		{"server info platform 400 dropped", Fingerprint{ServerInfo: &ServerInfo101{PlatformID: 400, Major: 5, Minor: 1}}, "", 0, 0, 0},
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

// TestFusionNeverNotAffectedWhenAnySignalSaysAffected: whatever the other credible signals
// say, one credible affected reading keeps ms08-067 exposed, and the reason names the conflict.
func TestFusionNeverNotAffectedWhenAnySignalSaysAffected(t *testing.T) {
	v := func(ma, mi uint8, b uint16) *OSVersion { return &OSVersion{Major: ma, Minor: mi, Build: b} }
	tests := []struct {
		name     string
		fp       Fingerprint
		want     Verdict
		rule     string
		conflict bool
	}{
		{"impacket SimpleSMBServer", Fingerprint{SMB1: true, Dialects: []string{"NT LM 0.12"}, NTLMVersion: v(255, 255, 65535), NTLMRevision: 15, NativeOS: "Windows 5.1", NativeLANMan: "Windows 2000 LAN Manager", ServerInfo: &ServerInfo101{PlatformID: 500, Major: 5, Minor: 1, Type: 0x1003}}, Exposed, "3a.os-affected", false},
		{"NTLM says 7, Native OS says XP", Fingerprint{NTLMVersion: v(6, 1, 7601), NTLMRevision: 15, NativeOS: "Windows 5.1"}, Exposed, "3a.conflict-affected", true},
		{"XP strings on an SMB 2.1 host", Fingerprint{SMB1: true, SMB2: true, Dialects: []string{"NT LM 0.12", "2.1"}, NativeOS: "Windows 5.1"}, Exposed, "3a.conflict-affected", true},
		{"Samba LAN Manager but XP server info", Fingerprint{NativeLANMan: "Samba 3.0.33", ServerInfo: &ServerInfo101{PlatformID: 500, Major: 5, Minor: 1}}, Exposed, "3a.conflict-affected", true},
		{"Vista SP1 over SMB 2.0.2", Fingerprint{SMB2: true, Dialects: []string{"NT LM 0.12", "2.0.2"}, NTLMVersion: v(6, 0, 6001), NTLMRevision: 15, NativeOS: "Windows Vista (TM) Business 6001 Service Pack 1"}, Exposed, "3a.os-affected", false},
		{"2008 SP2 over SMB 2.0.2", Fingerprint{SMB2: true, Dialects: []string{"NT LM 0.12", "2.0.2"}, NTLMVersion: v(6, 0, 6002), NTLMRevision: 15}, NotAffected, "3a.os-fixed", false},
		{"7 and 8.1 readings disagree", Fingerprint{NTLMVersion: v(6, 1, 7601), NTLMRevision: 15, NativeOS: "Windows 8.1 9600"}, Unknown, "3a.signals-disagree", true},
		{"NT 4 against 7", Fingerprint{NTLMVersion: v(6, 1, 7601), NTLMRevision: 15, ServerInfo: &ServerInfo101{PlatformID: 500, Major: 4, Minor: 0}}, Unknown, "3a.signals-disagree", true},
		{"Samba 4.17", Fingerprint{SMB2: true, Dialects: []string{"3.1.1"}, NTLMVersion: v(6, 1, 0), NTLMRevision: 15, NativeOS: "Windows 6.1", NativeLANMan: "Samba 4.17.12-Debian", ServerInfo: &ServerInfo101{PlatformID: 500, Major: 6, Minor: 1, Type: 0x00809a03}}, NotAffected, "3a.samba", false},
		{"only implausible signals", Fingerprint{NTLMVersion: v(255, 255, 65535), NTLMRevision: 15, NativeOS: "Windows 255.255"}, Unknown, "3a.os-unknown", false},
		{"SMB 2.0.2 alone", Fingerprint{SMB2: true, Dialects: []string{"2.0.2"}}, Unknown, "3a.build-unknown", false},
		{"SMB 3.1.1 alone", Fingerprint{SMB2: true, Dialects: []string{"3.1.1"}}, NotAffected, "3a.os-fixed", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := identifyOS(&tt.fp)
			got, _, rule, why := ms08Exposure(o)
			if got != tt.want || rule != tt.rule {
				t.Fatalf("got %s %s (%s), want %s %s; signals %+v", got, rule, why, tt.want, tt.rule, o.signals)
			}
			if tt.conflict != (o.conflict != "") {
				t.Errorf("conflict %q, want conflict %t", o.conflict, tt.conflict)
			}
			if tt.conflict && !strings.Contains(why, "disagree") {
				t.Errorf("reason does not name the conflict: %q", why)
			}
			for _, s := range o.signals {
				if !s.Credible && s.Note == "" {
					t.Errorf("signal %+v dropped without saying why", s)
				}
			}
		})
	}
}

// TestJudgeMS08Combined runs the whole judge on facts: the infection and intrusive rules.
func TestJudgeMS08Combined(t *testing.T) {
	xp := Fingerprint{SMB1: true, NTLMVersion: &OSVersion{Major: 255, Minor: 255, Build: 65535}, NTLMRevision: 15, NativeOS: "Windows 5.1"}
	win7 := Fingerprint{SMB1: true, NTLMVersion: &OSVersion{Major: 6, Minor: 1, Build: 7601}, NTLMRevision: 15}
	hook := func(dot srvsvc.WERROR) (rpcAnswer, rpcAnswer) {
		return words(0, dot), words(0x5c, 0)
	}
	sent := func(w srvsvc.WERROR) rpcAnswer { return rpcAnswer{sent: true, idx: 0, hasWerr: true, werr: w} }
	tests := []struct {
		name      string
		fp        Fingerprint
		dot       srvsvc.WERROR
		intrusive *rpcAnswer
		ms08      Verdict
		ms08Rule  string
		conficker Verdict
	}{
		{"impacket XP, clean", xp, srvsvc.WerrInvalidName, nil, Exposed, "ms08-067/3a.os-affected", Clean},
		{"impacket XP, Conficker", xp, srvsvc.WerrInvalidParameter, nil, Exposed, "ms08-067/3a.os-affected", Infected},
		{"claims 7 but infected", win7, srvsvc.WerrInvalidParameter, nil, Exposed, "ms08-067/3a.infected-implies-affected", Infected},
		{"intrusive 0x57: infected, still exposed", xp, srvsvc.WerrInvalidName, &rpcAnswer{sent: true, hasWerr: true, werr: srvsvc.WerrInvalidParameter}, Exposed, "ms08-067/3c.werr-0x57", Infected},
		{"intrusive 0x7B: patched", xp, srvsvc.WerrInvalidName, ptr(sent(srvsvc.WerrInvalidName)), Patched, "ms08-067/3c.werr-0x7b", Clean},
		{"intrusive 0: vulnerable", xp, srvsvc.WerrInvalidName, ptr(sent(0)), Vulnerable, "ms08-067/3c.return-0", Clean},
		{"intrusive not sent keeps exposed", xp, srvsvc.WerrInvalidName, &rpcAnswer{notRun: "connection broken"}, Exposed, "ms08-067/3a.os-affected", Clean},
		{"intrusive fault keeps exposed", xp, srvsvc.WerrInvalidName, &rpcAnswer{sent: true, faulted: true, fault: dcerpc.StatusOpRangeError}, Exposed, "ms08-067/3a.os-affected", Clean},
		{"intrusive timeout keeps exposed", xp, srvsvc.WerrInvalidName, &rpcAnswer{sent: true, timedOut: true, err: ErrTimeout}, Exposed, "ms08-067/3a.os-affected", Clean},
		{"intrusive dropped after write: may have crashed", xp, srvsvc.WerrInvalidName, &rpcAnswer{sent: true, dropped: true, err: ErrDropped}, Vulnerable, "ms08-067/3c.connection-dropped", Clean},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := &run{res: &Result{Fingerprint: tt.fp}, sel: selection{CheckMS08067, CheckConficker}, opts: Options{Now: func() time.Time { return scanDay }}}
			r.f.init()
			r.f.hookDot, r.f.hookRoot = hook(tt.dot)
			if tt.intrusive != nil {
				r.opts.Intrusive = true
				r.f.intrusive = *tt.intrusive
			}
			r.judge()
			got := map[string]Finding{}
			for _, f := range r.res.Findings {
				got[f.Check] = f
			}
			if f := got[CheckMS08067]; f.Verdict != tt.ms08 || f.Rule != tt.ms08Rule {
				t.Errorf("ms08-067 %s %s (%s), want %s %s", f.Verdict, f.Rule, f.Reason, tt.ms08, tt.ms08Rule)
			}
			if f := got[CheckConficker]; f.Verdict != tt.conficker {
				t.Errorf("conficker %s (%s), want %s", f.Verdict, f.Reason, tt.conficker)
			}
		})
	}
}

func ptr[T any](v T) *T { return &v }
