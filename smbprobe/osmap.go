package smbprobe

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/scan445/scan445/smbprobe/ntlmssp"
	"github.com/scan445/scan445/smbprobe/spnego"
)

// OS families of Fingerprint.OSFamily.
const (
	FamilyWindows = "windows"
	FamilySamba   = "samba"
	FamilyOther   = "other"
)

// absorbChallenge decodes an NTLMSSP CHALLENGE from a security blob into the fingerprint and
// returns it with a description for the exchange.
func (r *run) absorbChallenge(blob []byte) (*ntlmssp.Challenge, string) {
	tok, err := spnego.Unwrap(blob)
	if err != nil {
		return nil, "no NTLMSSP CHALLENGE in the security blob: " + err.Error()
	}
	ch, err := ntlmssp.DecodeChallenge(tok)
	if err != nil {
		return nil, "malformed NTLMSSP CHALLENGE: " + err.Error()
	}
	fp := &r.res.Fingerprint
	desc := "NTLMSSP CHALLENGE"
	if ch.Flags.Has(ntlmssp.FlagVersion) && !ch.Version.IsZero() {
		fp.NTLMVersion = &OSVersion{Major: ch.Version.Major, Minor: ch.Version.Minor, Build: ch.Version.Build}
		fp.NTLMRevision = ch.Version.Revision
		if fp.NTLMRevision == 0 && ch.Version.Reserved[0] == ntlmRevisionW2K3 {
			fp.NTLMRevision = ntlmRevisionW2K3 // Windows 7 RTM writes it one byte early
		}
		desc += fmt.Sprintf(", version %d.%d build %d", ch.Version.Major, ch.Version.Minor, ch.Version.Build)
	} else {
		desc += ", no VERSION"
	}
	if av, err := ch.AvPairs(); err == nil {
		set := func(dst *string, id ntlmssp.AvID) {
			if v := av.String(id); v != "" {
				*dst = clean(v)
			}
		}
		set(&fp.NetBIOSName, ntlmssp.AvNbComputerName)
		set(&fp.NetBIOSDomain, ntlmssp.AvNbDomainName)
		set(&fp.DNSName, ntlmssp.AvDNSComputerName)
		set(&fp.DNSDomain, ntlmssp.AvDNSDomainName)
		desc += fmt.Sprintf(", NetBIOS %q domain %q, DNS %q domain %q", fp.NetBIOSName, fp.NetBIOSDomain, fp.DNSName, fp.DNSDomain)
	} else if len(ch.TargetInfo) > 0 {
		desc += ", malformed target info"
	}
	return ch, desc
}

// absorbOSStrings keeps the first non-empty Native OS / LAN Manager strings.
func (r *run) absorbOSStrings(os, lanman string) {
	fp := &r.res.Fingerprint
	if fp.NativeOS == "" && os != "" {
		fp.NativeOS = clean(os)
	}
	if fp.NativeLANMan == "" && lanman != "" {
		fp.NativeLANMan = clean(lanman)
	}
}

// identify sets the OS reading in facts and the fingerprint.
func (r *run) identify() {
	fp := &r.res.Fingerprint
	r.f.os = identifyOS(fp)
	fp.OSFamily = r.f.os.family
	fp.OS = r.f.os.name
	fp.OSEvidence = r.f.os.signals
	if r.f.os.family == FamilyWindows && r.f.os.major == 5 && r.f.os.minor == 1 && r.f.spHint != "" && r.f.os.source != SignalRegistry {
		switch {
		case strings.Contains(r.f.spHint, "refused"):
			fp.OS += " SP2+"
		case strings.Contains(r.f.spHint, "allowed"):
			fp.OS += " SP0/SP1"
		}
	}
}

// Sources of Fingerprint.OSEvidence.
const (
	SignalNTLM       = "ntlm-version"
	SignalNativeOS   = "native-os"
	SignalLANMan     = "native-lanman"
	SignalServerInfo = "server-info"
	SignalDialects   = "dialects"
	SignalRegistry   = "registry" // HKLM\SOFTWARE\Microsoft\Windows NT\CurrentVersion, read with credentials
)

// ntlmRevisionW2K3 is the only NTLMSSP revision Windows sends in the VERSION field (MS-NLMP
// 2.2.2.10, NTLMSSP_REVISION_W2K3).
const ntlmRevisionW2K3 = 0x0F

// svTypeServerUnix is SV_TYPE_SERVER_UNIX in NetrServerGetInfo's server type: set by Samba,
// never by Windows.
const svTypeServerUnix = 0x00800000

