package smbprobe_test

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/scan445/scan445/smbprobe"
	"github.com/scan445/scan445/smbprobe/credcheck"
	"github.com/scan445/scan445/smbprobe/netbios"
	"github.com/scan445/scan445/smbprobe/smblab"
)

// TestLabOverNetBIOS probes every well-behaved lab personality through port 139 (the lab's
// NetBIOS session service, at 127.0.139.x: root binds 139): the verdicts must be those of the
// truth table, and the first exchange must be a granted SESSION REQUEST. The XP SP2 host has
// 445 closed, as behind the XP SP2 firewall with file sharing on.
func TestLabOverNetBIOS(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	lab, err := smblab.Start(ctx, smblab.Options{First: netip.MustParseAddr("127.0.139.1"), Port: 445,
		NetBIOSPort: 139, NetBIOSOnly: map[string]bool{"xp-sp2": true}, IdleTimeout: 10 * time.Second})
	if err != nil {
		t.Skipf("lab on 139 (needs root): %v", err)
	}
	defer lab.Close()
	p, err := smbprobe.New(smbprobe.Options{ReadTimeout: 1500 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	sawClosed := false
	for _, h := range lab.Hosts() {
		if h.Hostile {
			continue
		}
		t.Run(h.Personality, func(t *testing.T) {
			if h.Personality == "xp-sp2" {
				sawClosed = true
				if h.Port != 0 {
					t.Errorf("NetBIOS-only host reports port %d", h.Port)
				}
				if c, err := net.DialTimeout("tcp", netip.AddrPortFrom(h.Addr, 445).String(), time.Second); err == nil {
					c.Close()
					t.Errorf("NetBIOS-only host accepts on 445")
				}
			}
			pers, _ := lab.Personality(h.Addr)
			pctx, pcancel := context.WithTimeout(ctx, 10*time.Second)
			defer pcancel()
			res := probeAddr(pctx, t, p, netip.AddrPortFrom(h.Addr, uint16(h.NetBIOSPort)))
			if len(res.Exchanges) == 0 || res.Exchanges[0].Step != "nbss.session-request" ||
				res.Exchanges[0].Status != "positive session response" {
				t.Fatalf("first exchange is not a granted session request: %s", dump(t, res))
			}
			for _, f := range res.Findings {
				if !pers.Accepts(f.Check, smblab.Verdict(f.Verdict)) {
					t.Errorf("%s: got %s (%s: %s), want %s", f.Check, f.Verdict, f.Rule, f.Reason, h.Truth[f.Check])
				}
			}
		})
	}
	if !sawClosed {
		t.Fatal("no xp-sp2 host in the lab")
	}
	// The credentialed check opens its own connection: over 139 it too must start with a
	// session request, for SMB1 (our client) and SMB2 (go-smb2) hosts alike.
	creds := 0
	for _, h := range lab.Hosts() {
		if h.Account == nil || h.CredTruth == "" || h.Truth[smbprobe.CheckMS08067] == smblab.NotAffected {
			continue
		}
		creds++
		cred := credcheck.Credentials{User: h.Account.User, Password: h.Account.Password}
		pc, err := smbprobe.New(smbprobe.Options{Checks: []string{smbprobe.CheckMS08067}, Credentials: &cred, ReadTimeout: 3 * time.Second})
		if err != nil {
			t.Fatal(err)
		}
		res := probeAddr(ctx, t, pc, netip.AddrPortFrom(h.Addr, uint16(h.NetBIOSPort)))
		if len(res.Findings) != 1 || string(res.Findings[0].Verdict) != string(h.CredTruth) || res.Findings[0].Class != smbprobe.ClassCredentialed {
			t.Errorf("%s: credentialed over 139: %s", h.Personality, dump(t, res))
		}
	}
	if creds == 0 {
		t.Error("no credentialed lab host")
	}
	// A wrong called name is refused by the lab's session service; the transport then tries
	// the computer name on a new connection through the engine's dialer.
	for _, h := range lab.Hosts() {
		if h.Personality != "xp-sp2" {
			continue
		}
		p2, err := smbprobe.New(smbprobe.Options{ReadTimeout: 1500 * time.Millisecond,
			Checks: []string{smbprobe.CheckSMBv1}, Transport: smbprobe.NBSS{Names: []string{"NOT-THIS-HOST", "xpsp2"}}})
		if err != nil {
			t.Fatal(err)
		}
		res := probeAddr(ctx, t, p2, netip.AddrPortFrom(h.Addr, uint16(h.NetBIOSPort)))
		if len(res.Exchanges) < 3 || res.Exchanges[0].Status != "negative session response: called name not present" ||
			res.Exchanges[1].Status != "positive session response" || res.Connections != 2 {
			t.Fatalf("wrong-name fallback: %s", dump(t, res))
		}
		if len(res.Findings) != 1 || res.Findings[0].Verdict != smbprobe.Verdict(h.Truth[smbprobe.CheckSMBv1]) {
			t.Fatalf("smbv1 over 139 after a refused name: %s", dump(t, res))
		}
	}
}

// nbssServer answers each SESSION REQUEST with the next scripted reply (raw bytes, nil: say
// nothing) and records the called names. It listens at 127.0.139.200-ish with a free port.
type nbssServer struct {
	ln     net.Listener
	called chan string
}

func startNBSS(t *testing.T, ap netip.AddrPort, replies ...[]byte) *nbssServer {
	t.Helper()
	ln, err := net.Listen("tcp4", ap.String())
	if err != nil {
		t.Fatal(err)
	}
	s := &nbssServer{ln: ln, called: make(chan string, 16)}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for i := 0; ; i++ {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func(c net.Conn, reply []byte) {
				defer c.Close()
				c.SetDeadline(time.Now().Add(5 * time.Second))
				_, payload, err := netbios.ReadFrame(c, 1024)
				if err != nil {
					return
				}
				called, _, _ := netbios.DecodeSessionRequest(payload)
				s.called <- called
				if reply == nil {
					time.Sleep(3 * time.Second)
					return
				}
				c.Write(reply)
				// Hold the connection like a server waiting for SMB after a positive reply.
				buf := make([]byte, 1)
				c.Read(buf)
			}(c, replies[min(i, len(replies)-1)])
		}
	}()
	return s
}

func (s *nbssServer) addrPort() netip.AddrPort {
	return s.ln.Addr().(*net.TCPAddr).AddrPort()
}

func (s *nbssServer) names() []string {
	var out []string
	for {
		select {
		case n := <-s.called:
			out = append(out, n)
		default:
			return out
		}
	}
}

func TestNBSSOpen(t *testing.T) {
	positive := []byte{0x82, 0, 0, 0}
	negative := []byte{0x83, 0, 0, 1, 0x82}
	retargetPort := func(ap netip.AddrPort) []byte {
		a := ap.Addr().As4()
		return []byte{0x84, 0, 0, 6, a[0], a[1], a[2], a[3], byte(ap.Port() >> 8), byte(ap.Port())}
	}
	other := netip.MustParseAddrPort("127.0.139.251:139")
	cases := []struct {
		name    string
		replies func(self netip.AddrPort) [][]byte
		names   []string
		wantErr error
		called  []string
	}{
		{"positive for *SMBSERVER", func(netip.AddrPort) [][]byte { return [][]byte{positive} }, nil, nil, []string{"*SMBSERVER"}},
		{"negative then host name", func(netip.AddrPort) [][]byte { return [][]byte{negative, positive} },
			[]string{"*SMBSERVER", "XPSP2"}, nil, []string{"*SMBSERVER", "XPSP2"}},
		{"every name refused", func(netip.AddrPort) [][]byte { return [][]byte{negative} },
			[]string{"*SMBSERVER", "XPSP2"}, smbprobe.ErrSessionRefused, []string{"*SMBSERVER", "XPSP2"}},
		{"retarget to another host refused", func(netip.AddrPort) [][]byte { return [][]byte{retargetPort(other)} },
			nil, smbprobe.ErrSessionRefused, []string{"*SMBSERVER"}},
		{"retarget to itself is bounded", func(self netip.AddrPort) [][]byte { return [][]byte{retargetPort(self)} },
			nil, smbprobe.ErrSessionRefused, []string{"*SMBSERVER", "*SMBSERVER", "*SMBSERVER", "*SMBSERVER"}},
		{"SMB instead of a session response", func(netip.AddrPort) [][]byte { return [][]byte{netbios.Frame([]byte("\xffSMB"))} },
			nil, smbprobe.ErrProtocol, []string{"*SMBSERVER"}},
		{"silent", func(netip.AddrPort) [][]byte { return [][]byte{nil} }, nil, smbprobe.ErrTimeout, []string{"*SMBSERVER"}},
	}
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			addr := netip.AddrFrom4([4]byte{127, 0, 139, byte(200 + i)}).String()
			// The script needs the server's own address (retarget to self): a fixed port
			// on an address only this test uses.
			self := netip.AddrPortFrom(netip.MustParseAddr(addr), 1139)
			s := startNBSS(t, self, tc.replies(self)...)
			var d net.Dialer
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			conn, err := d.DialContext(ctx, "tcp", s.addrPort().String())
			if err != nil {
				t.Fatal(err)
			}
			var attempts []string
			tr := smbprobe.NBSS{Names: tc.names, OnAttempt: func(called, outcome string, _ time.Duration) {
				attempts = append(attempts, called+": "+outcome)
			}}
			got, err := tr.Open(ctx, conn, s.addrPort(), d.DialContext, 500*time.Millisecond)
			if tc.wantErr == nil && err != nil || tc.wantErr != nil && !errors.Is(err, tc.wantErr) {
				t.Fatalf("Open: %v, want %v (attempts %q)", err, tc.wantErr, attempts)
			}
			if got != nil {
				got.Close()
			}
			time.Sleep(20 * time.Millisecond)
			if names := s.names(); strings.Join(names, ",") != strings.Join(tc.called, ",") {
				t.Errorf("called names %q, want %q", names, tc.called)
			}
			if len(attempts) != len(tc.called) {
				t.Errorf("attempts %q, want %d", attempts, len(tc.called))
			}
		})
	}
}
