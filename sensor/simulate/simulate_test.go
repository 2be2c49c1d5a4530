package simulate

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/scan445/scan445/internal/ms08model"
	"github.com/scan445/scan445/internal/testns"
	"github.com/scan445/scan445/internal/testpeer"
	"github.com/scan445/scan445/smbprobe/smblab"
	"github.com/scan445/scan445/smbprobe/srvsvc"
)

func TestCheckTargets(t *testing.T) {
	initial := Namespaces{Self: "net:[4026531840]", Init: "net:[4026531840]"}
	own := Namespaces{Self: "net:[4026532999]", Init: "net:[4026531840]"}
	unreadable := Namespaces{Self: "net:[4026532999]"}
	p := netip.MustParsePrefix
	ap := netip.MustParseAddrPort
	tests := []struct {
		name    string
		ranges  []netip.Prefix
		servers []netip.AddrPort
		ns      Namespaces
		ok      bool
	}{
		{"loopback range and server, initial namespace", []netip.Prefix{p("127.3.4.0/24")}, []netip.AddrPort{ap("127.3.4.1:445")}, initial, true},
		{"all of 127/8", []netip.Prefix{p("127.0.0.0/8")}, nil, initial, true},
		{"private range, initial namespace", []netip.Prefix{p("10.0.0.0/24")}, nil, initial, false},
		{"a range wider than 127/8", []netip.Prefix{p("126.0.0.0/7")}, nil, initial, false},
		{"one outside address among loopback ones", []netip.Prefix{p("127.3.4.0/24"), p("192.168.1.5/32")}, nil, initial, false},
		{"outside server, initial namespace", nil, []netip.AddrPort{ap("10.0.0.1:445")}, initial, false},
		{"IPv6 range, initial namespace", []netip.Prefix{p("::1/128")}, nil, initial, false},
		{"private range in a namespace of its own", []netip.Prefix{p("10.0.0.0/24")}, []netip.AddrPort{ap("10.0.0.1:445")}, own, true},
		{"private range, PID 1's namespace unreadable", []netip.Prefix{p("10.0.0.0/24")}, nil, unreadable, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := CheckTargets(tc.ranges, tc.servers, tc.ns)
			if (err == nil) != tc.ok || err != nil && !errors.Is(err, ErrUnsafeTarget) {
				t.Errorf("err = %v, want ok=%v", err, tc.ok)
			}
		})
	}
}

// TestRunRefusesBeforeSending: a non-loopback run from the initial namespace is refused
// before any host does anything.
func TestRunRefusesBeforeSending(t *testing.T) {
	initial := Namespaces{Self: "net:[1]", Init: "net:[1]"}
	called := false
	res, err := Run(context.Background(), Options{
		Scanners: 2, Clients: 1, Range: netip.MustParsePrefix("10.203.9.0/24"),
		Servers: []netip.AddrPort{netip.MustParseAddrPort("127.3.4.1:4445")}, Namespaces: &initial,
		OnEvent: func(Event) { called = true },
	})
	if !errors.Is(err, ErrUnsafeTarget) || !strings.Contains(err.Error(), "10.203.9.0/24") {
		t.Fatalf("err = %v, want ErrUnsafeTarget naming the range", err)
	}
	if called || res != (Result{}) {
		t.Errorf("something ran: %+v", res)
	}
	// First addresses count as targets too.
	_, err = Run(context.Background(), Options{
		Scanners: 1, Range: netip.MustParsePrefix("127.3.4.0/24"),
		First: []netip.Addr{netip.MustParseAddr("10.1.1.1")}, Namespaces: &initial,
	})
	if !errors.Is(err, ErrUnsafeTarget) {
		t.Errorf("a non-loopback First address: err = %v", err)
	}
}

// TestExploitStub: the simulator's own encoder says what srvsvc's decoder reads, its path
// reaches the overflow by the lab's model, and the scanner's gate refuses it.
func TestExploitStub(t *testing.T) {
	e := DefaultExploit()
	if got, want := EncodeExploitStub(e), testpeer.ReadHex(t, "testdata/exploit_stub.hex"); !bytes.Equal(got, want) {
		t.Errorf("stub differs from testdata/exploit_stub.hex:\n got %x\nwant %x", got, want)
	}
	req, err := srvsvc.DecodePathCanonicalizeRequest(EncodeExploitStub(e))
	if err != nil {
		t.Fatal(err)
	}
	if req.ServerName == nil || *req.ServerName != e.ServerName || req.PathName != e.PathName || req.OutbufLen != e.OutbufLen ||
		req.Prefix != e.Prefix || req.PathType != e.PathType || req.Flags != e.Flags {
		t.Errorf("decoded %+v, sent %+v", req, e)
	}
	if !ms08model.PathCanonicalizeReaches(e.Prefix, e.PathName) {
		t.Error("the model says the exploit path does not reach the overflow")
	}
	for _, s := range req.Paths() {
		if srvsvc.PathReachesOverflow(s) {
			return // the scanner's gate refuses the request
		}
	}
	t.Error("the scanner's gate would let the exploit path through")
}

