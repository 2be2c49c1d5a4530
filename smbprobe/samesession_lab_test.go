package smbprobe_test

import (
	"context"
	"net"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/scan445/scan445/smbprobe"
	"github.com/scan445/scan445/smbprobe/credcheck"
)

// probeCounting is probeAddr that also counts, on the dialer side (not the prober's own
// count), the TCP connections the probe opened.
func probeCounting(ctx context.Context, t *testing.T, p *smbprobe.Prober, ap netip.AddrPort) (*smbprobe.Result, int) {
	t.Helper()
	if !ap.Addr().IsLoopback() {
		t.Fatalf("refusing non-loopback %s", ap)
	}
	var d net.Dialer
	dials := 0
	dial := func(ctx context.Context, network, addr string) (net.Conn, error) {
		dials++
		return d.DialContext(ctx, network, addr)
	}
	conn, err := dial(ctx, "tcp", ap.String())
	if err != nil {
		t.Fatalf("dial %s: %v", ap, err)
	}
	return p.Probe(ctx, ap, conn, dial), dials
}

// TestLabRegistrySameSession holds the registry read to issue #15's "over the same
// authenticated session as the netapi32 read": on every lab host that serves a registry, a
// probe with ms08-067 and autorun-enabled opens exactly as many connections as the same probe
// without the registry read, the winreg.connect evidence names the netapi32.dll read's session
// and holds no second logon, and both verdicts are still the personality's truths. Hosts whose
// fingerprint clears them skip the netapi32.dll read; their registry read logs on by itself
// (one connection more). Both SMB families must have gone over a shared session.
func TestLabRegistrySameSession(t *testing.T) {
	var crash syncBuffer
	lab := startLab(t, "127.3.7.64", &crash)
	shared := map[string]bool{}
	for _, h := range lab.Hosts() {
		if h.RegTruth == "" {
			continue
		}
		t.Run(h.Personality, func(t *testing.T) {
			cred := credcheck.Credentials{User: h.Account.User, Password: h.Account.Password}
			probe := func(checks []string) (*smbprobe.Result, int) {
				p, err := smbprobe.New(smbprobe.Options{Checks: checks, Credentials: &cred, ReadTimeout: 3 * time.Second})
				if err != nil {
					t.Fatal(err)
				}
				ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
				defer cancel()
				return probeCounting(ctx, t, p, h.AddrPort())
			}
			_, alone := probe([]string{smbprobe.CheckMS08067})
			res, both := probe(smbprobe.WithCredentialed([]string{smbprobe.CheckMS08067}))
			if f := findingOf(t, res, smbprobe.CheckAutorun); string(f.Verdict) != string(h.RegTruth) {
				t.Errorf("autorun-enabled %s (%s), want %s", f.Verdict, f.Reason, h.RegTruth)
			}
			var read, connect *smbprobe.Exchange
			for i, e := range res.Exchanges {
				switch e.Step {
				case "credcheck.netapi32":
					read = &res.Exchanges[i]
				case "winreg.connect":
					connect = &res.Exchanges[i]
				}
			}
			if connect == nil {
				t.Fatalf("no winreg.connect exchange:\n%s", exchangeSteps(res))
			}
			if read == nil {
				if both != alone+1 || strings.Contains(connect.Request, "session of the credentialed") {
					t.Errorf("without the netapi32.dll read: %d connections (%d without the registry), request %q", both, alone, connect.Request)
				}
				return
			}
			if f := findingOf(t, res, smbprobe.CheckMS08067); string(f.Verdict) != string(h.CredTruth) {
				t.Errorf("ms08-067 %s (%s), want %s", f.Verdict, f.Reason, h.CredTruth)
			}
			if both != alone || res.Connections != both {
				t.Errorf("%d connections with the registry read (prober says %d), %d without: the registry read opened its own", both, res.Connections, alone)
			}
			if !strings.Contains(connect.Request, "session of the credentialed MS08-067 read") || strings.Contains(connect.Response, "session-setup") {
				t.Errorf("winreg.connect %q | %q", connect.Request, connect.Response)
			}
			shared[strings.SplitN(read.Request, " ", 2)[0]] = true
		})
	}
	if !shared["SMB1"] || !shared["SMB2"] {
		t.Errorf("shared sessions over %v, want SMB1 and SMB2", shared)
	}
	if c := lab.Crashes(); len(c) != 0 {
		t.Fatalf("crashes: %v", c)
	}
}
