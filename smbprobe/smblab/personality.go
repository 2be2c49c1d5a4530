package smblab

import (
	"github.com/scan445/scan445/smbprobe/netapi"
	"github.com/scan445/scan445/smbprobe/ntlmssp"
	"github.com/scan445/scan445/smbprobe/ntstatus"
)

// Verdict is a verdict string of smbprobe.Verdict ("vulnerable", "exposed", …). smblab does
// not import package smbprobe, so that smbprobe's own (internal) tests can import the lab
// without an import cycle; compare with string(finding.Verdict).
type Verdict string

// The verdicts of smbprobe/result.go.
const (
	Vulnerable  Verdict = "vulnerable"
	Infected    Verdict = "infected"
	Exposed     Verdict = "exposed"
	Patched     Verdict = "patched"
	Clean       Verdict = "clean"
	NotDetected Verdict = "not-detected"
	NotAffected Verdict = "not-affected"
	Unknown     Verdict = "unknown"
	Error       Verdict = "error"
)

// Check ids, as smbprobe.Check* spells them.
const (
	CheckMS08067       = "ms08-067"
	CheckConficker     = "conficker"
	CheckMS17010       = "ms17-010"
	CheckSMBv1         = "smbv1-enabled"
	CheckSigning       = "signing-not-required"
	CheckNullSession   = "anonymous-ipc"
	CheckSrvsvcAnon    = "srvsvc-anonymous"
	CheckOSUnsupported = "os-unsupported"
	CheckConfickerP2P  = "conficker-p2p"
	CheckAutorun       = "autorun-enabled"
	CheckWeakPassword  = "weak-password"
)

// ServerInfo101 is what NetrServerGetInfo level 101 answers.
type ServerInfo101 struct {
	PlatformID uint32 `json:"platform_id"`
	Name       string `json:"name"`
	Major      uint32 `json:"version_major"`
	Minor      uint32 `json:"version_minor"`
	Type       uint32 `json:"type"`
	Comment    string `json:"comment"`
}

// Hostility names a way a hostile host misbehaves. The empty value is a well-behaved host.
type Hostility string

const (
	HostileNone       Hostility = ""            // a well-behaved host
	HostileTruncated  Hostility = "truncated"   // answers with a frame that ends inside the SMB header
	HostileHugeLength Hostility = "huge-length" // announces a 16 MiB NetBIOS frame, sends a few bytes
	HostileBadOffsets Hostility = "bad-offsets" // counts, lengths and offsets point past the buffer
	HostileSilent     Hostility = "silent"      // accepts and never answers
	HostileTrickle    Hostility = "trickle"     // a valid reply, one byte per second
	HostileReset      Hostility = "reset"       // half a reply, then RST (SO_LINGER 0)
	HostileGarbage    Hostility = "garbage"     // bytes that are not SMB at all
)

// SrvsvcModel is how a personality's NetpwPathCanonicalize behaves.
type SrvsvcModel string

const (
	// SrvsvcUnpatched models the MS08-067 routine: an overflow-reaching path crashes the host.
	SrvsvcUnpatched SrvsvcModel = "unpatched"
	// SrvsvcPatched rejects overflow-reaching paths with WERR_INVALID_NAME (KB958644 or NT 6.0 SP2+).
	SrvsvcPatched SrvsvcModel = "patched"
	// SrvsvcConfickerABC is Conficker A/B/C's in-memory hook: any `\..\` → WERR_INVALID_PARAMETER.
	SrvsvcConfickerABC SrvsvcModel = "conficker-abc"
	// SrvsvcConfickerDE is D/E's hook: as A/B/C, and `\` leaks `45 5c` into the NDR padding.
	SrvsvcConfickerDE SrvsvcModel = "conficker-de"
	// SrvsvcHoneypot answers every NetprPathCompare with 0 and never crashes (Dionaea).
	SrvsvcHoneypot SrvsvcModel = "honeypot"
)

// Account is a local administrator a credentialed personality accepts (NTLMv2). Logged on as
// it, a client reaches the ADMIN$ share. The password is not a secret: this is a lab.
type Account struct {
	User     string `json:"user"`
	Password string `json:"password"`
}

// NmapTruth is what nmap 7.93's scripts conclude about a personality, as the integration test
// asserts it. Empty fields are not asserted.
type NmapTruth struct {
	OS         string   // smb-os-discovery "OS:" line, prefix
	Dialects   []string // smb-protocols dialect list, exactly
	SMB1Sign   string   // smb-security-mode message_signing
	SMB2Sign   string   // smb2-security-mode, e.g. "Message signing enabled but not required"
	MS08067    string   // smb-vuln-ms08-067 state: "VULNERABLE", "LIKELY VULNERABLE", "NOT VULNERABLE", "" = no output
	MS08Crash  bool     // nmap's MS08-067 probe makes the lab log CRASH for this host
	Conficker  string   // smb-vuln-conficker state
	Variant    string   // smb-vuln-conficker extra information, substring ("Conficker.C or lower")
	MS17010    string   // smb-vuln-ms17-010 state
	Honeypot   bool     // nmap is fooled by a honeypot here (documented, not a lab bug)
	Unreliable bool     // hostile host: only "nmap neither hangs nor crashes" is asserted
}

