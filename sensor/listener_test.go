package sensor

import (
	"context"
	"encoding/hex"
	"net"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/scan445/scan445/report"
	"github.com/scan445/scan445/smbprobe/netbios"
	"github.com/scan445/scan445/smbprobe/srvsvc"
)

// The exploit paths the infected client sends, from internal/ms08model's test vectors:
// Metasploit's and a Conficker-like one (a long run of filler, two collapses, then code).
var (
	exploitMetasploit = `\R7\..\..\R7`
	exploitConficker  = `\` + strings.Repeat("A", 60) + `\..\..\` + "\u9090\u9090\ueb16"
)

// startSensor listens on n consecutive addresses from 127.3.3.10 (port 0 each), all dark.
func startSensor(t *testing.T, n int, opts ListenerOptions) (*Listener, *Tracker, *eventLog) {
	t.Helper()
	ev := &eventLog{}
	tr := NewTracker(TrackerOptions{Dark: []netip.Prefix{netip.MustParsePrefix("127.3.3.0/28")}, OnEvent: ev.add})
	opts.Tracker = tr
	a := netip.MustParseAddr("127.3.3.10")
	for i := 0; i < n; i++ {
		opts.Endpoints = append(opts.Endpoints, Endpoint{Addr: netip.AddrPortFrom(a, 0)})
		a = a.Next()
	}
	l, err := Listen(context.Background(), opts)
	if err != nil {
		t.Skipf("cannot listen on 127.3.3.x: %v", err)
	}
	t.Cleanup(func() { l.Close() })
	return l, tr, ev
}

type eventLog struct {
	mu sync.Mutex
	ev []Event
}

func (e *eventLog) add(ev Event) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.ev = append(e.ev, ev)
}

func (e *eventLog) bySource() map[string][]string {
	e.mu.Lock()
	defer e.mu.Unlock()
	out := map[string][]string{}
	for _, ev := range e.ev {
		out[ev.Source.String()] = append(out[ev.Source.String()], ev.Check)
	}
	return out
}

// TestListenerInfectedAndOrdinary: an infected client (connects to three sensor addresses,
// then sends the MS08-067 exploit paths over a null session) is reported with both findings
// and its path bytes; an ordinary client (one SMB session, a benign NetprPathCanonicalize) is
// not reported at all.
func TestListenerInfectedAndOrdinary(t *testing.T) {
	l, tr, ev := startSensor(t, 3, ListenerOptions{IdleTimeout: 2 * time.Second})
	eps := l.Endpoints()

	// Ordinary client: one session, a path a patched or clean host canonicalises.
	ord := dialScript(t, "127.3.3.101", eps[0].Addr.String())
	ord.session("srvsvc")
	if st, err := ord.call(srvsvc.PathCanonicalizeRequest{PathName: `\docs\report.txt`, OutbufLen: 1000, Prefix: ``, PathType: 1}); err != nil || st != 0 {
		t.Errorf("benign NetprPathCanonicalize: 0x%x %v", st, err)
	}

	// Infected client: probes every sensor address, then attacks the first.
	for _, ep := range eps[1:] {
		c, err := net.DialTCP("tcp4", &net.TCPAddr{IP: net.ParseIP("127.3.3.100")}, net.TCPAddrFromAddrPort(ep.Addr))
		if err != nil {
			t.Fatal(err)
		}
		c.Close()
	}
	inf := dialScript(t, "127.3.3.100", eps[0].Addr.String())
	inf.session("browser")
	for _, req := range []srvsvc.Request{
		srvsvc.PathCanonicalizeRequest{PathName: exploitConficker, OutbufLen: 1000, Prefix: `\`, PathType: 1},
		srvsvc.PathCompareRequest{PathName1: `\` + strings.Repeat("A", 39) + `\..\n`, PathName2: `\n`, PathType: 1},
		srvsvc.PathCanonicalizeRequest{PathName: exploitMetasploit, OutbufLen: 1000, Prefix: `\`, PathType: 1},
	} {
		st, err := inf.call(req)
		if err != nil || st != uint32(srvsvc.WerrInvalidName) {
			t.Errorf("%T: 0x%x %v, want WERR_INVALID_NAME (a patched host's answer)", req, st, err)
		}
	}
	// The sensor survived its own "exploit": the same connection still answers.
	if _, err := inf.call(srvsvc.ServerGetInfoRequest{Level: 101}); err != nil {
		t.Errorf("after the exploit: %v", err)
	}
	inf.c.Close()
	ord.c.Close()

	doc := waitDoc(t, tr, l, func(s Snapshot) bool { return len(s.Flagged) > 0 && s.Flagged[0].Exploits == 3 })
	if len(doc.Hosts) != 1 || doc.Hosts[0].Address != "127.3.3.100" {
		t.Fatalf("hosts %+v, want only the infected client", doc.Hosts)
	}
	fs := doc.Hosts[0].SMB.Findings
	got := map[string]string{}
	for _, f := range fs {
		got[f.Check] = string(f.Verdict)
	}
	if got[CheckScanning] != "infected" || got[CheckExploit] != "infected" || len(fs) != 2 {
		t.Fatalf("findings %+v, want both infected", fs)
	}
	wantHex := hex.EncodeToString(utf16le(exploitConficker))
	var sawHex bool
	for _, x := range doc.Hosts[0].SMB.Exchanges {
		sawHex = sawHex || x.SentHex == wantHex
	}
	if !sawHex {
		t.Errorf("no exchange carries the Conficker path bytes %s: %+v", wantHex, doc.Hosts[0].SMB.Exchanges)
	}
	if e := ev.bySource(); len(e["127.3.3.101"]) != 0 || len(e["127.3.3.100"]) != 4 {
		t.Errorf("events %v: want none for the ordinary client, scanning + 3 exploits for the infected one", e)
	}
	if doc.Sensor.Connections != 4 || doc.Sensor.Attempts != 4 || doc.Sensor.Refused != 0 {
		t.Errorf("sensor stats %+v", doc.Sensor)
	}
}

// TestListenerHostileClients: garbage, a huge frame length, a silent client, a connection
// flood from one source and a byte flood each end without taking the sensor down; an ordinary
// session works afterwards, and no hostile client is reported as infected by its noise alone.
func TestListenerHostileClients(t *testing.T) {
	l, tr, _ := startSensor(t, 1, ListenerOptions{IdleTimeout: 300 * time.Millisecond, MaxPerSource: 3, MaxBytes: 64 << 10, MaxConnTime: 2 * time.Second})
	to := net.TCPAddrFromAddrPort(l.Endpoints()[0].Addr)
	dial := func(from string) *net.TCPConn {
		c, err := net.DialTCP("tcp4", &net.TCPAddr{IP: net.ParseIP(from)}, to)
		if err != nil {
			t.Fatal(err)
		}
		c.SetDeadline(time.Now().Add(5 * time.Second))
		return c
	}
	closedSoon := func(name string, c net.Conn) {
		t.Helper()
		start := time.Now()
		buf := make([]byte, 4096)
		for {
			if _, err := c.Read(buf); err != nil {
				if time.Since(start) > 4*time.Second {
					t.Errorf("%s: connection held %s", name, time.Since(start))
				}
				return
			}
		}
	}
	cases := []struct {
		name string
		send func(c *net.TCPConn)
	}{
		{"garbage", func(c *net.TCPConn) { c.Write([]byte("GET / HTTP/1.0\r\n\r\n")) }},
		{"huge frame length", func(c *net.TCPConn) { c.Write([]byte{0x00, 0x01, 0xFF, 0xFF, 0xFF, 'S', 'M', 'B'}) }},
		{"truncated SMB1", func(c *net.TCPConn) { netbios.WriteFrame(c, []byte("\xffSMBr\x00")) }},
		{"silent", func(c *net.TCPConn) {}},
		{"byte flood", func(c *net.TCPConn) {
			// Legal frames of keep-alives would be read forever without the byte budget.
			chunk := make([]byte, 16<<10)
			for i := 0; i < len(chunk); i += 4 {
				chunk[i] = 0x85
			}
			for i := 0; i < 16; i++ {
				if _, err := c.Write(chunk); err != nil {
					return
				}
			}
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := dial("127.3.3.103")
			defer c.Close()
			tc.send(c)
			closedSoon(tc.name, c)
		})
	}
	// A connection flood from one source: past MaxPerSource the sensor resets at once.
	var held []*net.TCPConn
	for i := 0; i < 6; i++ {
		// A refused connect may already see the sensor's RST.
		if c, err := net.DialTCP("tcp4", &net.TCPAddr{IP: net.ParseIP("127.3.3.104")}, to); err == nil {
			held = append(held, c)
		}
	}
	time.Sleep(200 * time.Millisecond)
	for _, c := range held {
		c.Close()
	}
	// The sensor still serves an ordinary session.
	s := dialScript(t, "127.3.3.105", to.String())
	s.session("srvsvc")
	if _, err := s.call(srvsvc.ServerGetInfoRequest{Level: 101}); err != nil {
		t.Errorf("ordinary session after the hostile clients: %v", err)
	}
	doc := waitDoc(t, tr, l, func(s Snapshot) bool { return s.Attempts >= 12 })
	if len(doc.Hosts) != 0 {
		t.Errorf("hosts %+v, want none", doc.Hosts)
	}
	if doc.Sensor.Refused < 3 {
		t.Errorf("refused %d, want at least 3 of the flood", doc.Sensor.Refused)
	}
}

// waitDoc waits (bounded) until the tracker's snapshot satisfies ok, and returns the report.
func waitDoc(t *testing.T, tr *Tracker, l *Listener, ok func(Snapshot) bool) *reportDoc {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !ok(tr.Snapshot()) && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	acc, ref := l.Stats()
	return tr.Snapshot().Document(RunInfo{Started: t0, Finished: time.Now(), Complete: true, Connections: acc, Refused: ref})
}

func utf16le(s string) []byte {
	var b []byte
	for _, r := range s {
		b = append(b, byte(r), byte(r>>8))
	}
	return b
}

type reportDoc = report.Document
