package scanner

import (
	"context"
	"net"
	"net/netip"
	"os"
	"slices"
	"sync"
	"syscall"
	"testing"
	"time"
)

func TestParsePorts(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want []int
		bad  bool
	}{
		{"445,139", []int{445, 139}, false},
		{" 139 ", []int{139}, false},
		{"445,445", nil, true},
		{"0", nil, true},
		{"65536", nil, true},
		{"445,", nil, true},
		{"1,2,3,4,5", nil, true},
		{"netbios", nil, true},
	} {
		got, err := ParsePorts(tc.in)
		if (err != nil) != tc.bad || !slices.Equal(got, tc.want) {
			t.Errorf("ParsePorts(%q) = %v, %v", tc.in, got, err)
		}
	}
}

// TestFallbackPolicy drives the port policy through Run with a scripted dialer (per port, the
// connect outcome): which ports were dialled, in what order, and what the result says. Every
// dial goes through the engine's dialer, so Attempts (and Stats.Attempts, what the rate limiter
// counts) include the connect on 139.
func TestFallbackPolicy(t *testing.T) {
	timeout := &net.OpError{Op: "dial", Err: os.ErrDeadlineExceeded}
	refused := &net.OpError{Op: "dial", Err: syscall.ECONNREFUSED}
	unreach := &net.OpError{Op: "dial", Err: syscall.EHOSTUNREACH}
	cases := []struct {
		name     string
		filtered bool             // Config.FallbackFiltered
		outcome  map[string]error // by port; absent: the connect succeeds
		dialled  []string
		port     int
		status   Status
		tried    []PortTry
	}{
		{"445 open: 139 never tried", false, nil, []string{"445"}, 445, StatusOpen, nil},
		{"445 open, filtered opt-in: 139 never tried", true, nil, []string{"445"}, 445, StatusOpen, nil},
		{"445 closed: 139 open", false, map[string]error{"445": refused}, []string{"445", "139"}, 139, StatusOpen,
			[]PortTry{{445, StatusClosed}}},
		{"445 filtered: 139 not tried by default", false, map[string]error{"445": timeout}, []string{"445", "445"}, 445, StatusFiltered, nil},
		{"445 filtered, opt-in: 139 open", true, map[string]error{"445": timeout}, []string{"445", "445", "139"}, 139, StatusOpen,
			[]PortTry{{445, StatusFiltered}}},
		{"both closed", false, map[string]error{"445": refused, "139": refused}, []string{"445", "139"}, 139, StatusClosed,
			[]PortTry{{445, StatusClosed}}},
		{"445 closed, 139 filtered", false, map[string]error{"445": refused, "139": timeout}, []string{"445", "139", "139"}, 139, StatusFiltered,
			[]PortTry{{445, StatusClosed}}},
		{"unreachable ends the host", true, map[string]error{"445": unreach}, []string{"445"}, 445, StatusUnreachable, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var mu sync.Mutex
			var dialled []string
			cfg := Config{Port: 445, Fallback: []int{139}, FallbackFiltered: tc.filtered, Retries: 1, Timeout: time.Second, Concurrency: 1,
				Dial: func(ctx context.Context, network, address string) (net.Conn, error) {
					_, port, _ := net.SplitHostPort(address)
					mu.Lock()
					dialled = append(dialled, port)
					mu.Unlock()
					if err := tc.outcome[port]; err != nil {
						return nil, err
					}
					c1, c2 := net.Pipe()
					c2.Close()
					return c1, nil
				}}
			got, _ := collect(&cfg)
			st := Run(context.Background(), slices.Values([]netip.Addr{netip.MustParseAddr("127.3.2.1")}), cfg)
			if len(*got) != 1 {
				t.Fatalf("%d results", len(*got))
			}
			r := (*got)[0]
			if !slices.Equal(dialled, tc.dialled) || r.Port != tc.port || r.Status != tc.status || !slices.Equal(r.Tried, tc.tried) {
				t.Errorf("dialled %v; result port %d status %s tried %v; want %v %d %s %v",
					dialled, r.Port, r.Status, r.Tried, tc.dialled, tc.port, tc.status, tc.tried)
			}
			if r.Attempts != len(tc.dialled) || st.Attempts != int64(len(tc.dialled)) {
				t.Errorf("attempts: result %d, sweep %d; want %d (one per SYN)", r.Attempts, st.Attempts, len(tc.dialled))
			}
		})
	}
}

// TestFallbackOverLoopback: the policy against real sockets. 127.3.2.10 listens on both ports
// (its 139 must not be touched), .11 on the second port only (found there after a RST), .12 on
// neither (closed, both ports tried).
func TestFallbackOverLoopback(t *testing.T) {
	first := listenAll(t, 0, "127.3.2.10")
	second := listenAll(t, 0, "127.3.2.11")
	listenAll(t, second, "127.3.2.10")
	if first == second {
		t.Skip("the kernel gave both listeners the same port")
	}
	cfg := Config{Port: first, Fallback: []int{second}, Timeout: 2 * time.Second}
	got, _ := collect(&cfg)
	addrs := []netip.Addr{netip.MustParseAddr("127.3.2.10"), netip.MustParseAddr("127.3.2.11"), netip.MustParseAddr("127.3.2.12")}
	Run(context.Background(), slices.Values(addrs), cfg)
	want := map[string]HostResult{
		"127.3.2.10": {Port: first, Status: StatusOpen, Attempts: 1},
		"127.3.2.11": {Port: second, Status: StatusOpen, Attempts: 2, Tried: []PortTry{{first, StatusClosed}}},
		"127.3.2.12": {Port: second, Status: StatusClosed, Attempts: 2, Tried: []PortTry{{first, StatusClosed}}},
	}
	if len(*got) != len(want) {
		t.Fatalf("%d results, want %d", len(*got), len(want))
	}
	for _, r := range *got {
		w := want[r.Address]
		if r.Port != w.Port || r.Status != w.Status || r.Attempts != w.Attempts || !slices.Equal(r.Tried, w.Tried) {
			t.Errorf("%s: port %d %s attempts %d tried %v; want port %d %s attempts %d tried %v",
				r.Address, r.Port, r.Status, r.Attempts, r.Tried, w.Port, w.Status, w.Attempts, w.Tried)
		}
	}
}