// Personality is one emulated host: how it answers, and what a correct scanner must conclude.
type Personality struct {
	Name        string
	Description string
	Hostile     Hostility

	SMB1         bool     // speaks NT LM 0.12
	SMB2Dialects []uint16 // e.g. 0x0202, 0x0210; empty: no SMB2
	// SigningRequired sets SMB1 SecurityMode 0x08 and SMB2 SecurityMode 0x02. SigningEnabled
	// sets SMB1 0x04 (SMB2 always announces signing enabled).
	SigningEnabled, SigningRequired bool

	NativeOS, NativeLANMan string
	Workgroup              string // NetBIOS domain / workgroup
	Computer               string // NetBIOS computer name
	DNSDomain, DNSComputer string
	NTLMVersion            ntlmssp.Version // zero: no VERSION (Windows 2000)
	NTLMTimestamp          bool            // MsvAvTimestamp (NT 6.0 and later)
	NegotiateBlob          bool            // SPNEGO negTokenInit in NEGOTIATE (NT 6.0 and later)
	BasicSecurityOnly      bool            // never negotiates extended security

	NullSession     bool                       // anonymous SESSION_SETUP accepted
	AnonIPC         bool                       // anonymous TREE_CONNECT IPC$ accepted
	AnonPipes       map[string]ntstatus.Status // anonymous NT_CREATE result per pipe; absent: ACCESS_DENIED
	BrowserDisabled bool                       // \browser is OBJECT_NAME_NOT_FOUND for everyone
	Account         *Account                   // a named account; nil: none (and no ADMIN$)
	// Netapi32 is the file version of ADMIN$\system32\netapi32.dll (netapi.BuildTestPE);
	// zero: ADMIN$ has no such file.
	Netapi32 netapi.FileVersion
	// CredTruth is the ms08-067 verdict a correct scanner reaches with Account's credentials
	// (docs/checks.md §3b); empty when there is no account.
	CredTruth Verdict
	// Registry is what \winreg serves to Account (winreg.go); nil: the Remote Registry pipe
	// does not exist. RegTruth is the autorun-enabled verdict a correct scanner reaches with
	// Account's credentials (docs/checks.md §6a); empty without a registry.
	Registry        *Registry
	RegTruth        Verdict
	ServerInfo      ServerInfo101 // NetrServerGetInfo level 101
	Srvsvc          SrvsvcModel   //
	NameCanonLegacy bool          // NetprNameCanonicalize accepts OutbufLen > 64000 (XP SP0/SP1)
	// CanonCountsNUL makes NetprPathCanonicalize need room for the terminating NUL, so `\` in a
	// 2-byte Outbuf is NERR_BufTooSmall (0x84B) with zeros: the other answer a clean Windows
	// may give (nobody has published which one it gives).
	CanonCountsNUL bool
	TODReferent    uint32             // referent id of NetrRemoteTOD's pointer (SP3: 0x00020000)
	MS17010        ntstatus.Status    // PeekNamedPipe on FID 0
	P2P            bool               // runs a Conficker P2P responder on its derived ports
	Truth          map[string]Verdict // check id → verdict a correct scanner reaches
	Nmap           NmapTruth
	Notes          string
	// SAM, when set, serves \samr to logged-on users and authenticates its accounts with a
	// lockout policy (samr.go); nil: only Account logs on, and \samr does not exist.
	SAM *SAMConfig
}

// Checks lists the check ids every truth table covers, in the scanner's report order
// (smbprobe's TestLabTruthCoversEveryCheck holds it to smbprobe's check table).
func Checks() []string {
	return []string{
		CheckMS08067, CheckConficker, CheckConfickerP2P, CheckMS17010, CheckSMBv1, CheckSigning,
		CheckNullSession, CheckSrvsvcAnon, CheckOSUnsupported, CheckAutorun, CheckWeakPassword,
	}
}

const (
	vuln = Vulnerable
	inf  = Infected
	exp  = Exposed
	pat  = Patched
	cln  = Clean
	nd   = NotDetected
	na   = NotAffected
	unk  = Unknown
	errv = Error
)

// truthTable is a personality's truth, keyed by check id. Rows are map literals with constant
// keys, so a check named twice does not compile, and smbprobe's TestLabTruthCoversEveryCheck
// fails on a check left out (or one the scanner does not have).
type truthTable = map[string]Verdict

