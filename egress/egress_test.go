package egress

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"slices"
	"syscall"
	"testing"
	"time"

	"github.com/scan445/scan445/smbprobe"
)

func TestParseTarget(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want []string
		err  bool
	}{
		{"198.51.100.7", []string{"198.51.100.7:445", "198.51.100.7:139"}, false},
		{"198.51.100.7:445", []string{"198.51.100.7:445"}, false},
		{"egress.example:139", []string{"egress.example:139"}, false},
		{"egress.example", []string{"egress.example:445", "egress.example:139"}, false},
		{"2001:db8::7", []string{"[2001:db8::7]:445", "[2001:db8::7]:139"}, false},
		{"[2001:db8::7]:8445", []string{"[2001:db8::7]:8445"}, false},
		{"", nil, true},
		{"host:0", nil, true},
		{"host:70000", nil, true},
		{"host:smb", nil, true},
		{":445", nil, true},
		{"a b:445", nil, true},
		{"1:2:3", nil, true},
	} {
		got, err := ParseTarget(tc.in)
		var s []string
		for _, g := range got {
			s = append(s, g.String())
		}
		if (err != nil) != tc.err || !slices.Equal(s, tc.want) {
			t.Errorf("ParseTarget(%q) = %v, %v; want %v (error %v)", tc.in, s, err, tc.want, tc.err)
		}
		if err != nil && !errors.Is(err, ErrTarget) {
			t.Errorf("ParseTarget(%q): error without ErrTarget: %v", tc.in, err)
		}
	}
}

func TestClassify(t *testing.T) {
	op := func(e error) error {
		return &net.OpError{Op: "dial", Net: "tcp", Err: os.NewSyscallError("connect", e)}
	}
	for _, tc := range []struct {
		err  error
		want Outcome
	}{
		{nil, Open},
		{op(syscall.ECONNREFUSED), Refused},
		{op(syscall.EHOSTUNREACH), Unreachable},
		{op(syscall.ENETUNREACH), Unreachable},
		{op(syscall.EPERM), LocalDenied},
		{op(syscall.EACCES), LocalDenied},
		{op(syscall.ETIMEDOUT), TimedOut},
		{fmt.Errorf("dial: %w", context.DeadlineExceeded), TimedOut},
		{&net.DNSError{Err: "no such host", Name: "x", IsNotFound: true}, Failed},
		{errors.New("something else"), Failed},
	} {
		if got := Classify(tc.err); got != tc.want {
			t.Errorf("Classify(%v) = %s, want %s", tc.err, got, tc.want)
		}
	}
}

// TestVerdicts: only an open connection is exposed; blocked outcomes are not-affected; what
// did not test the border is unknown; every finding rests on its one exchange.
func TestVerdicts(t *testing.T) {
	tg := Target{Host: "198.51.100.7", Port: 445}
	for _, tc := range []struct {
		o    Outcome
		want smbprobe.Verdict
	}{
		{Open, smbprobe.Exposed}, {Refused, smbprobe.NotAffected}, {TimedOut, smbprobe.NotAffected},
		{Unreachable, smbprobe.NotAffected}, {LocalDenied, smbprobe.Unknown}, {Failed, smbprobe.Unknown},
	} {
		h := HostResult(Result{Target: tg, Outcome: tc.o, Err: "e"}, time.Now())
		f := h.SMB.Findings[0]
		if f.Verdict != tc.want || f.Check != "egress-445-open" || len(f.Evidence) != 1 || f.Evidence[0] != 0 || f.Reason == "" {
			t.Errorf("%s: %+v", tc.o, f)
		}
		if (tc.want == smbprobe.Exposed) != slices.Contains(f.Remediation, smbprobe.RemedyBlock445) {
			t.Errorf("%s: remediation %v", tc.o, f.Remediation)
		}
	}
}

// TestLoopback: a listener is open, a closed port is refused, within the real dialer.
func TestLoopback(t *testing.T) {
	ln, err := net.Listen("tcp", "127.3.5.20:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go acceptAndClose(ln)
	port := ln.Addr().(*net.TCPAddr).Port
	var d net.Dialer
	if r := Test(context.Background(), d.DialContext, Target{Host: "127.3.5.20", Port: port}, time.Second); r.Outcome != Open || r.Addr.Port() != uint16(port) {
		t.Errorf("listener: %+v", r)
	}
	if r := Test(context.Background(), d.DialContext, Target{Host: "127.3.5.21", Port: port}, time.Second); r.Outcome != Refused {
		t.Errorf("closed port: %+v", r)
	}
}

// acceptAndClose answers every connection on ln with a close: an open port, nothing more.
// It returns when ln is closed.
func acceptAndClose(ln net.Listener) {
	for {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		c.Close()
	}
}