// osReading is what one credible signal says the OS is.
type osReading struct {
	source       string
	major, minor uint8
	build        uint16 // 0: the signal does not carry the build
	floor        bool   // "this version or later" (from an SMB2 dialect), not a version
}

func (o osReading) String() string {
	if o.floor {
		return fmt.Sprintf("%d.%d or later", o.major, o.minor)
	}
	if o.build == 0 {
		return fmt.Sprintf("%d.%d", o.major, o.minor)
	}
	return fmt.Sprintf("%d.%d build %d", o.major, o.minor, o.build)
}

// ver orders readings by version.
func (o osReading) ver() int { return int(o.major)<<8 | int(o.minor) }

// consistent reports whether two readings can describe the same host.
func consistent(a, b osReading) bool {
	switch {
	case a.floor && b.floor:
		return true
	case a.floor:
		return b.ver() >= a.ver()
	case b.floor:
		return a.ver() >= b.ver()
	}
	return a.major == b.major && a.minor == b.minor && (a.build == 0 || b.build == 0 || a.build == b.build)
}

// osInfo is our reading of the host's OS, fused from every signal.
type osInfo struct {
	family       string // FamilyWindows, FamilySamba, FamilyOther, "" unknown
	major, minor uint8  // of the primary reading
	build        uint16 // 0: unknown
	known        bool   // major/minor are known
	source       string // the primary reading's signal
	name         string
	samba        string      // why we think it is Samba
	readings     []osReading // credible readings, most trusted first
	signals      []OSSignal  // every signal, credible or not, for the report
	conflict     string      // credible readings that disagree, in words; "" when they agree
}

// shippedBuilds lists the major.minor pairs Windows has shipped and, for each, its builds
// (nil: any build from firstBuild10 to lastBuild10).
var shippedBuilds = map[[2]uint8][]uint16{
	{5, 0}:  {2195},
	{5, 1}:  {2600},
	{5, 2}:  {3790},
	{6, 0}:  {6000, 6001, 6002, 6003},
	{6, 1}:  {6801, 7000, 7100, 7600, 7601},
	{6, 2}:  {9200},
	{6, 3}:  {9600},
	{10, 0}: nil,
}

// firstBuild10 and lastBuild10 bound the 10.0 builds we accept as Windows (10240 is Windows 10 RTM; 65535,
// impacket's, is not a build).
const (
	firstBuild10 = 10240
	lastBuild10  = 29999
)

// plausibleMajorMinor reports whether major.minor is a Windows NT version (NT 4 aside).
func plausibleMajorMinor(major, minor uint32) bool {
	if major > 255 || minor > 255 {
		return false
	}
	_, ok := shippedBuilds[[2]uint8{uint8(major), uint8(minor)}]
	return ok
}

// plausibleBuild reports whether Windows major.minor shipped with this build.
func plausibleBuild(major, minor uint8, build uint16) bool {
	builds, ok := shippedBuilds[[2]uint8{major, minor}]
	if !ok {
		return false
	}
	if major == 10 {
		return build >= firstBuild10 && build <= lastBuild10
	}
	return slices.Contains(builds, build)
}

// defaultBuild is the only build of the NT 5.x versions, so a bare "Windows 5.1" implies it.
func defaultBuild(major, minor uint8) uint16 {
	if major == 5 {
		return shippedBuilds[[2]uint8{major, minor}][0]
	}
	return 0
}

var (
	reBareVersion = regexp.MustCompile(`^(?i)windows (?:nt )?(\d{1,3})\.(\d{1,3})$`)
	reBuild       = regexp.MustCompile(`\b(2195|2600|3790|600[0-3]|6801|7000|7100|7600|7601|9200|9600|[12]\d{4})\b`)
	reTrailingVer = regexp.MustCompile(`^(?i)windows .* (\d{1,2})\.(\d{1,2})$`)
	reServicePack = regexp.MustCompile(`(?i)service pack (\d)`)
)

// dialectFloor is the oldest Windows that speaks each SMB2 dialect.
var dialectFloor = map[string][2]uint8{
	"2.0.2": {6, 0}, "2.1": {6, 1}, "3.0": {6, 2}, "3.0.2": {6, 3}, "3.1.1": {10, 0},
}

