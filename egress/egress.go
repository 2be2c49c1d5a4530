// Package egress tests, from inside a network, whether TCP/445 (and 139) leaves it: it opens
// one TCP connection to an endpoint the administrator controls outside the border and reads
// what stopped it, if anything. It sends nothing over a connection that opens (it closes it at
// once) and never picks an endpoint itself: there is no default third-party host.
//
// What the connect error says (Linux errno → outcome):
//
//   - connected: the border passed the SYN and the endpoint answered → egress-445-open, exposed;
//   - ECONNREFUSED: a TCP RST came back — the border's reject (nftables "reject with tcp
//     reset"), or the endpoint itself when nothing listens on the port, which is why the endpoint
//     must listen (any TCP listener will do) for a refusal to mean "blocked";
//   - a timeout: the SYN went unanswered — dropped at the border (or the endpoint is down);
//   - EHOSTUNREACH / ENETUNREACH: an ICMP unreachable from a router on the way (the border's
//     "reject with icmp type admin-prohibited"), or no route out at all;
//   - EACCES / EPERM: this host's own firewall refused the connect (an OUTPUT rule): the
//     border was not tested.
//
// Every outcome is a finding in the report format of a scan (check egress-445-open or
// egress-139-open, class safe, category compliance), with the exchange as evidence.
package egress

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/scan445/scan445/scanner"
	"github.com/scan445/scan445/smbprobe"
)

// DefaultPorts returns the ports tested when the target names none: SMB direct and SMB over
// NetBIOS.
func DefaultPorts() []int { return []int{445, 139} }

// Target is one endpoint to connect to.
type Target struct {
	Host string // as given: an address or a name
	Port int
}

// String is HOST:PORT (IPv6 in brackets).
func (t Target) String() string { return net.JoinHostPort(t.Host, strconv.Itoa(t.Port)) }

// ErrTarget is returned by ParseTarget for a value that is not HOST[:PORT].
var ErrTarget = errors.New("egress: bad --to value")

// ParseTarget reads HOST[:PORT] (IPv6 as [ADDR]:PORT or a bare ADDR). Without a port it
// returns one target per DefaultPorts entry.
func ParseTarget(s string) ([]Target, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, fmt.Errorf("%w: empty", ErrTarget)
	}
	if a, err := netip.ParseAddr(strings.Trim(s, "[]")); err == nil {
		return targets(a.String(), DefaultPorts()), nil
	}
	host, port, err := net.SplitHostPort(s)
	if err != nil {
		if strings.Contains(s, ":") {
			return nil, fmt.Errorf("%w %q: want HOST or HOST:PORT", ErrTarget, s)
		}
		host, port = s, ""
	}
	if host == "" || strings.ContainsAny(host, " /\\@") {
		return nil, fmt.Errorf("%w %q: no host", ErrTarget, s)
	}
	if port == "" {
		return targets(host, DefaultPorts()), nil
	}
	p, err := strconv.Atoi(port)
	if err != nil || p < 1 || p > 65535 {
		return nil, fmt.Errorf("%w %q: port %q is not 1-65535", ErrTarget, s, port)
	}
	return []Target{{Host: host, Port: p}}, nil
}

func targets(host string, ports []int) []Target {
	out := make([]Target, 0, len(ports))
	for _, p := range ports {
		out = append(out, Target{Host: host, Port: p})
	}
	return out
}

// Outcome is what one connection attempt ran into.
type Outcome string

// The outcomes (see the package comment).
const (
	Open        Outcome = "open"
	Refused     Outcome = "refused"     // RST
	TimedOut    Outcome = "timeout"     // no answer
	Unreachable Outcome = "unreachable" // ICMP unreachable, no route
	LocalDenied Outcome = "local-firewall"
	Failed      Outcome = "error" // name resolution, or anything else
)

// Result is one target's attempt.
type Result struct {
	Target  Target
	Addr    netip.AddrPort // the address connected to (zero when the name did not resolve)
	Outcome Outcome
	Err     string // the error seen, verbatim
	Elapsed time.Duration
}

// Dialer opens the connection; net.Dialer.DialContext in production.
type Dialer func(ctx context.Context, network, address string) (net.Conn, error)

