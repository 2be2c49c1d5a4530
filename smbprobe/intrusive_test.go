package smbprobe_test

import (
	"bytes"
	"context"
	"github.com/scan445/scan445/smbprobe/internal/utf16le"
	"io"
	"net"
	"net/netip"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/scan445/scan445/smbprobe"
	"github.com/scan445/scan445/smbprobe/credcheck"
	"github.com/scan445/scan445/smbprobe/netapi"
	"github.com/scan445/scan445/smbprobe/smblab"
)

// intrusiveMarker is a run of the §3c path as it travels: UTF-16LE "AAAAAAAA". No safe request
// carries it.
var intrusiveMarker = utf16le.Encode(strings.Repeat("A", 8))

// isPeekNamedPipe spots the MS17-010 request in one NetBIOS frame: SMB1 TRANSACTION (0x25)
// with setup word 0x0023 (NetBIOS 4 + SMB header 32 + WordCount 1 + 14 parameter words).
func isPeekNamedPipe(frame []byte) bool {
	return len(frame) > 67 && bytes.Equal(frame[4:8], []byte("\xffSMB")) && frame[8] == 0x25 && frame[65] == 0x23 && frame[66] == 0
}

// faultyConn misbehaves on one kind of request: it fails the write (the request never
// leaves), swallows it (the host never answers), or breaks the connection after it.
type faultyConn struct {
	net.Conn
	match  func([]byte) bool
	mode   string // "fail-write", "swallow", "break-after"
	mu     sync.Mutex
	broken bool
	hits   int
}

func (c *faultyConn) Write(b []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.broken {
		return 0, syscall.EPIPE
	}
	if c.match(b) {
		c.hits++
		switch c.mode {
		case "fail-write":
			c.broken = true
			return 0, syscall.EPIPE
		case "swallow":
			return len(b), nil
		case "break-after":
			n, err := c.Conn.Write(b)
			c.broken = true
			return n, err
		}
	}
	return c.Conn.Write(b)
}

func (c *faultyConn) Read(b []byte) (int, error) {
	c.mu.Lock()
	broken := c.broken
	c.mu.Unlock()
	if broken {
		return 0, io.EOF
	}
	return c.Conn.Read(b)
}

func (c *faultyConn) Hits() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.hits
}

// labHost starts a lab of the given personalities and returns the first host.
func labHost(t *testing.T, first string, crash *syncBuffer, ps ...smblab.Personality) smblab.Host {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	lab, err := smblab.Start(ctx, smblab.Options{First: netip.MustParseAddr(first), Personalities: ps, CrashLog: crash, IdleTimeout: 10 * time.Second, CrashDowntime: 2 * time.Second})
	if err != nil {
		t.Fatalf("smblab.Start: %v", err)
	}
	t.Cleanup(func() { lab.Close() })
	return lab.Hosts()[0]
}

func personality(t *testing.T, name string) smblab.Personality {
	t.Helper()
	for _, p := range smblab.DefaultPersonalities() {
		if p.Name == name {
			return p
		}
	}
	t.Fatalf("no personality %s", name)
	return smblab.Personality{}
}

