package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/scan445/scan445/bench/internal/benchns"
)

// Namespace names differ from sweepbench's so the two benches never tear down each other.
const (
	scanNS   = "s445nmap-scan"
	targetNS = "s445nmap-tgt"
	space    = "10.77.0.0/16" // local inside targetNS only; the scan namespace routes only this

	labSlice   = "10.77.1.0/24" // dnat'ed one-to-one onto the lab's 127.0.1.x:4445
	labFirst   = "127.0.1.0"
	labPort    = 4445
	sambaSlice = "10.77.2.0/28" // dnat'ed onto one smbd on 127.0.0.1:4450
	sambaPort  = 4450
	sambaHosts = 16
)

// Layout of the /16 by third octet x. Everything else answers with the accept-and-close
// listener on 0.0.0.0:445. Mostly closed, as a real /16 is mostly empty, but with enough of
// every kind that each tool's slow path (open connects, timeouts) is in the measurement.
func layout(x int) string {
	switch {
	case x == 1:
		return "lab"
	case x == 2:
		return "samba" // .0–.15; the rest of the /24 is rejected
	case x%8 == 0:
		return "open"
	case x%8 == 7:
		return "filtered"
	default:
		return "closed"
	}
}

// expectedOpen is the set of addresses that must be found open in the /16.
func expectedOpen() map[string]bool {
	open := map[string]bool{}
	for x := 0; x < 256; x++ {
		switch layout(x) {
		case "lab", "open":
			for y := 0; y < 256; y++ {
				open[fmt.Sprintf("10.77.%d.%d", x, y)] = true
			}
		case "samba":
			for y := 0; y < sambaHosts; y++ {
				open[fmt.Sprintf("10.77.%d.%d", x, y)] = true
			}
		}
	}
	return open
}

func nftRules() string {
	var lab, reject, drop []string
	for y := 0; y < 256; y++ {
		lab = append(lab, fmt.Sprintf("10.77.1.%d : 127.0.1.%d", y, y))
	}
	for x := 0; x < 256; x++ {
		switch layout(x) {
		case "closed", "samba": // the samba slice is dnat'ed before input, so only its rest is rejected
			reject = append(reject, fmt.Sprintf("10.77.%d.0/24", x))
		case "filtered":
			drop = append(drop, fmt.Sprintf("10.77.%d.0/24", x))
		}
	}
	// Only the two dnat slices need connection tracking. Tracking the sweeps too would fill the
	// host-wide conntrack table (four /16 sweeps leave ~250k entries for up to 120 s), and a
	// full table drops SYNs, which showed up as seconds in the next measurement.
	return fmt.Sprintf(`table ip nmapbench {
  map lab { type ipv4_addr : ipv4_addr; elements = { %s } }
  chain raw_pre {
    type filter hook prerouting priority raw; policy accept;
    ip daddr != { %[2]s, %[4]s } notrack
  }
  chain raw_out {
    type filter hook output priority raw; policy accept;
    ip saddr != { %[2]s, %[4]s, 127.0.0.0/8 } notrack
  }
  chain pre {
    type nat hook prerouting priority dstnat; policy accept;
    ip daddr %[2]s tcp dport 445 dnat to ip daddr map @lab : %[3]d
    ip daddr %[4]s tcp dport 445 dnat to 127.0.0.1:%[5]d
  }
  chain in {
    type filter hook input priority 0; policy accept;
    ip daddr { %[6]s } tcp dport 445 reject with tcp reset
    ip daddr { %[7]s } tcp dport 445 drop
  }
}
`, strings.Join(lab, ", "), labSlice, labPort, sambaSlice, sambaPort, strings.Join(reject, ", "), strings.Join(drop, ", "))
}

// run runs one external command with a timeout and returns its combined output.
func run(ctx context.Context, timeout time.Duration, args ...string) ([]byte, error) {
	return benchns.Run(ctx, timeout, args...)
}

// ensureTools installs nmap, nftables and samba from Debian when one is missing.
func ensureTools(ctx context.Context) error {
	missing := false
	for _, t := range []string{"nmap", "nft", "smbd"} {
		if _, err := exec.LookPath(t); err != nil {
			missing = true
		}
	}
	if !missing {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "apt-get", "install", "-y", "-qq", "nmap", "nftables", "samba")
	cmd.Env = append(os.Environ(), "DEBIAN_FRONTEND=noninteractive")
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("apt-get install nmap nftables samba: %w: %s", err, out)
	}
	return nil
}

// lab is the namespace pair; the lab slices, dnat and notrack rules come on top (nftRules).
var lab = benchns.Pair{Scan: scanNS, Target: targetNS, Space: space}