// Short names of the check ids for the truth rows.
const (
	ms08       = CheckMS08067
	cfk        = CheckConficker
	ms17       = CheckMS17010
	smbv1      = CheckSMBv1
	signing    = CheckSigning
	anonIPC    = CheckNullSession
	srvsvcAnon = CheckSrvsvcAnon
	osEOL      = CheckOSUnsupported
	cfkP2P     = CheckConfickerP2P
	autorun    = CheckAutorun
)

const (
	nmapSign1Default = "disabled (dangerous, but default)"
	nmapSign2Enabled = "Message signing enabled but not required"
	nmapSign2Req     = "Message signing enabled and required"
)

var (
	verXP     = ntlmssp.Version{Major: 5, Minor: 1, Build: 2600, Revision: ntlmssp.NTLMRevisionCurrent}
	ver2003   = ntlmssp.Version{Major: 5, Minor: 2, Build: 3790, Revision: ntlmssp.NTLMRevisionCurrent}
	verVista1 = ntlmssp.Version{Major: 6, Minor: 0, Build: 6001, Revision: ntlmssp.NTLMRevisionCurrent}
	ver2008_2 = ntlmssp.Version{Major: 6, Minor: 0, Build: 6002, Revision: ntlmssp.NTLMRevisionCurrent}
	ver7SP1   = ntlmssp.Version{Major: 6, Minor: 1, Build: 7601, Revision: ntlmssp.NTLMRevisionCurrent}
	ver2012R2 = ntlmssp.Version{Major: 6, Minor: 3, Build: 9600, Revision: ntlmssp.NTLMRevisionCurrent}
)

// pipes for anonymous opens: XP SP2+ and 2003 allow \browser only (docs/checks.md §1).
func pipesSP2() map[string]ntstatus.Status {
	return map[string]ntstatus.Status{"browser": ntstatus.Success, "srvsvc": ntstatus.AccessDenied}
}

func pipesAll() map[string]ntstatus.Status {
	return map[string]ntstatus.Status{"browser": ntstatus.Success, "srvsvc": ntstatus.Success}
}

func xpBase(name, desc, computer string) Personality {
	return Personality{
		Name: name, Description: desc,
		SMB1:     true,
		NativeOS: "Windows 5.1", NativeLANMan: "Windows 2000 LAN Manager",
		// A workgroup machine's NTLM DNS domain is its own DNS name (nmap then prints Workgroup).
		Workgroup: "WORKGROUP", Computer: computer, DNSComputer: toLowerASCII(computer), DNSDomain: toLowerASCII(computer),
		NTLMVersion: verXP,
		NullSession: true, AnonIPC: true, AnonPipes: pipesSP2(),
		ServerInfo:  ServerInfo101{PlatformID: 500, Name: computer, Major: 5, Minor: 1, Type: 0x00001003},
		Srvsvc:      SrvsvcUnpatched,
		TODReferent: 0x00020000,
		MS17010:     ntstatus.InsuffServerResources,
	}
}

func w2003Base(name, desc, computer string) Personality {
	p := xpBase(name, desc, computer)
	p.NativeOS, p.NativeLANMan = "Windows Server 2003 3790 Service Pack 2", "Windows Server 2003 5.2"
	p.NTLMVersion = ver2003
	p.ServerInfo = ServerInfo101{PlatformID: 500, Name: computer, Major: 5, Minor: 2, Type: 0x00009003}
	return p
}

func nt6Base(name, desc, computer string) Personality {
	p := xpBase(name, desc, computer)
	p.NTLMTimestamp, p.NegotiateBlob = true, true
	p.AnonPipes = map[string]ntstatus.Status{} // NullSessionPipes is empty from Vista on
	p.TODReferent = 0x00020000
	return p
}

func toLowerASCII(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c >= 'A' && c <= 'Z' {
			b[i] = c + 32
		}
	}
	return string(b)
}

