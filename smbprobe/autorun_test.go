package smbprobe

import (
	"strings"
	"testing"

	"github.com/scan445/scan445/smbprobe/internal/utf16le"
	"github.com/scan445/scan445/smbprobe/winreg"
)

func sz(s string) winreg.Value { return winreg.Value{Type: winreg.RegSZ, Data: utf16le.EncodeZ(s)} }

func dword(n uint32) winreg.Value {
	return winreg.Value{Type: winreg.RegDWORD, Data: []byte{byte(n), byte(n >> 8), byte(n >> 16), byte(n >> 24)}}
}

// regOf builds registry facts: values by `path\name`, update KBs registered.
func regOf(values map[string]winreg.Value, kbs ...string) *regFacts {
	g := &regFacts{values: map[string]regValue{}, updates: map[string]regValue{}}
	for k, v := range values {
		g.values[k] = regValue{found: true, val: v, ev: []int{1}}
	}
	for _, kb := range []string{kbMS08067, kbAutorunFix, kbAutorunLimit} {
		g.updates[kb] = regValue{why: "not registered", ev: []int{2}}
	}
	for _, kb := range kbs {
		g.updates[kb] = regValue{found: true, why: `HKLM\SOFTWARE\Microsoft\Updates\Windows XP\SP4\` + kb, ev: []int{3}}
	}
	for _, k := range []string{regExplorerPolicy + `\NoDriveTypeAutoRun`, regExplorerPolicy + `\HonorAutorunSetting`, regAutorunInf + `\`} {
		if _, ok := g.values[k]; !ok {
			g.values[k] = regValue{why: "absent", ev: []int{4}}
		}
	}
	return g
}

// failed marks value key of g as unreadable (not absent).
func failed(g *regFacts, key, why string) *regFacts {
	g.values[key] = regValue{why: why, failed: true, ev: []int{5}}
	return g
}

func failedUpdate(g *regFacts, kb string) *regFacts {
	g.updates[kb] = regValue{why: "smbprobe: connection dropped", failed: true, ev: []int{6}}
	return g
}

func xp(extra map[string]winreg.Value) map[string]winreg.Value {
	m := map[string]winreg.Value{
		regCurrentVersion + `\ProductName`:        sz("Microsoft Windows XP"),
		regCurrentVersion + `\CurrentVersion`:     sz("5.1"),
		regCurrentVersion + `\CSDVersion`:         sz("Service Pack 3"),
		regCurrentVersion + `\CurrentBuildNumber`: sz("2600"),
	}
	for k, v := range extra {
		m[k] = v
	}
	return m
}

func winReg(product, version, build string, extra map[string]winreg.Value) map[string]winreg.Value {
	m := xp(extra)
	m[regCurrentVersion+`\ProductName`], m[regCurrentVersion+`\CurrentVersion`], m[regCurrentVersion+`\CurrentBuildNumber`] = sz(product), sz(version), sz(build)
	return m
}

const ndtKey, honorKey, infKey = regExplorerPolicy + `\NoDriveTypeAutoRun`, regExplorerPolicy + `\HonorAutorunSetting`, regAutorunInf + `\`

// TestAutorunVerdict is the §6a table, one row per rule and the edges between them.
func TestAutorunVerdict(t *testing.T) {
	winXP := osInfo{family: FamilyWindows, major: 5, minor: 1, known: true}
	for _, tc := range []struct {
		name  string
		g     *regFacts
		os    osInfo
		creds bool
		want  Verdict
		rule  string
		says  string
	}{
		{"no credentials", nil, winXP, false, Unknown, "6a.no-credentials", "--user"},
		{"not read", nil, winXP, true, Unknown, "6a.not-read", "not read"},
		{"remote registry off", &regFacts{blocked: "the Remote Registry service is not running", blockKind: "remote-registry-off", blockEv: []int{7}}, winXP, true, Unknown, "6a.remote-registry-off", "Remote Registry"},
		{"access denied", &regFacts{blocked: "access denied: OpenLocalMachine gave WERR_ACCESS_DENIED", blockKind: "access-denied"}, winXP, true, Unknown, "6a.access-denied", "access denied"},
		{"samba", regOf(map[string]winreg.Value{regCurrentVersion + `\CurrentVersion`: sz("6.1")}), osInfo{family: FamilySamba}, true, NotAffected, "6a.samba", "Samba"},
		{"not a windows registry", regOf(map[string]winreg.Value{regCurrentVersion + `\CurrentVersion`: sz("6.1")}), osInfo{}, true, Unknown, "6a.not-windows-registry", "not a Windows registry"},
		{"xp default", regOf(xp(nil)), winXP, true, Exposed, "6a.default", "0x91"},
		{"xp 0xff without KB967715", regOf(xp(map[string]winreg.Value{ndtKey: dword(0xff)})), winXP, true, Exposed, "6a.not-honoured", "KB967715"},
		{"xp 0x04 only without the update", regOf(xp(map[string]winreg.Value{ndtKey: dword(0x04)})), winXP, true, Exposed, "6a.not-honoured", "0x04"},
		{"xp 0xff with KB967715", regOf(xp(map[string]winreg.Value{ndtKey: dword(0xff)}), kbAutorunFix), winXP, true, NotAffected, "6a.removable-off", "KB967715 is registered"},
		{"xp 0x95 with HonorAutorunSetting", regOf(xp(map[string]winreg.Value{ndtKey: dword(0x95), honorKey: dword(1)})), winXP, true, NotAffected, "6a.removable-off", "HonorAutorunSetting is 1"},
		{"xp HonorAutorunSetting 0 does not count", regOf(xp(map[string]winreg.Value{ndtKey: dword(0x95), honorKey: dword(0)})), winXP, true, Exposed, "6a.not-honoured", ""},
		{"xp 0x91 set explicitly", regOf(xp(map[string]winreg.Value{ndtKey: dword(0x91)}), kbAutorunFix), winXP, true, Exposed, "6a.removable-on", "bit 0x04 clear"},
		{"xp KB971029: CD/DVD only", regOf(xp(nil), kbAutorunLimit), winXP, true, NotAffected, "6a.cd-only", "KB971029"},
		{"xp null mapping wins over all", regOf(xp(map[string]winreg.Value{infKey: sz("@SYS:DoesNotExist")})), winXP, true, NotAffected, "6a.null-mapping", "@SYS:DoesNotExist"},
		{"xp mapping to something else", regOf(xp(map[string]winreg.Value{infKey: sz("@SYS:Autorun")})), winXP, true, Exposed, "6a.default", `not the null mapping`},
		{"xp NoDriveTypeAutoRun of the wrong type", regOf(xp(map[string]winreg.Value{ndtKey: sz("255")})), winXP, true, Exposed, "6a.default", "not a REG_DWORD"},
		{"vista 0xff honoured by itself", regOf(winReg("Windows Vista (TM) Business", "6.0", "6001", map[string]winreg.Value{ndtKey: dword(0xff)})), winXP, true, NotAffected, "6a.removable-off", "Vista and later"},
		{"vista default", regOf(winReg("Windows Vista (TM) Business", "6.0", "6001", nil)), winXP, true, Exposed, "6a.default", ""},
		{"windows 7 default: CD/DVD only", regOf(winReg("Windows 7 Professional", "6.1", "7601", nil)), winXP, true, NotAffected, "6a.cd-only", "Windows 7"},
		{"policy key unreadable: unknown, not the default", failed(regOf(xp(nil)), ndtKey, "key not readable: winreg BaseRegOpenKey: WERR_ACCESS_DENIED (0x00000005)"), winXP, true, Unknown, "6a.read-failed", "NoDriveTypeAutoRun could not be read"},
		{"update key lookup dropped: unknown", failedUpdate(regOf(xp(map[string]winreg.Value{ndtKey: dword(0xff)})), kbAutorunFix), winXP, true, Unknown, "6a.read-failed", "KB967715"},
		{"CurrentVersion unreadable", failed(regOf(map[string]winreg.Value{}), regCurrentVersion+`\ProductName`, "key not readable: dropped"), winXP, true, Unknown, "6a.read-failed", "could not be read"},
		{"null mapping decides even when the policy key failed", failed(regOf(xp(map[string]winreg.Value{infKey: sz("@SYS:DoesNotExist")})), ndtKey, "dropped"), winXP, true, NotAffected, "6a.null-mapping", ""},
		{"windows 10 states 6.3 but its build says 10", regOf(winReg("Windows 10 Pro", "6.3", "19045", nil)), winXP, true, NotAffected, "6a.cd-only", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			v, _, rule, why, ev := autorunVerdict(tc.g, tc.os, tc.creds)
			if v != tc.want || rule != tc.rule || !strings.Contains(why, tc.says) {
				t.Errorf("got %s %s %q, want %s %s containing %q", v, rule, why, tc.want, tc.rule, tc.says)
			}
			if tc.g != nil && tc.g.blocked == "" && len(ev) == 0 {
				t.Errorf("no evidence for %s", rule)
			}
		})
	}
}

// TestRegistrySignal: the registry is the primary OS reading when credible (service pack
// named), dropped without a build (Samba), and a clash with another reading is kept.
func TestRegistrySignal(t *testing.T) {
	xpNTLM := &OSVersion{Major: 5, Minor: 1, Build: 2600}
	for _, tc := range []struct {
		name     string
		fp       Fingerprint
		credible bool
		os       string
		conflict bool
	}{
		{"xp sp3", Fingerprint{NTLMVersion: xpNTLM, NTLMRevision: 15, Registry: &RegistryOS{ProductName: "Microsoft Windows XP", CurrentVersion: "5.1", CSDVersion: "Service Pack 3", CurrentBuildNumber: "2600"}}, true, "Service Pack 3", false},
		{"samba", Fingerprint{Registry: &RegistryOS{CurrentVersion: "6.1"}}, false, "", false},
		{"not windows", Fingerprint{Registry: &RegistryOS{ProductName: "Linux", CurrentBuildNumber: "2600"}}, false, "", false},
		{"implausible build", Fingerprint{Registry: &RegistryOS{ProductName: "Windows XP", CurrentBuildNumber: "2601"}}, false, "", false},
		{"registry says 2003, NTLM says XP", Fingerprint{NTLMVersion: xpNTLM, NTLMRevision: 15, Registry: &RegistryOS{ProductName: "Microsoft Windows Server 2003", CurrentVersion: "5.2", CurrentBuildNumber: "3790"}}, true, "", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := identifyOS(&tc.fp)
			if len(o.signals) == 0 || o.signals[0].Source != SignalRegistry || o.signals[0].Credible != tc.credible {
				t.Fatalf("signals %+v", o.signals)
			}
			if tc.credible && o.source != SignalRegistry {
				t.Errorf("primary reading from %s, want the registry", o.source)
			}
			if !strings.Contains(o.name, tc.os) || (o.conflict != "") != tc.conflict {
				t.Errorf("name %q conflict %q", o.name, o.conflict)
			}
		})
	}
}

// TestUpdateDirs: hotfix keys are looked for below the installed and the next service pack.
func TestUpdateDirs(t *testing.T) {
	for _, tc := range []struct{ product, csd, want string }{
		{"Microsoft Windows XP", "Service Pack 3", `Windows XP\SP4,Windows XP\SP5`},
		{"Microsoft Windows XP", "Service Pack 2", `Windows XP\SP3,Windows XP\SP4`},
		{"Microsoft Windows Server 2003", "", `Windows Server 2003\SP1,Windows Server 2003\SP2`},
		{"Microsoft Windows 2000", "Service Pack 4", `Windows 2000\SP5,Windows 2000\SP6`},
		{"Windows 7 Professional", "Service Pack 1", ""},
	} {
		if got := strings.Join(updateDirs(tc.product, tc.csd), ","); got != tc.want {
			t.Errorf("%s %s: %q, want %q", tc.product, tc.csd, got, tc.want)
		}
	}
}