func teardown() { lab.Teardown() }

// setupNamespaces joins a scanner namespace to a target namespace in which the whole /16 is
// local. The scanner namespace has no default route: only the /16 and the veth /30 exist.
func setupNamespaces(ctx context.Context) error {
	return lab.Create(ctx, [][]string{
		// nmap's smb scripts send a UDP/137 NBSTAT per host; rate-limited port-unreachables
		// would turn each into a 1–4 s timeout.
		// The host-wide ICMP budget (1000/s, burst 50) is per namespace too: 256 "hosts" that
		// are one kernel would otherwise lose port-unreachables to both tools' UDP probes
		// (nmap's NBSTAT, scan445's Conficker P2P hello) and wait out their timeouts.
		{"ip", "netns", "exec", targetNS, "sysctl", "-qw", "net.ipv4.icmp_ratelimit=0"},
		{"ip", "netns", "exec", targetNS, "sysctl", "-qw", "net.ipv4.icmp_msgs_per_sec=1000000"},
		{"ip", "netns", "exec", targetNS, "sysctl", "-qw", "net.ipv4.icmp_msgs_burst=1000000"},
		// dnat from the veth to 127.0.x.y is dropped as martian without this.
		{"ip", "netns", "exec", targetNS, "sysctl", "-qw", "net.ipv4.conf.all.route_localnet=1"},
		{"ip", "netns", "exec", targetNS, "sysctl", "-qw", "net.ipv4.conf.veth-t.route_localnet=1"},
	}, nftRules())
}

// server is a process started inside the target namespace.
type server = benchns.Server

// startSelf re-executes this binary inside the target namespace in a server mode.
func startSelf(ctx context.Context, args ...string) (*server, string, error) {
	return benchns.StartSelf(ctx, targetNS, args...)
}

// startSamba runs one smbd on 127.0.0.1:sambaPort in the target namespace, all its state in dir.
func startSamba(ctx context.Context, dir string) (*server, error) {
	for _, d := range []string{"state", "lock", "pid", "cache", "private", "ncalrpc", "share"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o755); err != nil {
			return nil, err
		}
	}
	conf := filepath.Join(dir, "smb.conf")
	body := fmt.Sprintf(`[global]
  server role = standalone server
  workgroup = BENCH
  netbios name = BENCHSAMBA
  smb ports = %d
  interfaces = lo
  bind interfaces only = yes
  disable netbios = yes
  map to guest = Bad User
  restrict anonymous = 0
  server min protocol = NT1
  load printers = no
  disable spoolss = yes
  state directory = %[2]s/state
  lock directory = %[2]s/lock
  pid directory = %[2]s/pid
  cache directory = %[2]s/cache
  private dir = %[2]s/private
  ncalrpc dir = %[2]s/ncalrpc
  log file = %[2]s/log.smbd
  max log size = 1000
[public]
  path = %[2]s/share
  guest ok = yes
  read only = yes
`, sambaPort, dir)
	if err := os.WriteFile(conf, []byte(body), 0o644); err != nil {
		return nil, err
	}
	cmd := exec.CommandContext(ctx, "ip", "netns", "exec", targetNS, "smbd", "--foreground", "--no-process-group", "--configfile="+conf)
	// smbd signals its whole process group when it shuts down: give it one of its own, or it
	// takes this bench and the make that started it down with it.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	s := &server{Cmd: cmd}
	addr := fmt.Sprintf("127.0.0.1:%d", sambaPort)
	for i := 0; i < 100; i++ { // smbd takes a moment to bind
		if out, _ := exec.Command("ip", "netns", "exec", targetNS, "ss", "-Htln", "sport = :"+strconv.Itoa(sambaPort)).Output(); strings.Contains(string(out), addr) {
			return s, nil
		}
		time.Sleep(100 * time.Millisecond)
	}
	s.Stop()
	return nil, fmt.Errorf("smbd did not listen on %s (see %s/log.smbd)", addr, dir)
}

// serveOpen accepts and closes connections until stdin closes.
func serveOpen(addr string) error {
	ln, err := net.Listen("tcp4", addr)
	if err != nil {
		return err
	}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				if errors.Is(err, net.ErrClosed) {
					return
				}
				continue
			}
			c.Close()
		}
	}()
	fmt.Println("ready")
	waitLifeline()
	return ln.Close()
}

// serveLab runs the emulated rack on labPort.
func serveLab(first string, hosts int) error { return benchns.ServeLab(first, labPort, hosts) }

func waitLifeline() { benchns.WaitLifeline() }