// DefaultPersonalities returns the lab's standard rack, a fresh copy each call. Host i of a lab
// plays personality i modulo the list.
func DefaultPersonalities() []Personality {
	var ps []Personality

	w2k := xpBase("win2000-sp4", "Windows 2000 SP4, MS08-067 unpatched", "W2KSP4")
	w2k.NativeOS = "Windows 5.0"
	w2k.NTLMVersion = ntlmssp.Version{}
	w2k.AnonPipes = pipesAll()
	w2k.NameCanonLegacy = true
	w2k.TODReferent = 0x00010000
	w2k.ServerInfo.Minor = 0
	w2k.Truth = truthTable{ms08: exp, cfk: cln, ms17: vuln, smbv1: exp, signing: exp, anonIPC: exp, srvsvcAnon: exp, osEOL: exp, cfkP2P: nd, autorun: unk}
	w2k.Nmap = NmapTruth{OS: "Windows 2000", Dialects: []string{"NT LM 0.12 (SMBv1) [dangerous, but default]"},
		SMB1Sign: nmapSign1Default, MS08067: "LIKELY VULNERABLE", MS08Crash: true, Conficker: "NOT VULNERABLE", MS17010: "VULNERABLE"}
	ps = append(ps, w2k)

	xp2 := xpBase("xp-sp2", "Windows XP SP2, MS08-067 unpatched", "XPSP2")
	xp2.TODReferent = 0x00010000
	xp2.Truth = truthTable{ms08: exp, cfk: cln, ms17: vuln, smbv1: exp, signing: exp, anonIPC: exp, srvsvcAnon: exp, osEOL: exp, cfkP2P: nd, autorun: unk}
	xp2.Nmap = NmapTruth{OS: "Windows XP", Dialects: w2k.Nmap.Dialects, SMB1Sign: nmapSign1Default,
		MS08067: "LIKELY VULNERABLE", MS08Crash: true, Conficker: "NOT VULNERABLE", MS17010: "VULNERABLE"}
	ps = append(ps, xp2)

	xp3p := xpBase("xp-sp3-patched", "Windows XP SP3 with KB958644 (and MS17-010)", "XPSP3PATCHED")
	xp3p.Srvsvc = SrvsvcPatched
	xp3p.MS17010 = ntstatus.InvalidHandle
	xp3p.Account = labAdmin()
	xp3p.Netapi32, xp3p.CredTruth = netapi.FileVersion{Major: 5, Minor: 1, Build: 2600, Revision: 5694}, pat
	// AutoRun on: XP SP3 as installed, NoDriveTypeAutoRun absent (the 0x91 default), no AutoRun update.
	xp3p.Registry, xp3p.RegTruth = windowsRegistry("Microsoft Windows XP", "5.1", "Service Pack 3", "2600", `Windows XP\SP4\KB958644`), exp
	xp3p.Truth = truthTable{ms08: exp, cfk: cln, ms17: pat, smbv1: exp, signing: exp, anonIPC: exp, srvsvcAnon: exp, osEOL: exp, cfkP2P: nd, autorun: unk}
	xp3p.Nmap = NmapTruth{OS: "Windows XP", Dialects: w2k.Nmap.Dialects, SMB1Sign: nmapSign1Default,
		MS08067: "NOT VULNERABLE", Conficker: "NOT VULNERABLE", MS17010: "NOT VULNERABLE"}
	xp3p.Notes = "patch state is visible only to the intrusive or credentialed check; the safe fingerprint says exposed"
	ps = append(ps, xp3p)

	w3 := w2003Base("w2003-sp2", "Windows Server 2003 SP2, MS08-067 unpatched", "W2K3SP2")
	w3.Truth = truthTable{ms08: exp, cfk: cln, ms17: vuln, smbv1: exp, signing: exp, anonIPC: exp, srvsvcAnon: exp, osEOL: exp, cfkP2P: nd, autorun: unk}
	w3.Nmap = NmapTruth{OS: "Windows Server 2003", Dialects: w2k.Nmap.Dialects, SMB1Sign: nmapSign1Default,
		MS08067: "LIKELY VULNERABLE", MS08Crash: true, Conficker: "NOT VULNERABLE", MS17010: "VULNERABLE"}
	ps = append(ps, w3)

	w3b := w2003Base("w2003-sp2-conficker-b", "Windows Server 2003 SP2 infected with Conficker B", "W2K3INFECTED")
	w3b.Srvsvc = SrvsvcConfickerABC
	w3b.Truth = truthTable{ms08: exp, cfk: inf, ms17: vuln, smbv1: exp, signing: exp, anonIPC: exp, srvsvcAnon: exp, osEOL: exp, cfkP2P: nd, autorun: unk}
	w3b.Nmap = NmapTruth{OS: "Windows Server 2003", Dialects: w2k.Nmap.Dialects, SMB1Sign: nmapSign1Default,
		MS08067: "LIKELY VULNERABLE", Conficker: "LIKELY VULNERABLE", Variant: "Conficker.C or lower", MS17010: "VULNERABLE"}
	ps = append(ps, w3b)

	xpd := xpBase("xp-sp3-conficker-d", "Windows XP SP3 infected with Conficker D (P2P on)", "XPSP3CONFD")
	xpd.Srvsvc = SrvsvcConfickerDE
	xpd.P2P = true
	xpd.Truth = truthTable{ms08: exp, cfk: inf, ms17: vuln, smbv1: exp, signing: exp, anonIPC: exp, srvsvcAnon: exp, osEOL: exp, cfkP2P: inf, autorun: unk}
	xpd.Nmap = NmapTruth{OS: "Windows XP", Dialects: w2k.Nmap.Dialects, SMB1Sign: nmapSign1Default,
		MS08067: "LIKELY VULNERABLE", Conficker: "LIKELY VULNERABLE", Variant: "Conficker.D or higher", MS17010: "VULNERABLE"}
	ps = append(ps, xpd)

	vista := nt6Base("vista-sp1", "Windows Vista SP1: SMB 2.0.2 + SMB1, pipes need authentication", "VISTASP1")
	vista.NativeOS, vista.NativeLANMan = "Windows Vista (TM) Business 6001 Service Pack 1", "Windows Vista (TM) Business 6.0"
	vista.SMB2Dialects = []uint16{0x0202}
	vista.NTLMVersion = verVista1
	vista.ServerInfo = ServerInfo101{PlatformID: 500, Name: "VISTASP1", Major: 6, Minor: 0, Type: 0x00001003}
	vista.Account = labAdmin()
	vista.Netapi32, vista.CredTruth = netapi.FileVersion{Major: 6, Minor: 0, Build: 6001, Revision: 18000}, vuln
	// The Remote Registry service is stopped: \winreg does not exist.
	vista.Registry, vista.RegTruth = &Registry{Off: true}, unk
	vista.Truth = truthTable{ms08: exp, cfk: unk, ms17: vuln, smbv1: exp, signing: exp, anonIPC: exp, srvsvcAnon: na, osEOL: exp, cfkP2P: nd, autorun: unk}
	vista.Nmap = NmapTruth{OS: "Windows Vista", Dialects: []string{"NT LM 0.12 (SMBv1) [dangerous, but default]", "202"},
		SMB1Sign: nmapSign1Default, SMB2Sign: nmapSign2Enabled, MS08067: "NOT VULNERABLE", Conficker: "NOT VULNERABLE", MS17010: "VULNERABLE"}
	ps = append(ps, vista)

	w8 := nt6Base("w2008-sp2", "Windows Server 2008 SP2 (not affected by MS08-067)", "W2K8SP2")
	w8.NativeOS, w8.NativeLANMan = "Windows Server (R) 2008 Standard 6002 Service Pack 2", "Windows Server (R) 2008 Standard 6.0"
	w8.SMB2Dialects = []uint16{0x0202}
	w8.NTLMVersion = ver2008_2
	w8.ServerInfo = ServerInfo101{PlatformID: 500, Name: "W2K8SP2", Major: 6, Minor: 0, Type: 0x00009003}
	w8.Srvsvc = SrvsvcPatched
	w8.MS17010 = ntstatus.InvalidHandle
	w8.Account = labAdmin()
	// Vista/2008 SP2's RTM netapi32.dll: the SP2 line is not affected by MS08-067.
	w8.Netapi32, w8.CredTruth = netapi.FileVersion{Major: 6, Minor: 0, Build: 6002, Revision: 18005}, na
	// The account may not open HKLM remotely (winreg's ACL): access denied.
	w8.Registry, w8.RegTruth = &Registry{DenyHKLM: true}, unk
	w8.Truth = truthTable{ms08: na, cfk: unk, ms17: pat, smbv1: exp, signing: exp, anonIPC: exp, srvsvcAnon: na, osEOL: exp, cfkP2P: nd, autorun: unk}
	w8.Nmap = NmapTruth{OS: "Windows Server (R) 2008", Dialects: vista.Nmap.Dialects,
		SMB1Sign: nmapSign1Default, SMB2Sign: nmapSign2Enabled, MS08067: "NOT VULNERABLE", Conficker: "NOT VULNERABLE", MS17010: "NOT VULNERABLE"}
	ps = append(ps, w8)

	w7 := nt6Base("win7-sp1", "Windows 7 SP1, MS17-010 unpatched (SMB1 + SMB 2.1)", "WIN7SP1")
	w7.NativeOS, w7.NativeLANMan = "Windows 7 Professional 7601 Service Pack 1", "Windows 7 Professional 6.1"
	w7.SMB2Dialects = []uint16{0x0202, 0x0210}
	w7.NTLMVersion = ver7SP1
	w7.ServerInfo = ServerInfo101{PlatformID: 500, Name: "WIN7SP1", Major: 6, Minor: 1, Type: 0x00001003}
	w7.Srvsvc = SrvsvcPatched
	w7.Truth = truthTable{ms08: na, cfk: unk, ms17: vuln, smbv1: exp, signing: exp, anonIPC: exp, srvsvcAnon: na, osEOL: exp, cfkP2P: nd, autorun: unk}
	w7.Nmap = NmapTruth{OS: "Windows 7", Dialects: []string{"NT LM 0.12 (SMBv1) [dangerous, but default]", "202", "210"},
		SMB1Sign: nmapSign1Default, SMB2Sign: nmapSign2Enabled, MS08067: "NOT VULNERABLE", Conficker: "NOT VULNERABLE", MS17010: "VULNERABLE"}
	ps = append(ps, w7)

	w12 := nt6Base("w2012r2-nosmb1", "Windows Server 2012 R2, SMB1 disabled, signing required", "W2012R2")
	w12.SMB1 = false
	w12.NativeOS, w12.NativeLANMan = "", ""
	w12.SMB2Dialects = []uint16{0x0202, 0x0210, 0x0300, 0x0302}
	w12.SigningEnabled, w12.SigningRequired = true, true
	w12.NTLMVersion = ver2012R2
	w12.ServerInfo = ServerInfo101{PlatformID: 500, Name: "W2012R2", Major: 6, Minor: 3, Type: 0x00009003}
	w12.Srvsvc = SrvsvcPatched
	w12.MS17010 = ntstatus.InvalidHandle
	w12.Truth = truthTable{ms08: na, cfk: unk, ms17: na, smbv1: na, signing: na, anonIPC: exp, srvsvcAnon: na, osEOL: exp, cfkP2P: nd, autorun: unk}
	w12.Nmap = NmapTruth{Dialects: []string{"202", "210", "300", "302"}, SMB2Sign: nmapSign2Req,
		Conficker: "NOT VULNERABLE", MS17010: "NOT VULNERABLE"}
	ps = append(ps, w12)

	xpra := xpBase("xp-restrict-anonymous", "Windows XP SP2 with RestrictAnonymous=2: IPC$ refused to null sessions", "XPRESTRICT")
	xpra.AnonIPC = false
	xpra.TODReferent = 0x00010000
	xpra.Truth = truthTable{ms08: exp, cfk: unk, ms17: unk, smbv1: exp, signing: exp, anonIPC: na, srvsvcAnon: na, osEOL: exp, cfkP2P: nd, autorun: unk}
	// nmap says NOT VULNERABLE when it cannot get in; the truth is unknown.
	xpra.Nmap = NmapTruth{OS: "Windows XP", Dialects: w2k.Nmap.Dialects, SMB1Sign: nmapSign1Default,
		MS08067: "NOT VULNERABLE", Conficker: "NOT VULNERABLE", MS17010: "NOT VULNERABLE"}
	ps = append(ps, xpra)

	xpnb := xpBase("xp-no-browser", "Windows XP SP3 unpatched with the Computer Browser service disabled", "XPNOBROWSER")
	xpnb.BrowserDisabled = true
	// XP SP3's own netapi32.dll, without KB958644: only the credentialed check can say so.
	xpnb.Account = labAdmin()
	xpnb.Netapi32, xpnb.CredTruth = netapi.FileVersion{Major: 5, Minor: 1, Build: 2600, Revision: 5512}, vuln
	// Partial: NoDriveTypeAutoRun sets the removable-drive bit 0x04 only, but without KB967715
	// XP does not honour it. Its registry also claims KB958644 while netapi32.dll is the
	// unpatched file (a restored system32): the file decides, the registry is only a hint.
	xpnb.Registry = windowsRegistry("Microsoft Windows XP", "5.1", "Service Pack 3", "2600", `Windows XP\SP4\KB958644`).set(regExplorer+`\NoDriveTypeAutoRun`, regDword(0x04))
	xpnb.RegTruth = exp
	xpnb.Truth = truthTable{ms08: exp, cfk: unk, ms17: vuln, smbv1: exp, signing: exp, anonIPC: exp, srvsvcAnon: na, osEOL: exp, cfkP2P: nd, autorun: unk}
	xpnb.Nmap = NmapTruth{OS: "Windows XP", Dialects: w2k.Nmap.Dialects, SMB1Sign: nmapSign1Default,
		MS08067: "NOT VULNERABLE", Conficker: "NOT VULNERABLE", MS17010: "VULNERABLE"}
	ps = append(ps, xpnb)

	hp := xpBase("honeypot-xp", "a Dionaea-like honeypot imitating Windows XP (NetprPathCompare always 0)", "HONEYXP")
	hp.Srvsvc = SrvsvcHoneypot
	hp.AnonPipes = pipesAll()
	hp.MS17010 = ntstatus.NotImplemented
	hp.Truth = truthTable{ms08: exp, cfk: cln, ms17: unk, smbv1: exp, signing: exp, anonIPC: exp, srvsvcAnon: exp, osEOL: exp, cfkP2P: nd, autorun: unk}
	hp.Nmap = NmapTruth{OS: "Windows XP", Dialects: w2k.Nmap.Dialects, SMB1Sign: nmapSign1Default,
		MS08067: "VULNERABLE", Conficker: "NOT VULNERABLE", MS17010: "NOT VULNERABLE", Honeypot: true}
	hp.Notes = "tell-tale: NetprPathCompare of two different safe paths returns 0; a scanner that probes it should set Fingerprint.Honeypot"
	ps = append(ps, hp)

	xpc := xpBase("xp-sp3-conficker-c-p2p", "Windows XP SP3 infected with Conficker C, P2P responder on its derived ports", "XPCONFC")
	xpc.Srvsvc = SrvsvcConfickerABC
	xpc.P2P = true
	xpc.Truth = truthTable{ms08: exp, cfk: inf, ms17: vuln, smbv1: exp, signing: exp, anonIPC: exp, srvsvcAnon: exp, osEOL: exp, cfkP2P: inf, autorun: unk}
	xpc.Nmap = NmapTruth{OS: "Windows XP", Dialects: w2k.Nmap.Dialects, SMB1Sign: nmapSign1Default,
		MS08067: "LIKELY VULNERABLE", Conficker: "LIKELY VULNERABLE", Variant: "Conficker.C or lower", MS17010: "VULNERABLE"}
	ps = append(ps, xpc)

	xpbasic := xpBase("xp-basic-only-conficker", "Windows XP SP2 infected with Conficker B that only accepts basic-security null sessions", "XPBASIC")
	xpbasic.BasicSecurityOnly = true
	xpbasic.Srvsvc = SrvsvcConfickerABC
	xpbasic.TODReferent = 0x00010000
	xpbasic.Truth = truthTable{ms08: exp, cfk: inf, ms17: vuln, smbv1: exp, signing: exp, anonIPC: exp, srvsvcAnon: exp, osEOL: exp, cfkP2P: nd, autorun: unk}
	xpbasic.Nmap = NmapTruth{OS: "Windows XP", Dialects: w2k.Nmap.Dialects, SMB1Sign: nmapSign1Default,
		MS08067: "LIKELY VULNERABLE", Conficker: "LIKELY VULNERABLE", Variant: "Conficker.C or lower", MS17010: "VULNERABLE"}
	ps = append(ps, xpbasic)

	inj := xpBase("hostile-injection", "an SMB1 host whose names are HTML/CSV injection strings", `"><img src=x onerror=alert(1)>`)
	inj.NativeOS = "<script>alert(1)</script>"
	inj.NativeLANMan = "=cmd|' /C calc'!A0"
	inj.Workgroup = `=HYPERLINK("http://x/?"&A1)`
	inj.DNSComputer, inj.DNSDomain = "<b>bold</b>.example", "<i>x</i>"
	inj.NTLMVersion = ntlmssp.Version{}
	inj.BrowserDisabled = true
	inj.AnonPipes = map[string]ntstatus.Status{}
	inj.ServerInfo.Comment = "<script>alert(2)</script>"
	inj.MS17010 = ntstatus.Status(0xC0000001) // STATUS_UNSUCCESSFUL: neither answer of docs/checks.md §5
	inj.Truth = truthTable{ms08: unk, cfk: unk, ms17: unk, smbv1: exp, signing: exp, anonIPC: exp, srvsvcAnon: na, osEOL: unk, cfkP2P: nd, autorun: unk}
	inj.Nmap = NmapTruth{Unreliable: true}
	inj.Notes = "every string is attacker-controlled: reports must escape it"
	ps = append(ps, inj)

	for _, h := range []struct {
		kind Hostility
		desc string
	}{
		{HostileTruncated, "replies end inside the SMB header"},
		{HostileHugeLength, "NetBIOS length 16 MiB, then a few bytes"},
		{HostileBadOffsets, "counts, lengths and offsets point past the buffer"},
		{HostileSilent, "accepts, never answers"},
		{HostileTrickle, "a valid reply at one byte per second"},
		{HostileReset, "half a reply, then a TCP RST"},
		{HostileGarbage, "answers bytes that are not SMB"},
	} {
		ps = append(ps, Personality{
			Name: "hostile-" + string(h.kind), Description: "hostile host: " + h.desc, Hostile: h.kind,
			Truth: truthTable{ms08: errv, cfk: errv, ms17: errv, smbv1: errv, signing: errv, anonIPC: errv, srvsvcAnon: errv, osEOL: errv, cfkP2P: nd, autorun: errv},
			Nmap:  NmapTruth{Unreliable: true},
			Notes: "error or unknown are both acceptable; the scanner must neither hang nor crash",
		})
	}

	// Credentialed-only personalities come last so that the hosts above keep their addresses.
	w3p := w2003Base("w2003-sp2-patched", "Windows Server 2003 SP2 with KB958644 and MS12-054", "W2K3PATCHED")
	w3p.Srvsvc = SrvsvcPatched
	w3p.MS17010 = ntstatus.InvalidHandle
	w3p.Account = labAdmin()
	// MS12-054 replaced netapi32.dll again within the 2003 SP2 branch: still fixed.
	w3p.Netapi32, w3p.CredTruth = netapi.FileVersion{Major: 5, Minor: 2, Build: 3790, Revision: 5030}, pat
	// AutoRun off: NoDriveTypeAutoRun 0xFF, and KB967715 makes 2003 honour it.
	w3p.Registry = windowsRegistry("Microsoft Windows Server 2003", "5.2", "Service Pack 2", "3790",
		`Windows Server 2003\SP3\KB958644`, `Windows Server 2003\SP3\KB967715`).set(regExplorer+`\NoDriveTypeAutoRun`, regDword(0xFF))
	w3p.RegTruth = na
	w3p.Truth = truthTable{ms08: exp, cfk: cln, ms17: pat, smbv1: exp, signing: exp, anonIPC: exp, srvsvcAnon: exp, osEOL: exp, cfkP2P: nd, autorun: unk}
	w3p.Nmap = NmapTruth{OS: "Windows Server 2003", Dialects: w2k.Nmap.Dialects, SMB1Sign: nmapSign1Default,
		MS08067: "NOT VULNERABLE", Conficker: "NOT VULNERABLE", MS17010: "NOT VULNERABLE"}
	w3p.Notes = xp3p.Notes
	ps = append(ps, w3p)

	vldr := nt6Base("vista-sp1-ldr-patched", "Windows Vista SP1 with the LDR (hotfix) build of KB958644", "VISTALDR")
	vldr.NativeOS, vldr.NativeLANMan = vista.NativeOS, vista.NativeLANMan
	vldr.SMB2Dialects = []uint16{0x0202}
	vldr.NTLMVersion = verVista1
	vldr.ServerInfo = ServerInfo101{PlatformID: 500, Name: "VISTALDR", Major: 6, Minor: 0, Type: 0x00001003}
	vldr.Srvsvc = SrvsvcPatched
	vldr.Account = labAdmin()
	// 22288 is the LDR fix itself; numerically any LDR build is above the GDR fix 18157, which
	// is why the judgement must be made within the branch.
	vldr.Netapi32, vldr.CredTruth = netapi.FileVersion{Major: 6, Minor: 0, Build: 6001, Revision: 22288}, pat
	// Microsoft's null mapping: autorun.inf is read from nowhere, whatever NoDriveTypeAutoRun says.
	vldr.Registry = windowsRegistry("Windows Vista (TM) Business", "6.0", "Service Pack 1", "6001").set(regAutorunInf+`\`, regString("@SYS:DoesNotExist"))
	vldr.RegTruth = na
	vldr.Truth = truthTable{ms08: exp, cfk: unk, ms17: vuln, smbv1: exp, signing: exp, anonIPC: exp, srvsvcAnon: na, osEOL: exp, cfkP2P: nd, autorun: unk}
	vldr.Nmap = vista.Nmap
	vldr.Notes = "patch state is visible only to the credentialed check: anonymous clients cannot reach srvsvc"
	ps = append(ps, vldr)

	// Added after the credentialed rack, so that every host above keeps its address.
	xpbts := xpBase("xp-sp3-clean-buftoosmall", "Windows XP SP3 with KB958644, answering NetprPathCanonicalize(\\) with NERR_BufTooSmall", "XPSP3BTS")
	xpbts.Srvsvc = SrvsvcPatched
	xpbts.CanonCountsNUL = true
	xpbts.MS17010 = ntstatus.InvalidHandle
	xpbts.Truth = truthTable{ms08: exp, cfk: cln, ms17: pat, smbv1: exp, signing: exp, anonIPC: exp, srvsvcAnon: exp, osEOL: exp, cfkP2P: nd, autorun: unk}
	xpbts.Nmap = NmapTruth{OS: "Windows XP", Dialects: w2k.Nmap.Dialects, SMB1Sign: nmapSign1Default,
		MS08067: "NOT VULNERABLE", Conficker: "NOT VULNERABLE", MS17010: "NOT VULNERABLE"}
	xpbts.Notes = "the second plausible clean answer to the Conficker `\\` probe: a clean verdict must not depend on which one a host gives"
	ps = append(ps, xpbts)
	return withAuditTruth(ps)
}

// labAdmin is the administrator account of every credentialed personality.
func labAdmin() *Account { return &Account{User: "labadmin", Password: "Lab-Passw0rd!"} }

// Accepts reports whether v is an acceptable verdict for check on this personality: the truth
// table's verdict, or for a hostile host's "error" also "unknown".
func (p *Personality) Accepts(check string, got Verdict) bool {
	want, ok := p.Truth[check]
	if !ok {
		return false
	}
	if got == want {
		return true
	}
	return want == errv && got == unk
}
