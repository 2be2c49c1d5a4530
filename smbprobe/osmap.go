package smbprobe

import (
	"fmt"
	"regexp"
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

// osInfo is our reading of the host's OS.
type osInfo struct {
	family       string // FamilyWindows, FamilySamba, FamilyOther, "" unknown
	major, minor uint8
	build        uint16 // 0: unknown
	known        bool   // major/minor are known
	source       string // "NTLM VERSION", "Native OS", "NetrServerGetInfo"
	name         string
	samba        string // why we think it is Samba
}

// absorbChallenge decodes an NTLMSSP CHALLENGE from a security blob into the fingerprint and
// returns it with a description for the exchange.
func (r *run) absorbChallenge(blob []byte) (*ntlmssp.Challenge, string) {
	tok, err := spnego.Unwrap(blob)
	if err != nil {
		return nil, "no NTLMSSP CHALLENGE in the security blob: " + err.Error()
	}
	ch, err := ntlmssp.ParseChallenge(tok)
	if err != nil {
		return nil, "malformed NTLMSSP CHALLENGE: " + err.Error()
	}
	fp := &r.res.Fingerprint
	desc := "NTLMSSP CHALLENGE"
	if ch.Flags.Has(ntlmssp.FlagVersion) && !ch.Version.IsZero() {
		fp.NTLMVersion = &OSVersion{Major: ch.Version.Major, Minor: ch.Version.Minor, Build: ch.Version.Build}
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
	if r.f.os.family == FamilyWindows && r.f.os.major == 5 && r.f.os.minor == 1 && r.f.spHint != "" {
		switch {
		case strings.Contains(r.f.spHint, "refused"):
			fp.OS += " SP2+"
		case strings.Contains(r.f.spHint, "allowed"):
			fp.OS += " SP0/SP1"
		}
	}
}

var (
	reBareVersion = regexp.MustCompile(`^Windows (?:NT )?(\d)\.(\d)$`)
	reBuild       = regexp.MustCompile(`\b(2195|2600|3790|6000|6001|6002|6003|6801|7600|7601|9200|9600|1\d{4}|2\d{4})\b`)
)

// identifyOS reads the fingerprint in order of trust: Samba tell-tales, the NTLM VERSION, the
// build number in Native OS, the bare "Windows 5.1" form, then NetrServerGetInfo's version.
func identifyOS(fp *Fingerprint) osInfo {
	var o osInfo
	lm := strings.ToLower(fp.NativeLANMan)
	nos := strings.ToLower(fp.NativeOS)
	switch {
	case strings.Contains(lm, "samba") || strings.Contains(nos, "samba"):
		o.samba = fmt.Sprintf("LAN Manager %q", fp.NativeLANMan)
	case fp.NTLMVersion != nil && fp.NTLMVersion.Build == 0:
		o.samba = fmt.Sprintf("NTLM version %d.%d build 0 (Windows always sends its build)", fp.NTLMVersion.Major, fp.NTLMVersion.Minor)
	}
	if o.samba != "" {
		o.family, o.name, o.source = FamilySamba, "Samba", "Native LAN Manager / NTLM"
		if strings.Contains(lm, "samba") {
			o.name = strings.TrimSpace(fp.NativeLANMan)
		}
		return o
	}
	switch {
	case fp.NTLMVersion != nil:
		o.major, o.minor, o.build, o.known, o.source = fp.NTLMVersion.Major, fp.NTLMVersion.Minor, fp.NTLMVersion.Build, true, "NTLM VERSION"
	case reBuild.MatchString(fp.NativeOS) && strings.HasPrefix(nos, "windows"):
		b, _ := strconv.Atoi(reBuild.FindStringSubmatch(fp.NativeOS)[1])
		o.build = uint16(b)
		o.major, o.minor = versionOfBuild(o.build)
		o.known, o.source = true, "Native OS"
	case reBareVersion.MatchString(fp.NativeOS):
		m := reBareVersion.FindStringSubmatch(fp.NativeOS)
		ma, _ := strconv.Atoi(m[1])
		mi, _ := strconv.Atoi(m[2])
		o.major, o.minor, o.known, o.source = uint8(ma), uint8(mi), true, "Native OS"
		switch {
		case ma == 5 && mi == 0:
			o.build = 2195
		case ma == 5 && mi == 1:
			o.build = 2600
		case ma == 5 && mi == 2:
			o.build = 3790
		}
	case fp.ServerInfo != nil && fp.ServerInfo.PlatformID == 500 && fp.ServerInfo.Major >= 4 && fp.ServerInfo.Major <= 10:
		o.major, o.minor, o.known, o.source = uint8(fp.ServerInfo.Major), uint8(fp.ServerInfo.Minor), true, "NetrServerGetInfo"
	default:
		return o
	}
	o.family = FamilyWindows
	o.name = windowsName(o.major, o.minor, o.build)
	return o
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
	case b == 6801 || b == 7600 || b == 7601:
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
		case 7600:
			n = "Windows 7 / Server 2008 R2"
		case 7601:
			n = "Windows 7 SP1 / Server 2008 R2 SP1"
		case 6801:
			n = "Windows 7 pre-beta"
		default:
			n = "Windows 7 / Server 2008 R2"
		}
	case major == 6 && minor == 2:
		n = "Windows 8 / Server 2012"
	case major == 6 && minor == 3:
		n = "Windows 8.1 / Server 2012 R2"
	case major == 10 && build >= 22000:
		n = "Windows 11 / Server 2022+"
	case major == 10 && build == 20348:
		n = "Windows Server 2022"
	case major == 10:
		n = "Windows 10 / Server 2016-2019"
	default:
		n = fmt.Sprintf("Windows %d.%d", major, minor)
	}
	if build != 0 {
		n += fmt.Sprintf(" (build %d)", build)
	}
	return n
}
