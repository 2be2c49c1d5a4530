package smbprobe_test

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"net"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/scan445/scan445/smbprobe"
	"github.com/scan445/scan445/smbprobe/smblab"
	"github.com/scan445/scan445/smbprobe/srvsvc"
)

// syncBuffer collects the lab's CRASH lines from its goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// probeAddr is what the scanner engine does: dial, hand the conn over, allow redials.
func probeAddr(ctx context.Context, t testing.TB, p *smbprobe.Prober, ap netip.AddrPort) *smbprobe.Result {
	t.Helper()
	if !ap.Addr().IsLoopback() {
		t.Fatalf("refusing non-loopback %s", ap)
	}
	var d net.Dialer
	dial := d.DialContext
	conn, err := dial(ctx, "tcp", ap.String())
	if err != nil {
		t.Fatalf("dial %s: %v", ap, err)
	}
	res := p.Probe(ctx, ap, conn, dial)
	if res == nil {
		t.Fatal("Probe returned nil")
	}
	return res
}

func startLab(t *testing.T, first string, crash *syncBuffer) *smblab.Lab {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	lab, err := smblab.Start(ctx, smblab.Options{First: netip.MustParseAddr(first), CrashLog: crash, IdleTimeout: 10 * time.Second, CrashDowntime: 2 * time.Second})
	if err != nil {
		t.Fatalf("smblab.Start: %v", err)
	}
	t.Cleanup(func() { lab.Close() })
	return lab
}

func dump(t *testing.T, res *smbprobe.Result) string {
	b, _ := json.MarshalIndent(res, "", "  ")
	return string(b)
}