// identifyOS reads every OS signal of the fingerprint, checks each for plausibility, and fuses
// the credible ones. It never trusts one signal alone over the others: implausible signals are
// dropped (and named), Samba tell-tales count only when no credible signal says an affected
// Windows, and disagreement between credible readings is kept in conflict for the verdicts.
func identifyOS(fp *Fingerprint) osInfo {
	var o osInfo
	var samba []string
	add := func(source, value, reading string, credible bool, note string, rd *osReading) {
		o.signals = append(o.signals, OSSignal{Source: source, Value: clean(value), Reading: reading, Credible: credible, Note: note})
		if rd != nil {
			rd.source = source
			o.readings = append(o.readings, *rd)
		}
	}

	// The registry, read with credentials, states the build and the service pack: the most
	// trusted reading when it is plausible, first in line. Samba's winreg states CurrentVersion
	// alone, which says nothing.
	if reg := fp.Registry; reg != nil {
		val := strings.TrimSpace(fmt.Sprintf("ProductName %q, CurrentVersion %q, CSDVersion %q, CurrentBuildNumber %q", reg.ProductName, reg.CurrentVersion, reg.CSDVersion, reg.CurrentBuildNumber))
		b, err := strconv.Atoi(strings.TrimSpace(reg.CurrentBuildNumber))
		switch {
		case err != nil || b <= 0 || b > 65535:
			add(SignalRegistry, val, "", false, "dropped: no CurrentBuildNumber (a Windows registry always has one; Samba's winreg has none)", nil)
		case !strings.Contains(strings.ToLower(reg.ProductName), "windows"):
			add(SignalRegistry, val, "", false, "dropped: ProductName does not name Windows", nil)
		default:
			ma, mi := versionOfBuild(uint16(b))
			if !plausibleBuild(ma, mi, uint16(b)) {
				add(SignalRegistry, val, "", false, "dropped: not a build Windows shipped", nil)
				break
			}
			rd := osReading{major: ma, minor: mi, build: uint16(b)}
			add(SignalRegistry, val, strings.TrimSpace(windowsName(ma, mi, rd.build)+" "+reg.CSDVersion), true, "", &rd)
		}
	}

	if v := fp.NTLMVersion; v != nil {
		val := fmt.Sprintf("%d.%d build %d, revision %d", v.Major, v.Minor, v.Build, fp.NTLMRevision)
		switch {
		case v.Build == 0 && plausibleMajorMinor(uint32(v.Major), uint32(v.Minor)):
			why := fmt.Sprintf("NTLM version %d.%d build 0 (Windows always sends its build; Samba sends 0)", v.Major, v.Minor)
			samba = append(samba, why)
			add(SignalNTLM, val, "Samba", false, "build 0: a Samba tell-tale, not a Windows version", nil)
		case !plausibleBuild(v.Major, v.Minor, v.Build):
			add(SignalNTLM, val, "", false, "dropped: not a version Windows ships (major 5, 6 or 10 with a minor and build it shipped)", nil)
		case fp.NTLMRevision != ntlmRevisionW2K3:
			add(SignalNTLM, val, "", false, fmt.Sprintf("dropped: NTLM revision %d (Windows sends 15)", fp.NTLMRevision), nil)
		default:
			rd := osReading{major: v.Major, minor: v.Minor, build: v.Build}
			add(SignalNTLM, val, windowsName(rd.major, rd.minor, rd.build), true, "", &rd)
		}
	}

	if s := strings.TrimSpace(fp.NativeOS); s != "" {
		low := strings.ToLower(s)
		sp := ""
		if m := reServicePack.FindStringSubmatch(s); m != nil {
			sp = "Service Pack " + m[1]
		}
		switch {
		case strings.Contains(low, "samba"):
			samba = append(samba, fmt.Sprintf("Native OS %q", s))
			add(SignalNativeOS, s, "Samba", false, "a Samba tell-tale", nil)
		case reBareVersion.MatchString(s):
			m := reBareVersion.FindStringSubmatch(s)
			ma, _ := strconv.Atoi(m[1])
			mi, _ := strconv.Atoi(m[2])
			switch {
			case plausibleMajorMinor(uint32(ma), uint32(mi)):
				rd := osReading{major: uint8(ma), minor: uint8(mi)}
				rd.build = defaultBuild(rd.major, rd.minor)
				add(SignalNativeOS, s, windowsName(rd.major, rd.minor, rd.build), true, "", &rd)
			case ma == 4 && mi == 0:
				rd := osReading{major: 4}
				add(SignalNativeOS, s, "Windows NT 4.0", true, "", &rd)
			default:
				add(SignalNativeOS, s, "", false, "dropped: not a Windows version", nil)
			}
		case strings.HasPrefix(low, "windows") && reBuild.MatchString(s):
			b, _ := strconv.Atoi(reBuild.FindStringSubmatch(s)[1])
			ma, mi := versionOfBuild(uint16(b))
			if !plausibleBuild(ma, mi, uint16(b)) {
				add(SignalNativeOS, s, "", false, "dropped: no build Windows shipped", nil)
				break
			}
			rd := osReading{major: ma, minor: mi, build: uint16(b)}
			add(SignalNativeOS, s, strings.TrimSpace(windowsName(ma, mi, rd.build)+" "+sp), true, "", &rd)
		default:
			add(SignalNativeOS, s, "", false, "dropped: not a Native OS string Windows sends", nil)
		}
	}

	if s := strings.TrimSpace(fp.NativeLANMan); s != "" {
		low := strings.ToLower(s)
		switch {
		case strings.Contains(low, "samba"):
			samba = append(samba, fmt.Sprintf("LAN Manager %q", s))
			add(SignalLANMan, s, "Samba", false, "a Samba tell-tale", nil)
		case reTrailingVer.MatchString(s):
			m := reTrailingVer.FindStringSubmatch(s)
			ma, _ := strconv.Atoi(m[1])
			mi, _ := strconv.Atoi(m[2])
			if !plausibleMajorMinor(uint32(ma), uint32(mi)) {
				add(SignalLANMan, s, "", false, "dropped: not a Windows version", nil)
				break
			}
			rd := osReading{major: uint8(ma), minor: uint8(mi), build: defaultBuild(uint8(ma), uint8(mi))}
			add(SignalLANMan, s, windowsName(rd.major, rd.minor, rd.build), true, "", &rd)
		default:
			add(SignalLANMan, s, "", false, "carries no version", nil)
		}
	}

	if si := fp.ServerInfo; si != nil {
		val := fmt.Sprintf("platform %d, version %d.%d, type 0x%08x", si.PlatformID, si.Major, si.Minor, si.Type)
		switch {
		case si.PlatformID != 500:
			add(SignalServerInfo, val, "", false, "dropped: platform is not Windows NT (500)", nil)
		case si.Type&svTypeServerUnix != 0:
			samba = append(samba, "server type has SV_TYPE_SERVER_UNIX")
			add(SignalServerInfo, val, "Samba", false, "SV_TYPE_SERVER_UNIX: a Samba tell-tale", nil)
		case plausibleMajorMinor(si.Major, si.Minor):
			rd := osReading{major: uint8(si.Major), minor: uint8(si.Minor)}
			rd.build = defaultBuild(rd.major, rd.minor)
			add(SignalServerInfo, val, windowsName(rd.major, rd.minor, rd.build), true, "", &rd)
		case si.Major == 4 && si.Minor == 0:
			rd := osReading{major: 4}
			add(SignalServerInfo, val, "Windows NT 4.0", true, "", &rd)
		default:
			add(SignalServerInfo, val, "", false, "dropped: not a version Windows reports (an old Samba says 4.9)", nil)
		}
	}

	if fp.SMB2 {
		var best string
		for _, d := range fp.Dialects {
			if f, ok := dialectFloor[d]; ok && (best == "" || f[0] > dialectFloor[best][0] || f[0] == dialectFloor[best][0] && f[1] > dialectFloor[best][1]) {
				best = d
			}
		}
		if best != "" {
			f := dialectFloor[best]
			rd := osReading{major: f[0], minor: f[1], floor: true}
			add(SignalDialects, strings.Join(fp.Dialects, ", "), "SMB "+best+": "+windowsName(f[0], f[1], 0)+" or later", true, "", &rd)
		}
	} else if fp.SMB1 {
		add(SignalDialects, strings.Join(fp.Dialects, ", "), "", false, "SMB1 only: Windows 2000/XP/2003 speak nothing else (later ones may have SMB2 off)", nil)
	}

	o.fuse(samba)
	if reg := fp.Registry; reg != nil && o.source == SignalRegistry && reg.CSDVersion != "" {
		o.name += " " + reg.CSDVersion // the service pack, known rather than guessed
	}
	return o
}

