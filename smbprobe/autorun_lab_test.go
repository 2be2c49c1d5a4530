package smbprobe_test

import (
	"context"
	"encoding/hex"
	"github.com/scan445/scan445/smbprobe/smblab"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/scan445/scan445/smbprobe"
	"github.com/scan445/scan445/smbprobe/credcheck"
)

// TestLabAutorun reads the lab's registries with the admin account: every personality that
// serves one (AutoRun on, off, partial, the null mapping, Remote Registry stopped, access
// denied) gets its RegTruth with the reason naming what decided; every winreg request is one
// of the four read-only opnums; the OS record gains the registry's ProductName/CSDVersion/
// build; and without credentials the check says so.
func TestLabAutorun(t *testing.T) {
	var crash syncBuffer
	lab := startLab(t, "127.3.5.64", &crash)
	wantRule := map[string]string{
		"xp-sp3-patched":        "autorun-enabled/6a.default",
		"xp-no-browser":         "autorun-enabled/6a.not-honoured",
		"w2003-sp2-patched":     "autorun-enabled/6a.removable-off",
		"vista-sp1-ldr-patched": "autorun-enabled/6a.null-mapping",
		"vista-sp1":             "autorun-enabled/6a.remote-registry-off",
		"w2008-sp2":             "autorun-enabled/6a.access-denied",
	}
	n := 0
	for _, h := range lab.Hosts() {
		if h.RegTruth == "" {
			continue
		}
		n++
		t.Run(h.Personality, func(t *testing.T) {
			cred := credcheck.Credentials{User: h.Account.User, Password: h.Account.Password}
			p, err := smbprobe.New(smbprobe.Options{Checks: []string{smbprobe.CheckAutorun}, Credentials: &cred, ReadTimeout: 3 * time.Second})
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
			defer cancel()
			res := probeAddr(ctx, t, p, h.AddrPort())
			if len(res.Findings) != 1 {
				t.Fatalf("findings %+v", res.Findings)
			}
			f := res.Findings[0]
			if string(f.Verdict) != string(h.RegTruth) || f.Rule != wantRule[h.Personality] || f.Class != smbprobe.ClassCredentialed || len(f.Evidence) == 0 {
				t.Errorf("got %s %s (%s), want %s %s\n%s", f.Verdict, f.Rule, f.Reason, h.RegTruth, wantRule[h.Personality], dump(t, res))
			}
			t.Logf("%s %s: %s", f.Verdict, f.Rule, f.Reason)
			calls := 0
			for _, e := range res.Exchanges {
				if !strings.HasPrefix(e.Step, "winreg.") || e.Step == "winreg.connect" {
					continue
				}
				calls++
				ok := false
				for _, op := range []string{"OpenLocalMachine", "BaseRegOpenKey", "BaseRegQueryValue", "BaseRegCloseKey"} {
					ok = ok || e.Step == "winreg."+op
				}
				if _, err := hex.DecodeString(e.SentHex); !ok || err != nil || e.SentHex == "" {
					t.Errorf("winreg exchange %+v", e)
				}
			}
			if f.Verdict != smbprobe.Unknown && calls < 8 {
				t.Errorf("only %d winreg calls recorded", calls)
			}
			reg := res.Fingerprint.Registry
			switch h.Personality {
			case "xp-sp3-patched":
				if reg == nil || reg.CSDVersion != "Service Pack 3" || reg.CurrentBuildNumber != "2600" || !strings.HasPrefix(reg.KB958644, "registered") ||
					!strings.Contains(res.Fingerprint.OS, "Service Pack 3") || res.Fingerprint.OSEvidence[0].Source != smbprobe.SignalRegistry || !res.Fingerprint.OSEvidence[0].Credible {
					t.Errorf("OS record: %+v, OS %q, evidence %+v", reg, res.Fingerprint.OS, res.Fingerprint.OSEvidence)
				}
			case "vista-sp1", "w2008-sp2":
				if reg != nil {
					t.Errorf("a registry record from a registry that could not be read: %+v", reg)
				}
			}
		})
	}
	// The KB958644 registration is a hint next to the file version, never the verdict: XP SP3
	// patched (both agree) and xp-no-browser (registered, but the file is unpatched: vulnerable).
	hinted := 0
	for _, h := range lab.Hosts() {
		if h.Personality != "xp-sp3-patched" && h.Personality != "xp-no-browser" {
			continue
		}
		hinted++
		cred := credcheck.Credentials{User: h.Account.User, Password: h.Account.Password}
		p, err := smbprobe.New(smbprobe.Options{Checks: smbprobe.WithCredentialed([]string{smbprobe.CheckMS08067}), Credentials: &cred, ReadTimeout: 3 * time.Second})
		if err != nil {
			t.Fatal(err)
		}
		res := probeAddr(context.Background(), t, p, h.AddrPort())
		f := findingOf(t, res, smbprobe.CheckMS08067)
		if string(f.Verdict) != string(h.CredTruth) || !strings.Contains(f.Reason, `registry hint (not used for the verdict): KB958644 registered at HKLM\SOFTWARE\Microsoft\Updates\Windows XP\SP4\KB958644`) {
			t.Errorf("ms08-067 with the registry hint: %s %q", f.Verdict, f.Reason)
		}
		if a := findingOf(t, res, smbprobe.CheckAutorun); string(a.Verdict) != string(h.RegTruth) {
			t.Errorf("autorun next to ms08-067: %s", a.Verdict)
		}
	}
	if n != len(wantRule) {
		t.Errorf("%d personalities serve a registry, want %d", n, len(wantRule))
	}
	if hinted != 2 {
		t.Errorf("%d hosts checked for the KB958644 hint, want 2", hinted)
	}
	// A refused logon is not repeated: with a wrong password the netapi32.dll read fails its
	// logon, and the registry read does not try again (one failed logon per host, not two).
	for _, h := range lab.Hosts() {
		if h.Personality != "xp-sp3-patched" {
			continue
		}
		cred := credcheck.Credentials{User: h.Account.User, Password: h.Account.Password + "x"}
		p, err := smbprobe.New(smbprobe.Options{Checks: smbprobe.WithCredentialed([]string{smbprobe.CheckMS08067}), Credentials: &cred, ReadTimeout: 3 * time.Second})
		if err != nil {
			t.Fatal(err)
		}
		res := probeAddr(context.Background(), t, p, h.AddrPort())
		f := findingOf(t, res, smbprobe.CheckAutorun)
		logons := 0
		for _, e := range res.Exchanges {
			if e.Step == "winreg.connect" {
				logons++
			}
		}
		if f.Verdict != smbprobe.Unknown || f.Rule != "autorun-enabled/6a.logon" || !strings.Contains(f.Reason, "not repeated") || logons != 0 {
			t.Errorf("wrong password: %s %s %q, %d registry logons", f.Verdict, f.Rule, f.Reason, logons)
		}
	}
	// Without credentials the check cannot run, and says so.
	p, err := smbprobe.New(smbprobe.Options{Checks: []string{smbprobe.CheckAutorun}, ReadTimeout: 3 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	h := lab.Hosts()[0]
	res := probeAddr(context.Background(), t, p, h.AddrPort())
	if f := res.Findings[0]; f.Verdict != smbprobe.Unknown || !strings.Contains(f.Reason, "--user") {
		t.Errorf("no credentials: %s %q", f.Verdict, f.Reason)
	}
	if c := lab.Crashes(); len(c) != 0 {
		t.Fatalf("crashes: %v", c)
	}
}

// BenchmarkLabRegistryRead is the cost of the credentialed registry read on one lab host:
// the autorun-enabled check alone (logon, \winreg, bind, the reads), over SMB1 (XP) and SMB2
// (Vista). It reports round trips and connections per probe next to the time.
func BenchmarkLabRegistryRead(b *testing.B) {
	var crash syncBuffer
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	lab, err := smblab.Start(ctx, smblab.Options{First: netip.MustParseAddr("127.3.5.128"), CrashLog: &crash, IdleTimeout: 10 * time.Second})
	if err != nil {
		b.Fatal(err)
	}
	defer lab.Close()
	// The safe checks without P2P (its ports are loopback refusals here), with the account:
	// "credentialed" is what a --user scan ran before the registry check, "with-registry" adds it.
	var safe []string
	for _, id := range smbprobe.DefaultChecks() {
		if id != smbprobe.CheckConfickerP2P {
			safe = append(safe, id)
		}
	}
	sets := []struct {
		name   string
		checks []string
	}{
		{"autorun-only", []string{smbprobe.CheckAutorun}},
		{"credentialed", safe},
		{"with-registry", smbprobe.WithCredentialed(safe)},
	}
	for _, name := range []string{"xp-sp3-patched", "vista-sp1-ldr-patched"} {
		for _, h := range lab.Hosts() {
			if h.Personality != name {
				continue
			}
			for _, set := range sets {
				b.Run(name+"/"+set.name, func(b *testing.B) {
					cred := credcheck.Credentials{User: h.Account.User, Password: h.Account.Password}
					p, err := smbprobe.New(smbprobe.Options{Checks: set.checks, Credentials: &cred, ReadTimeout: 3 * time.Second})
					if err != nil {
						b.Fatal(err)
					}
					var rt, conns int
					for i := 0; i < b.N; i++ {
						res := probeAddr(ctx, b, p, h.AddrPort())
						if set.name != "credentialed" && string(autorunOf(b, res).Verdict) != string(h.RegTruth) {
							b.Fatalf("verdict %s", autorunOf(b, res).Verdict)
						}
						rt += res.RoundTrips
						conns += res.Connections
					}
					b.ReportMetric(float64(rt)/float64(b.N), "roundtrips/op")
					b.ReportMetric(float64(conns)/float64(b.N), "conns/op")
				})
			}
		}
	}
}

func autorunOf(tb testing.TB, res *smbprobe.Result) smbprobe.Finding {
	tb.Helper()
	for _, f := range res.Findings {
		if f.Check == smbprobe.CheckAutorun {
			return f
		}
	}
	tb.Fatalf("no %s finding", smbprobe.CheckAutorun)
	return smbprobe.Finding{}
}
