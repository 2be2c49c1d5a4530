package testpeer

import (
	"bufio"
	"bytes"
	_ "embed"
	"fmt"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// Python is the interpreter that has Debian's python3-impacket; a python found on PATH may
// be another installation without it.
const Python = "/usr/bin/python3"

//go:embed impacket_smbserver.py
var impacketServerPy []byte

// ImpacketMode selects how the impacket server's srvsvc answers (see impacket_smbserver.py).
type ImpacketMode string

const (
	// ImpacketStock is impacket's own srvsvc, as shipped, on \srvsvc only.
	ImpacketStock ImpacketMode = "stock"
	// ImpacketXPUnpatched answers like unpatched XP: PathCompare with a collapsing `..` → 0.
	ImpacketXPUnpatched ImpacketMode = "xp-unpatched"
	// ImpacketXPPatched answers like patched XP: the same PathCompare → WERR_INVALID_NAME.
	ImpacketXPPatched ImpacketMode = "xp-patched"
	// ImpacketXPCleanBTS is patched XP whose `\` canonicalisation into 2 bytes is
	// NERR_BufTooSmall with a zeroed buffer: the other plausible clean answer.
	ImpacketXPCleanBTS ImpacketMode = "xp-clean-bts"
	// ImpacketConfickerABC carries Conficker A/B/C's hook: any `\..\` → WERR_INVALID_PARAMETER.
	ImpacketConfickerABC ImpacketMode = "conficker-abc"
	// ImpacketFaults answers every srvsvc request with a DCE/RPC fault.
	ImpacketFaults ImpacketMode = "faults"
)

// ImpacketModes lists every mode, stock first.
func ImpacketModes() []ImpacketMode {
	return []ImpacketMode{ImpacketStock, ImpacketXPUnpatched, ImpacketXPPatched, ImpacketXPCleanBTS, ImpacketConfickerABC, ImpacketFaults}
}

// ImpacketConfig describes one impacket SimpleSMBServer. The zero value is stock impacket on
// a free 127.0.0.1 port.
type ImpacketConfig struct {
	Addr netip.Addr // listen address, in 127.0.0.0/8; zero: 127.0.0.1
	Port int        // 0: a free port the server picks
	Mode ImpacketMode
	Name string // NetBIOS name and NetrServerGetInfo sv101_name; default "IMPXP"
	// WindowsCompat makes two SMB-side answers Windows-like so that nmap 7.93 can talk to the
	// server (NEGOTIATE names without extended security; `\\BROWSER` opens): see the script.
	WindowsCompat bool
	// MisalignedStrings puts Native OS and LAN Manager of the extended-security SESSION_SETUP
	// response on an odd offset, as impacket 0.10 does in about half of its runs (the script
	// otherwise pads them deterministically the right way).
	MisalignedStrings bool
}

// Impacket is a running impacket server, stopped in the test's Cleanup.
type Impacket struct {
	Addr netip.AddrPort
	Dir  string // working directory; the server's output is in Dir/impacket.out
}

// Output returns everything the server logged so far.
func (s *Impacket) Output() string { return string(readFile(filepath.Join(s.Dir, "impacket.out"))) }

// StartImpacket runs impacket_smbserver.py with /usr/bin/python3 in its own process group,
// its output in a file, and returns once it listens. It skips (or fails, see Need) when
// python3-impacket is absent. Cleanup stops the whole group and reaps it.
func StartImpacket(t testing.TB, cfg ImpacketConfig) *Impacket {
	t.Helper()
	Need(t, "python3-impacket ("+Python+")", exec.Command(Python, "-c", "import impacket.smbserver").Run() == nil)
	if !cfg.Addr.IsValid() {
		cfg.Addr = netip.AddrFrom4([4]byte{127, 0, 0, 1})
	}
	if !cfg.Addr.Is4() || !cfg.Addr.IsLoopback() {
		t.Fatalf("impacket server: %s is not in 127.0.0.0/8", cfg.Addr)
	}
	if cfg.Mode == "" {
		cfg.Mode = ImpacketStock
	}
	if cfg.Name == "" {
		cfg.Name = "IMPXP"
	}
	dir := t.TempDir()
	script := filepath.Join(dir, "impacket_smbserver.py")
	if err := os.WriteFile(script, impacketServerPy, 0o644); err != nil {
		t.Fatal(err)
	}
	args := []string{script, "--addr", cfg.Addr.String(), "--port", strconv.Itoa(cfg.Port), "--mode", string(cfg.Mode), "--name", cfg.Name}
	if cfg.WindowsCompat {
		args = append(args, "--windows-compat")
	}
	if cfg.MisalignedStrings {
		args = append(args, "--misaligned-strings")
	}
	cmd := exec.Command(Python, args...)
	// The working directory matters: impacket resolves IPC$ paths against it (a file named
	// like a pipe would shadow the pipe).
	cmd.Dir = dir
	outPath := filepath.Join(dir, "impacket.out")
	out, err := os.Create(outPath)
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close() // the child holds its own descriptor
	cmd.Stdout, cmd.Stderr = out, out
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatalf("impacket server: %v", err)
	}
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }()
	s := &Impacket{Dir: dir}
	t.Cleanup(func() {
		stopGroup(cmd.Process.Pid, exited)
		if t.Failed() {
			t.Logf("impacket server %s (%s) output:\n%s", s.Addr, cfg.Mode, readFile(outPath))
		}
	})
	deadline := time.Now().Add(20 * time.Second)
	for {
		if ap, ok := listeningLine(readFile(outPath)); ok {
			s.Addr = ap
			break
		}
		select {
		case <-exited:
			t.Fatalf("impacket server exited before listening:\n%s", readFile(outPath))
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("impacket server did not listen in 20 s:\n%s", readFile(outPath))
		}
	}
	c, err := net.DialTimeout("tcp", s.Addr.String(), 5*time.Second)
	if err != nil {
		t.Fatalf("impacket server announced %s but: %v", s.Addr, err)
	}
	c.Close()
	return s
}

// listeningLine finds the script's "LISTENING addr:port" line.
func listeningLine(out []byte) (netip.AddrPort, bool) {
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "LISTENING "); ok {
			ap, err := netip.ParseAddrPort(strings.TrimSpace(rest))
			return ap, err == nil
		}
	}
	return netip.AddrPort{}, false
}

// stopGroup sends SIGTERM to the process group pgid (the server and anything it started),
// then SIGKILL if the leader has not exited in 5 s, and returns once exited (closed by the
// goroutine that reaps the leader) is closed.
func stopGroup(pgid int, exited <-chan struct{}) {
	syscall.Kill(-pgid, syscall.SIGTERM)
	select {
	case <-exited:
	case <-time.After(5 * time.Second):
		syscall.Kill(-pgid, syscall.SIGKILL)
		<-exited
	}
}

// String names the server for test output.
func (s *Impacket) String() string { return fmt.Sprintf("impacket@%s", s.Addr) }