func TestRandomAddr(t *testing.T) {
	r := newRand(1)
	p := netip.MustParsePrefix("10.203.9.0/24")
	seen := map[netip.Addr]bool{}
	for range 2000 {
		a := RandomAddr(r, p)
		if !p.Contains(a) {
			t.Fatalf("%s outside %s", a, p)
		}
		seen[a] = true
	}
	if len(seen) < 200 {
		t.Errorf("only %d distinct addresses of 256 in 2000 draws", len(seen))
	}
	if a := RandomAddr(r, netip.MustParsePrefix("10.1.2.3/32")); a != netip.MustParseAddr("10.1.2.3") {
		t.Errorf("/32: %s", a)
	}
}

// TestAgainstLab: one scanner attacks the lab's hosts on loopback; every unpatched host the
// exploit reaches logs a CRASH for NetprPathCanonicalize (the lab's model is independent of
// this package), patched and infected ones answer; an ordinary client's benign call succeeds
// and crashes nothing.
func TestAgainstLab(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	lab, err := smblab.Start(ctx, smblab.Options{First: netip.MustParseAddr("127.3.4.1"), Port: 4445, CrashDowntime: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	defer lab.Close()
	var first []netip.Addr
	var benignServer netip.AddrPort
	unpatched := map[netip.Addr]bool{}
	patched := map[netip.Addr]bool{}
	for _, h := range lab.Hosts() {
		if h.Hostile {
			continue
		}
		first = append(first, h.Addr)
		switch h.Personality {
		case "win2000-sp4", "xp-sp2", "w2003-sp2":
			unpatched[h.Addr] = true
		case "xp-sp3-patched", "w2003-sp2-patched":
			patched[h.Addr] = true
			if !benignServer.IsValid() {
				benignServer = h.AddrPort()
			}
		}
	}
	var mu sync.Mutex
	var events []Event
	runCtx, stop := context.WithTimeout(ctx, 3*time.Second)
	defer stop()
	res, err := Run(runCtx, Options{
		Scanners: 1, Clients: 1, Range: netip.MustParsePrefix("127.3.4.0/27"), First: first, Port: 4445,
		Rate: 50, Sources: []netip.Addr{netip.MustParseAddr("127.3.4.200"), netip.MustParseAddr("127.3.4.201")},
		Servers: []netip.AddrPort{benignServer}, Timeout: time.Second,
		OnEvent: func(e Event) { mu.Lock(); events = append(events, e); mu.Unlock() },
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("result %+v", res)
	crashed := map[netip.Addr]bool{}
	for _, c := range lab.Crashes() {
		crashed[c.Addr] = true
		if !strings.HasPrefix(c.Request, "NetprPathCanonicalize") {
			t.Errorf("crash by %q", c.Request)
		}
		if patched[c.Addr] {
			t.Errorf("patched %s crashed", c.Addr)
		}
	}
	for a := range unpatched {
		if !crashed[a] {
			t.Errorf("unpatched %s did not crash", a)
		}
	}
	if len(unpatched) != 3 || len(patched) != 2 {
		t.Errorf("lab map changed: %d unpatched, %d patched personalities found", len(unpatched), len(patched))
	}
	clientOK := false
	for _, e := range events {
		if e.Src == netip.MustParseAddr("127.3.4.201") && e.Kind == "client" && e.Outcome == "WERROR 0x00000000" {
			clientOK = true
		}
		if e.Kind != "client" && e.Src != netip.MustParseAddr("127.3.4.200") {
			t.Errorf("scanner event from %s", e.Src)
		}
	}
	if !clientOK {
		for _, e := range events {
			if e.Kind == "client" {
				t.Logf("client: %+v", e)
			}
		}
		t.Errorf("no successful client session: %+v", res)
	}
	if res.Exploits < int64(len(unpatched)) {
		t.Errorf("%d exploits for %d unpatched hosts", res.Exploits, len(unpatched))
	}
}

// nsChildEnv asks the test binary to report its namespaces (TestCurrentNamespaces).
const nsChildEnv = "SCAN445_SIMULATE_NS_CHILD"

// TestCurrentNamespaces: this test process is not isolated (it runs where it was started);
// the same binary under `ip netns exec` is.
func TestCurrentNamespaces(t *testing.T) {
	if os.Getenv(nsChildEnv) == "1" {
		ns := CurrentNamespaces()
		fmt.Printf("isolated=%v %+v\n", ns.Isolated(), ns)
		return
	}
	if ns := CurrentNamespaces(); ns.Isolated() {
		t.Fatalf("the test process counts as isolated: %+v", ns)
	}
	set := testns.New(t, "s3c", "sim")
	cmd := set.Command(context.Background(), 0, os.Args[0], "-test.run=^TestCurrentNamespaces$")
	cmd.Env = append(os.Environ(), nsChildEnv+"=1")
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "isolated=true") {
		t.Fatalf("in a namespace of its own: %v\n%s", err, out)
	}
}