// fuse picks the primary reading and records conflicts.
func (o *osInfo) fuse(samba []string) {
	// Most trusted first: a reading with a build, then an exact version, then a dialect floor;
	// within each, in signal order (NTLM, Native OS, LAN Manager, server info).
	rank := func(r osReading) int {
		switch {
		case r.floor:
			return 2
		case r.build != 0:
			return 0
		}
		return 1
	}
	slices.SortStableFunc(o.readings, func(a, b osReading) int { return rank(a) - rank(b) })
	var clashes []string
	for i, a := range o.readings {
		for _, b := range o.readings[i+1:] {
			if !consistent(a, b) {
				clashes = append(clashes, fmt.Sprintf("%s says %s, %s says %s", a.source, a, b.source, b))
			}
		}
	}
	o.conflict = strings.Join(clashes, "; ")
	affected := slices.ContainsFunc(o.readings, func(r osReading) bool { return ms08Class(r) == classAffected })
	if len(samba) > 0 && !affected {
		// Samba imitates a Windows version in its strings; once it is known to be Samba, those
		// readings say nothing, and their disagreement with the dialects is no conflict.
		o.family, o.source, o.samba = FamilySamba, "Samba tell-tales", strings.Join(samba, ", ")
		o.conflict = ""
		o.name = "Samba"
		for _, s := range o.signals {
			if s.Source == SignalLANMan && strings.Contains(strings.ToLower(s.Value), "samba") {
				o.name = s.Value
			}
		}
		return
	}
	if len(samba) > 0 {
		note := "Samba tell-tales (" + strings.Join(samba, ", ") + ") against a credible Windows reading"
		o.conflict = strings.TrimPrefix(o.conflict+"; "+note, "; ")
	}
	if len(o.readings) == 0 {
		return
	}
	p := o.readings[0]
	o.family, o.source = FamilyWindows, p.source
	o.major, o.minor, o.build, o.known = p.major, p.minor, p.build, !p.floor
	o.name = windowsName(p.major, p.minor, p.build)
	if p.floor {
		o.name += " or later"
	}
}