// TestIntrusiveFailuresNeverWeakenOrInvent: "sent" means written; a probe that was not
// written, got no answer in time, or met a connection an earlier step had broken leaves the
// safe verdict (exposed) in place and never reads as "may have crashed".
func TestIntrusiveFailuresNeverWeakenOrInvent(t *testing.T) {
	tests := []struct {
		name, first string
		match       func([]byte) bool
		mode        string
		checks      []string
		reason      string // in the ms08-067 reason
	}{
		{"write fails", "127.44.7.1", func(b []byte) bool { return bytes.Contains(b, intrusiveMarker) }, "fail-write",
			[]string{smbprobe.CheckMS08067}, "intrusive probe: not sent (the request could not be written"},
		{"no reply in time", "127.44.7.2", func(b []byte) bool { return bytes.Contains(b, intrusiveMarker) }, "swallow",
			[]string{smbprobe.CheckMS08067}, "intrusive probe: no usable answer"},
		{"dead after MS17-010", "127.44.7.3", isPeekNamedPipe, "break-after",
			[]string{smbprobe.CheckMS08067, smbprobe.CheckMS17010}, "intrusive probe: not sent (the connection no longer carries requests"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var crash syncBuffer
			h := labHost(t, tt.first, &crash, personality(t, "xp-sp2"))
			p, err := smbprobe.New(smbprobe.Options{ReadTimeout: 700 * time.Millisecond, Intrusive: true, Checks: tt.checks})
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			var fc *faultyConn
			dial := func(ctx context.Context, network, addr string) (net.Conn, error) {
				var d net.Dialer
				c, err := d.DialContext(ctx, network, addr)
				if err != nil {
					return nil, err
				}
				fc = &faultyConn{Conn: c, match: tt.match, mode: tt.mode}
				return fc, nil
			}
			conn, err := dial(ctx, "tcp", h.AddrPort().String())
			if err != nil {
				t.Fatal(err)
			}
			res := p.Probe(ctx, h.AddrPort(), conn, dial)
			if fc.Hits() == 0 {
				t.Fatal("the faulty request never came: the test proves nothing")
			}
			f := findingOf(t, res, smbprobe.CheckMS08067)
			if f.Verdict != smbprobe.Exposed || f.Class != smbprobe.ClassSafe || !strings.Contains(f.Reason, tt.reason) {
				t.Errorf("got %s (%s) %s: %s; want the safe exposed with %q", f.Verdict, f.Class, f.Rule, f.Reason, tt.reason)
			}
			if strings.Contains(f.Reason, "crashed") {
				t.Errorf("reads as a crash: %s", f.Reason)
			}
			if crash.String() != "" {
				t.Errorf("the lab logged a crash: %s", crash.String())
			}
		})
	}
}

// TestIntrusiveAfterCredentialed: with credentials, the netapi32.dll read runs first, and when
// it decides, the crash-prone probe is never sent.
func TestIntrusiveAfterCredentialed(t *testing.T) {
	var crash syncBuffer
	xp := personality(t, "xp-sp2")
	xp.Name = "xp-sp2-with-admin"
	xp.Account = &smblab.Account{User: "labadmin", Password: "Lab-Passw0rd!"}
	xp.Netapi32, xp.CredTruth = netapi.FileVersion{Major: 5, Minor: 1, Build: 2600, Revision: 3000}, smblab.Vulnerable
	h := labHost(t, "127.44.7.4", &crash, xp)
	cred := credcheck.Credentials{User: xp.Account.User, Password: xp.Account.Password}
	p, err := smbprobe.New(smbprobe.Options{ReadTimeout: 2 * time.Second, Intrusive: true, Credentials: &cred, Checks: []string{smbprobe.CheckMS08067}})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	res := probeAddr(ctx, t, p, h.AddrPort())
	f := findingOf(t, res, smbprobe.CheckMS08067)
	if f.Verdict != smbprobe.Vulnerable || f.Class != smbprobe.ClassCredentialed {
		t.Errorf("got %s (%s): %s", f.Verdict, f.Class, f.Reason)
	}
	for _, e := range res.Exchanges {
		if e.Class == smbprobe.ClassIntrusive {
			t.Errorf("intrusive exchange after a deciding credentialed read: %+v", e)
		}
	}
	if crash.String() != "" {
		t.Errorf("the lab logged a crash: %s", crash.String())
	}
}

// TestNullSessionInFingerprint: the fingerprint says whether an anonymous logon was accepted,
// and says nothing (nil) when none was attempted.
func TestNullSessionInFingerprint(t *testing.T) {
	for _, tc := range []struct {
		name, first string
		want        *bool
	}{
		{"xp-sp2", "127.44.8.1", ptrTo(true)},
		{"hostile-silent", "127.44.8.2", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var crash syncBuffer
			h := labHost(t, tc.first, &crash, personality(t, tc.name))
			p, err := smbprobe.New(smbprobe.Options{ReadTimeout: 500 * time.Millisecond, Checks: []string{smbprobe.CheckNullSession}})
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			got := probeAddr(ctx, t, p, h.AddrPort()).Fingerprint.NullSession
			if (got == nil) != (tc.want == nil) || got != nil && *got != *tc.want {
				t.Errorf("NullSession %v, want %v", got, tc.want)
			}
		})
	}
}

func ptrTo[T any](v T) *T { return &v }
