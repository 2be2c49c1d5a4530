package smbprobe_test

import (
	"context"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/scan445/scan445/internal/ms08model/wirecheck"
	"github.com/scan445/scan445/smbprobe"
	"github.com/scan445/scan445/smbprobe/credcheck"
	"github.com/scan445/scan445/smbprobe/smblab"
)

// The wire-level safety test does not trust the request plan, the safety gate or the
// project's encoders: it records every byte the prober writes to every connection (the
// engine's conn and every redial) and has internal/ms08model/wirecheck — its own NetBIOS, SMB1,
// SMB2 and DCE/RPC reading, and a model of the vulnerable routine written apart from the gate —
// decide whether any string that went out would reach the MS08-067 overflow.

// tap records what is written to one connection.
type tap struct {
	net.Conn
	network, address string

	mu   sync.Mutex
	sent []byte
}

// Write records all of b, sent or not: what the prober tried to send is what is judged.
func (c *tap) Write(b []byte) (int, error) {
	c.mu.Lock()
	c.sent = append(c.sent, b...)
	c.mu.Unlock()
	return c.Conn.Write(b)
}

func (c *tap) bytes() []byte {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]byte(nil), c.sent...)
}

// recorder hands out tapped loopback connections and keeps them.
type recorder struct {
	mu    sync.Mutex
	conns []*tap
}

func (r *recorder) dial(ctx context.Context, network, address string) (net.Conn, error) {
	ap, err := netip.ParseAddrPort(address)
	if err != nil || !ap.Addr().IsLoopback() {
		return nil, &net.AddrError{Err: "the wire-safety test dials loopback only", Addr: address}
	}
	var d net.Dialer
	c, err := d.DialContext(ctx, network, address)
	if err != nil {
		return nil, err
	}
	t := &tap{Conn: c, network: network, address: address}
	r.mu.Lock()
	r.conns = append(r.conns, t)
	r.mu.Unlock()
	return t, nil
}

// streams returns the SMB connections' bytes (TCP to the host's SMB port) and counts the
// others (the Conficker P2P probe's, which carry no SMB).
func (r *recorder) streams(smb netip.AddrPort, label string) (out []wirecheck.Stream, others int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for i, c := range r.conns {
		if (c.network == "tcp" || c.network == "tcp4") && c.address == smb.String() {
			out = append(out, wirecheck.Stream{Label: label + " conn " + strconv.Itoa(i), Data: c.bytes()})
		} else {
			others++
		}
	}
	return out, others
}

// wireScan probes h with opts through a recorder and checks everything written to its SMB port.
func wireScan(t *testing.T, p *smbprobe.Prober, h smblab.Host, label string) wirecheck.Report {
	t.Helper()
	var rec recorder
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	conn, err := rec.dial(ctx, "tcp", h.AddrPort().String())
	if err != nil {
		t.Fatalf("dial %s: %v", h.AddrPort(), err)
	}
	if res := p.Probe(ctx, h.AddrPort(), conn, rec.dial); res == nil {
		t.Fatal("Probe returned nil")
	}
	streams, others := rec.streams(h.AddrPort(), label)
	if len(streams) == 0 {
		t.Fatalf("%s: no SMB connection recorded", label)
	}
	rep := wirecheck.Check(streams)
	t.Logf("%s: %d SMB connections, %d others; %s", label, len(streams), others, rep)
	return rep
}

// TestWireSafety: a full default scan of every lab personality, and a credentialed one of every
// personality with an account, must put no string on the wire that reaches the overflow; every
// byte must decode (what cannot be read cannot be vouched for); srvsvc requests must have been
// seen, so that the test cannot pass on nothing; and the lab must log no crash.
func TestWireSafety(t *testing.T) {
	var crash syncBuffer
	lab := startLab(t, "127.61.0.1", &crash)
	anon, err := smbprobe.New(smbprobe.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	srvsvcByOpnum := map[uint16]int{}
	winregByOpnum := map[uint16]int{}
	t.Run("hosts", func(t *testing.T) {
		for _, h := range lab.Hosts() {
			t.Run(h.Personality, func(t *testing.T) {
				t.Parallel()
				scans := []struct {
					label string
					p     *smbprobe.Prober
				}{{"default", anon}}
				if h.Account != nil {
					// With an account, the default selection gains the registry read (winreg bytes too).
					p, err := smbprobe.New(smbprobe.Options{Checks: smbprobe.WithCredentialed(smbprobe.DefaultChecks()), Credentials: &credcheck.Credentials{User: h.Account.User, Password: h.Account.Password}})
					if err != nil {
						t.Fatal(err)
					}
					scans = append(scans, struct {
						label string
						p     *smbprobe.Prober
					}{"credentialed", p})
				}
				for _, sc := range scans {
					rep := wireScan(t, sc.p, h, h.Personality+" "+sc.label)
					for _, pr := range rep.Problems {
						t.Errorf("%s: cannot inspect: %s", sc.label, pr)
					}
					for _, r := range rep.Reaching() {
						t.Errorf("%s: SAFETY: %s opnum %d call %d (interface %s) carries overflow-reaching %q", sc.label, r.Stream, r.Opnum, r.CallID, r.Interface, r.Reaching)
					}
					mu.Lock()
					for op, n := range rep.SrvsvcRequests() {
						srvsvcByOpnum[op] += n
					}
					for _, q := range rep.Requests {
						if strings.HasPrefix(q.Interface, "338cd001-2244-31f1-aaaa-900038001003") {
							winregByOpnum[q.Opnum]++
						}
					}
					mu.Unlock()
				}
			})
		}
	})
	t.Logf("srvsvc requests seen, by opnum: %v; winreg: %v", srvsvcByOpnum, winregByOpnum)
	for op := range winregByOpnum {
		if op != 2 && op != 5 && op != 15 && op != 17 {
			t.Errorf("winreg opnum %d went out: only the four read-only calls may", op)
		}
	}
	if len(winregByOpnum) != 4 {
		t.Errorf("winreg requests by opnum %v: the registry read was not seen on the wire", winregByOpnum)
	}
	if len(srvsvcByOpnum) == 0 {
		t.Error("no srvsvc request was seen on the wire: the test proves nothing")
	}
	if c := crash.String(); c != "" {
		t.Errorf("the lab logged crashes:\n%s", c)
	}
}

// TestWireSafetyCatchesIntrusive is the negative control: with Intrusive the prober sends the
// §3c probe, and the wire check must flag it on every unpatched host it reaches (the hosts
// nmap's probe crashes).
func TestWireSafetyCatchesIntrusive(t *testing.T) {
	var crash syncBuffer
	lab := startLab(t, "127.61.1.1", &crash)
	p, err := smbprobe.New(smbprobe.Options{Intrusive: true})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	t.Run("hosts", func(t *testing.T) {
		for _, h := range lab.Hosts() {
			if !h.Nmap.MS08Crash {
				continue
			}
			n++
			t.Run(h.Personality, func(t *testing.T) {
				t.Parallel()
				rep := wireScan(t, p, h, h.Personality+" intrusive")
				flagged := rep.Reaching()
				if len(flagged) == 0 {
					t.Fatalf("the intrusive probe went out unflagged: %s", rep)
				}
				for _, r := range flagged {
					if !r.Srvsvc() || r.Opnum != 32 {
						t.Errorf("flagged %s opnum %d (interface %s), want srvsvc NetprPathCompare", r.Stream, r.Opnum, r.Interface)
					}
				}
			})
		}
	})
	if n == 0 {
		t.Fatal("no lab personality is crashed by nmap's probe: the control proves nothing")
	}
}