// dropped lists the signals that were not credible, for a verdict's reason.
func (o osInfo) dropped() string {
	var out []string
	for _, s := range o.signals {
		if !s.Credible && strings.HasPrefix(s.Note, "dropped") {
			out = append(out, fmt.Sprintf("%s %q %s", s.Source, s.Value, s.Note))
		}
	}
	return strings.Join(out, "; ")
}

// ms08Impact is what a reading means for MS08-067.
type ms08Impact int

const (
	classUndecided ms08Impact = iota
	classAffected
	classFixed
)

// ms08Class is the §3a rule on one reading.
func ms08Class(r osReading) ms08Impact {
	if r.floor {
		if r.ver() >= 6<<8|1 {
			return classFixed // SMB 2.1 and later: Windows 7 / 2008 R2 or later
		}
		return classUndecided
	}
	switch {
	case r.major == 5:
		return classAffected
	case r.major == 6 && r.minor == 0 && r.build == 0:
		return classUndecided
	case r.major == 6 && r.minor == 0 && r.build < 6002:
		return classAffected
	case r.major == 6 && r.minor == 1 && r.build == 6801:
		return classAffected
	case r.major >= 6:
		return classFixed
	}
	return classUndecided // NT 4 and anything older: outside the bulletin's list
}

func versionOfBuild(b uint16) (uint8, uint8) {
	switch {
	case b == 2195:
		return 5, 0
	case b == 2600:
		return 5, 1
	case b == 3790:
		return 5, 2
	case b >= 6000 && b <= 6003:
		return 6, 0
	case b == 6801 || b == 7000 || b == 7100 || b == 7600 || b == 7601:
		return 6, 1
	case b == 9200:
		return 6, 2
	case b == 9600:
		return 6, 3
	}
	return 10, 0
}

func windowsName(major, minor uint8, build uint16) string {
	var n string
	switch {
	case major < 5:
		n = fmt.Sprintf("Windows NT %d.%d", major, minor)
	case major == 5 && minor == 0:
		n = "Windows 2000"
	case major == 5 && minor == 1:
		n = "Windows XP"
	case major == 5 && minor == 2:
		n = "Windows Server 2003 / XP x64"
	case major == 6 && minor == 0:
		switch build {
		case 6000:
			n = "Windows Vista RTM"
		case 6001:
			n = "Windows Vista SP1 / Server 2008"
		case 6002, 6003:
			n = "Windows Vista SP2 / Server 2008 SP2"
		default:
			n = "Windows Vista / Server 2008"
		}
	case major == 6 && minor == 1:
		switch build {
		case 7601:
			n = "Windows 7 SP1 / Server 2008 R2 SP1"
		case 6801, 7000, 7100:
			n = "Windows 7 pre-release"
		default:
			n = "Windows 7 / Server 2008 R2"
		}
	case major == 6 && minor == 2:
		n = "Windows 8 / Server 2012"
	case major == 6 && minor == 3:
		n = "Windows 8.1 / Server 2012 R2"
	case major == 10:
		if lc, ok := lifecycleOf(major, minor, build); ok && build != 0 {
			n = lc.name
		} else {
			n = "Windows 10 / 11 / Server 2016+"
		}
	default:
		n = fmt.Sprintf("Windows %d.%d", major, minor)
	}
	if build != 0 {
		n += fmt.Sprintf(" (build %d)", build)
	}
	return n
}