// Classify maps a connect error to an outcome.
func Classify(err error) Outcome {
	var dns *net.DNSError
	switch {
	case err == nil:
		return Open
	case errors.As(err, &dns):
		return Failed
	case errors.Is(err, syscall.ECONNREFUSED):
		return Refused
	case errors.Is(err, syscall.EHOSTUNREACH), errors.Is(err, syscall.ENETUNREACH):
		return Unreachable
	case errors.Is(err, syscall.EACCES), errors.Is(err, syscall.EPERM):
		return LocalDenied
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, syscall.ETIMEDOUT), isTimeout(err):
		return TimedOut
	}
	return Failed
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// Test makes one connection attempt to t within timeout, closing at once what opens.
func Test(ctx context.Context, dial Dialer, t Target, timeout time.Duration) Result {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	start := time.Now()
	conn, err := dial(ctx, "tcp", t.String())
	r := Result{Target: t, Elapsed: time.Since(start), Outcome: Classify(err)}
	if err != nil {
		r.Err = err.Error()
		if r.Outcome == TimedOut {
			r.Err = fmt.Sprintf("no answer within %s (%s)", timeout, err)
		}
		return r
	}
	if ap, err := netip.ParseAddrPort(conn.RemoteAddr().String()); err == nil {
		r.Addr = ap
	}
	conn.Close()
	return r
}

// CheckID is the id of the finding for port: egress-445-open, egress-139-open, egress-N-open.
func CheckID(port int) string { return fmt.Sprintf("egress-%d-open", port) }

// judge turns a Result into the finding's verdict, severity, rule and reason.
func judge(r Result) (smbprobe.Verdict, smbprobe.Severity, string, string) {
	to := r.Target.String()
	switch r.Outcome {
	case Open:
		return smbprobe.Exposed, smbprobe.SeverityHigh, "egress/open",
			fmt.Sprintf("a TCP connection to %s opened from inside: the border lets port %d out, the route Conficker used to spread beyond the network", to, r.Target.Port)
	case Refused:
		return smbprobe.NotAffected, smbprobe.SeverityInfo, "egress/rst",
			fmt.Sprintf("blocked: the connection to %s was reset (RST) — by the border, as long as the endpoint listens on port %d (else the RST is the endpoint's own)", to, r.Target.Port)
	case TimedOut:
		return smbprobe.NotAffected, smbprobe.SeverityInfo, "egress/timeout",
			fmt.Sprintf("blocked: %s did not answer (%s) — dropped at the border, as long as the endpoint is up", to, r.Err)
	case Unreachable:
		return smbprobe.NotAffected, smbprobe.SeverityInfo, "egress/unreachable",
			fmt.Sprintf("blocked: %s is unreachable (%s) — an ICMP unreachable from a router on the way, or no route out", to, r.Err)
	case LocalDenied:
		return smbprobe.Unknown, smbprobe.SeverityInfo, "egress/local-firewall",
			fmt.Sprintf("not tested: this host's own firewall refused the connection to %s (%s); run from a host without an outbound rule", to, r.Err)
	}
	return smbprobe.Unknown, smbprobe.SeverityInfo, "egress/error",
		fmt.Sprintf("not tested: %s (%s)", to, r.Err)
}

// HostResult renders r in the report format of a scan: the endpoint as the host, the connect
// as the one exchange, the finding resting on it.
func HostResult(r Result, started time.Time) scanner.HostResult {
	v, sev, rule, why := judge(r)
	addr := r.Target.Host
	if r.Addr.IsValid() {
		addr = r.Addr.Addr().String()
	}
	status := scanner.StatusOpen
	switch r.Outcome {
	case Refused:
		status = scanner.StatusClosed
	case TimedOut:
		status = scanner.StatusFiltered
	case Unreachable:
		status = scanner.StatusUnreachable
	case LocalDenied, Failed:
		status = scanner.StatusError
	}
	resp := "connected; closed at once, nothing sent"
	if r.Outcome != Open {
		resp = string(r.Outcome) + ": " + r.Err
	}
	var rem []string
	if v == smbprobe.Exposed {
		rem = []string{smbprobe.RemedyBlock445}
	}
	id := CheckID(r.Target.Port)
	return scanner.HostResult{
		Address: addr, Port: r.Target.Port, Status: status, Error: r.Err, Attempts: 1,
		Started: started, ConnectMS: r.Elapsed.Milliseconds(), TotalMS: r.Elapsed.Milliseconds(),
		SMB: &smbprobe.Result{
			Exchanges: []smbprobe.Exchange{{
				Step: "egress.connect", Class: smbprobe.ClassSafe,
				Request: "TCP connect from inside to " + r.Target.String(), Status: string(r.Outcome),
				Response: resp, Millis: r.Elapsed.Milliseconds(),
			}},
			Findings: []smbprobe.Finding{{
				Check: id, Category: smbprobe.CategoryCompliance,
				Title: fmt.Sprintf("Outbound TCP/%d leaves the network", r.Target.Port),
				Class: smbprobe.ClassSafe, Verdict: v, Severity: sev, Rule: rule, Reason: why,
				Evidence: []int{0}, Remediation: rem,
			}},
			Connections: 1,
		},
	}
}