// TestLabDefaultScan probes every personality with the default (safe) check set: each must get
// the verdicts of its truth table, hostile hosts must end fast, and the lab must log no crash.
func TestLabDefaultScan(t *testing.T) {
	var crash syncBuffer
	lab := startLab(t, "127.44.0.1", &crash)
	p, err := smbprobe.New(smbprobe.Options{ReadTimeout: 1500 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	t.Run("hosts", func(t *testing.T) {
		for _, h := range lab.Hosts() {
			h := h
			t.Run(h.Personality, func(t *testing.T) {
				t.Parallel()
				pers, _ := lab.Personality(h.Addr)
				ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
				defer cancel()
				start := time.Now()
				res := probeAddr(ctx, t, p, h.AddrPort())
				took := time.Since(start)
				if h.Hostile && took > 8*time.Second {
					t.Errorf("hostile host took %v", took)
				}
				seen := map[string]bool{}
				for _, f := range res.Findings {
					seen[f.Check] = true
					if !pers.Accepts(f.Check, smblab.Verdict(f.Verdict)) {
						t.Errorf("%s: got %s (%s: %s), want %s", f.Check, f.Verdict, f.Rule, f.Reason, h.Truth[f.Check])
					}
					if f.Rule == "" || f.Reason == "" {
						t.Errorf("%s: empty rule or reason", f.Check)
					}
					for _, i := range f.Evidence {
						if i < 0 || i >= len(res.Exchanges) {
							t.Errorf("%s: evidence index %d out of range", f.Check, i)
						}
					}
					if (f.Verdict == smbprobe.Unknown || f.Verdict == smbprobe.Error) && f.Reason == "" {
						t.Errorf("%s: %s without a reason", f.Check, f.Verdict)
					}
				}
				for _, c := range smbprobe.DefaultChecks() { // the safe set: credentialed checks need --user
					if !seen[c] {
						t.Errorf("no finding for %s", c)
					}
				}
				for _, e := range res.Exchanges {
					if e.Class != smbprobe.ClassSafe {
						t.Errorf("default scan sent a %s request: %+v", e.Class, e)
					}
					checkSentStub(t, e)
				}
				if !h.Hostile && pers.SMB1 && len(pers.SMB2Dialects) == 0 {
					if res.Connections != 1 || res.RoundTrips > 12 {
						t.Errorf("SMB1 host: %d connections, %d round trips; want 1 and <= 12", res.Connections, res.RoundTrips)
					}
				}
				if t.Failed() {
					t.Log(dump(t, res))
				}
			})
		}
	})
	if c := crash.String(); c != "" {
		t.Errorf("default scan crashed lab hosts:\n%s", c)
	}
}

// TestLabFingerprint checks the fingerprint of a few personalities field by field.
func TestLabFingerprint(t *testing.T) {
	var crash syncBuffer
	lab := startLab(t, "127.44.1.1", &crash)
	p, err := smbprobe.New(smbprobe.Options{ReadTimeout: 1500 * time.Millisecond, Checks: []string{smbprobe.CheckMS08067, smbprobe.CheckConficker, smbprobe.CheckSigning}})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]func(t *testing.T, fp smbprobe.Fingerprint, res *smbprobe.Result){
		"xp-sp2": func(t *testing.T, fp smbprobe.Fingerprint, res *smbprobe.Result) {
			if fp.NTLMVersion == nil || *fp.NTLMVersion != (smbprobe.OSVersion{Major: 5, Minor: 1, Build: 2600}) {
				t.Errorf("NTLM version %+v", fp.NTLMVersion)
			}
			if fp.NativeOS != "Windows 5.1" || fp.NativeLANMan != "Windows 2000 LAN Manager" || fp.NetBIOSName != "XPSP2" {
				t.Errorf("strings %q %q %q", fp.NativeOS, fp.NativeLANMan, fp.NetBIOSName)
			}
			if fp.Pipe != `\browser` || fp.ServerInfo == nil || fp.ServerInfo.Major != 5 || fp.ServerInfo.Minor != 1 {
				t.Errorf("pipe %q server info %+v", fp.Pipe, fp.ServerInfo)
			}
			if !strings.HasPrefix(fp.OS, "Windows XP") || fp.OSFamily != "windows" || fp.Honeypot != "" {
				t.Errorf("OS %q family %q honeypot %q", fp.OS, fp.OSFamily, fp.Honeypot)
			}
			if !fp.SMB1 || fp.SMB2 || fp.SigningRequired {
				t.Errorf("smb1 %t smb2 %t signing required %t", fp.SMB1, fp.SMB2, fp.SigningRequired)
			}
		},
		"honeypot-xp": func(t *testing.T, fp smbprobe.Fingerprint, res *smbprobe.Result) {
			if fp.Honeypot == "" {
				t.Errorf("honeypot not noted")
			}
		},
		"xp-sp3-conficker-d": func(t *testing.T, fp smbprobe.Fingerprint, res *smbprobe.Result) {
			for _, f := range res.Findings {
				if f.Check == smbprobe.CheckConficker && (f.Variant != "D/E" || f.Rule != "conficker/4a.hook-de-padding") {
					t.Errorf("conficker finding %+v", f)
				}
			}
		},
		"w2003-sp2-conficker-b": func(t *testing.T, fp smbprobe.Fingerprint, res *smbprobe.Result) {
			for _, f := range res.Findings {
				if f.Check == smbprobe.CheckConficker && (f.Variant != "A/B/C" || f.Rule != "conficker/4a.hook-0x57") {
					t.Errorf("conficker finding %+v", f)
				}
				if f.Check == smbprobe.CheckMS08067 && f.Severity != smbprobe.SeverityCritical {
					t.Errorf("ms08-067 severity %s", f.Severity)
				}
			}
		},
		"xp-basic-only-conficker": func(t *testing.T, fp smbprobe.Fingerprint, res *smbprobe.Result) {
			if fp.SessionMode != "basic-null" {
				t.Errorf("session mode %q", fp.SessionMode)
			}
		},
		"vista-sp1": func(t *testing.T, fp smbprobe.Fingerprint, res *smbprobe.Result) {
			if !fp.SMB1 || !fp.SMB2 || res.Connections != 2 {
				t.Errorf("smb1 %t smb2 %t connections %d", fp.SMB1, fp.SMB2, res.Connections)
			}
			for _, f := range res.Findings {
				if f.Check == smbprobe.CheckMS08067 && f.Severity != smbprobe.SeverityHigh {
					t.Errorf("ms08-067 severity %s", f.Severity)
				}
				if f.Check == smbprobe.CheckConficker && !strings.Contains(f.Reason, "ACCESS_DENIED") {
					t.Errorf("conficker reason %q", f.Reason)
				}
			}
		},
		"w2012r2-nosmb1": func(t *testing.T, fp smbprobe.Fingerprint, res *smbprobe.Result) {
			if fp.SMB1 || !fp.SMB2 || !fp.SigningRequired {
				t.Errorf("smb1 %t smb2 %t signing required %t dialects %v", fp.SMB1, fp.SMB2, fp.SigningRequired, fp.Dialects)
			}
			if fp.NTLMVersion == nil || fp.NTLMVersion.Build != 9600 {
				t.Errorf("NTLM version %+v", fp.NTLMVersion)
			}
		},
		"hostile-injection": func(t *testing.T, fp smbprobe.Fingerprint, res *smbprobe.Result) {
			if fp.NativeOS != "<script>alert(1)</script>" {
				t.Errorf("Native OS %q", fp.NativeOS)
			}
		},
	}
	for _, h := range lab.Hosts() {
		check, ok := want[h.Personality]
		if !ok {
			continue
		}
		h := h
		t.Run(h.Personality, func(t *testing.T) {
			t.Parallel()
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			res := probeAddr(ctx, t, p, h.AddrPort())
			check(t, res.Fingerprint, res)
			if t.Failed() {
				t.Log(dump(t, res))
			}
		})
	}
}

// TestLabIntrusive: only with Intrusive does the scanner send the §3c probe, and then exactly
// the unpatched hosts it can reach crash (the ones nmap's probe crashes too); the probe is
// recorded as intrusive and the crash reads "host may have crashed".
func TestLabIntrusive(t *testing.T) {
	var crash syncBuffer
	lab := startLab(t, "127.44.2.1", &crash)
	p, err := smbprobe.New(smbprobe.Options{ReadTimeout: 1500 * time.Millisecond, Intrusive: true, Checks: []string{smbprobe.CheckMS08067}})
	if err != nil {
		t.Fatal(err)
	}
	wantCrash := map[string]bool{}
	var mu sync.Mutex
	verdicts := map[string]smbprobe.Finding{}
	t.Run("hosts", func(t *testing.T) {
		for _, h := range lab.Hosts() {
			if h.Hostile {
				continue
			}
			h := h
			if h.Nmap.MS08Crash {
				wantCrash[h.Addr.String()] = true
			}
			t.Run(h.Personality, func(t *testing.T) {
				t.Parallel()
				ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
				defer cancel()
				res := probeAddr(ctx, t, p, h.AddrPort())
				for _, f := range res.Findings {
					mu.Lock()
					verdicts[h.Personality] = f
					mu.Unlock()
				}
			})
		}
	})
	got := map[string]bool{}
	for _, line := range strings.Split(strings.TrimSpace(crash.String()), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == "CRASH" {
			got[f[1]] = true
		}
	}
	for a := range wantCrash {
		if !got[a] {
			t.Errorf("%s did not crash under the intrusive probe", a)
		}
	}
	for a := range got {
		if !wantCrash[a] {
			t.Errorf("%s crashed but nmap's probe does not crash it", a)
		}
	}
	if len(wantCrash) == 0 {
		t.Fatal("no personality is expected to crash: the test proves nothing")
	}
	for _, n := range []string{"win2000-sp4", "xp-sp2", "w2003-sp2", "xp-sp3-patched", "honeypot-xp", "win7-sp1", "w2003-sp2-conficker-b", "xp-restrict-anonymous"} {
		if _, ok := verdicts[n]; !ok {
			t.Errorf("no ms08-067 finding for %s", n)
		}
	}
	for name, f := range verdicts {
		switch name {
		case "win2000-sp4", "xp-sp2", "w2003-sp2":
			if f.Verdict != smbprobe.Vulnerable || f.Class != smbprobe.ClassIntrusive || !strings.Contains(f.Reason, "host may have crashed") {
				t.Errorf("%s: %+v", name, f)
			}
		case "xp-sp3-patched":
			if f.Verdict != smbprobe.Patched || f.Rule != "ms08-067/3c.werr-0x7b" {
				t.Errorf("%s: %+v", name, f)
			}
		case "w2003-sp2-conficker-b", "xp-sp3-conficker-c-p2p":
			// Conficker's in-memory patch answers 0x57: infected, and the DLL is still unpatched.
			if f.Verdict != smbprobe.Exposed || f.Rule != "ms08-067/3c.werr-0x57" {
				t.Errorf("%s: %+v", name, f)
			}
		case "xp-restrict-anonymous":
			// The probe cannot be sent (IPC$ refused): the safe verdict stands.
			if f.Verdict != smbprobe.Exposed || f.Class != smbprobe.ClassSafe || !strings.Contains(f.Reason, "intrusive probe: not sent") {
				t.Errorf("%s: %+v", name, f)
			}
		case "honeypot-xp":
			if f.Verdict == smbprobe.Vulnerable {
				t.Errorf("%s: honeypot judged vulnerable: %+v", name, f)
			}
		case "w2008-sp2", "win7-sp1", "w2012r2-nosmb1":
			if f.Verdict != smbprobe.NotAffected || f.Class != smbprobe.ClassSafe {
				t.Errorf("%s: %+v", name, f)
			}
		}
	}
}

// checkSentStub decodes the stub an Exchange says was sent and asserts no string in it reaches
// the MS08-067 overflow: the safety property, checked on the traffic itself.
func checkSentStub(t *testing.T, e smbprobe.Exchange) {
	t.Helper()
	if !strings.HasPrefix(e.Step, "srvsvc.") {
		if e.SentHex != "" {
			t.Errorf("%s: SentHex on a non-srvsvc step", e.Step)
		}
		return
	}
	opnums := map[string]uint16{
		"srvsvc.NetrServerGetInfo":     srvsvc.OpNetrServerGetInfo,
		"srvsvc.NetprPathCanonicalize": srvsvc.OpNetprPathCanonicalize,
		"srvsvc.NetprPathCompare":      srvsvc.OpNetprPathCompare,
	}
	op, ok := opnums[e.Step]
	if !ok {
		t.Errorf("unexpected srvsvc step %s", e.Step)
		return
	}
	stub, err := hex.DecodeString(e.SentHex)
	if err != nil || len(stub) == 0 {
		t.Errorf("%s: SentHex %q", e.Step, e.SentHex)
		return
	}
	req, err := srvsvc.DecodeRequest(op, stub)
	if err != nil {
		t.Errorf("%s: sent stub does not decode: %v", e.Step, err)
		return
	}
	if p, ok := req.(interface{ Paths() []string }); ok {
		for _, s := range p.Paths() {
			if srvsvc.PathReachesOverflow(s) {
				t.Errorf("%s sent overflow-reaching %q", e.Step, s)
			}
		}
	}
}
