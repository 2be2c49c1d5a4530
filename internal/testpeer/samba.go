package testpeer

import (
	"bytes"
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

// SMB1Mode says which dialects a test smbd offers.
type SMB1Mode int

const (
	SMB1Off  SMB1Mode = iota // Samba's default: SMB2 and later only
	SMB1On                   // server min protocol = NT1: SMB1 and SMB2
	SMB1Only                 // server min/max protocol = NT1
)

// SambaShare is one read-only share. Its directory is created below Samba.Dir.
type SambaShare struct {
	Name       string   // share name, e.g. "ADMIN$"
	Path       string   // directory relative to Samba.Dir, e.g. "share"
	Guest      bool     // guest ok = yes
	ValidUsers []string // valid users = ...; empty: anyone who can log on
}

// SambaUser is an account put in the instance's private passdb with smbpasswd. Samba needs a
// Unix account of the same name; one is created (system, no home, no shell) when absent.
type SambaUser struct {
	Name, Password string
}

// SambaConfig describes one private smbd. The zero value is a standalone server, SMB2 only,
// no shares, no users, "map to guest = Never", restrict anonymous 0.
type SambaConfig struct {
	NetBIOSName       string // default "SAMBALAB"
	Workgroup         string // default "WORKGROUP"
	MapToGuest        string // default "Never"
	SMB1              SMB1Mode
	Signing           string // server signing: "", "mandatory", "disabled", ...
	RestrictAnonymous int    // restrict anonymous = 0, 1 or 2
	Global            []string
	Shares            []SambaShare
	Users             []SambaUser
	// NetBIOS serves SMB over the NetBIOS session service on port 139 only (smb ports = 139),
	// at Addr; binding 139 needs root.
	NetBIOS bool
	// Addr is the loopback address smbd binds; default 127.0.0.1. Tests that bind a fixed
	// port (NetBIOS) use an address of their own so parallel runs do not collide.
	Addr netip.Addr
}

// Samba is a running private smbd, stopped in the test's Cleanup.
type Samba struct {
	Addr netip.AddrPort // 127.0.0.1:Port
	Port int
	Dir  string // everything of this instance: config, state, logs, share directories
	Conf string // the smb.conf path
}

// Path joins elem below s.Dir.
func (s *Samba) Path(elem ...string) string {
	return filepath.Join(append([]string{s.Dir}, elem...)...)
}

// Dial connects to s or fails t.
func (s *Samba) Dial(t testing.TB) net.Conn {
	t.Helper()
	c, err := net.DialTimeout("tcp", s.Addr.String(), 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// StartSamba runs a private smbd on a free 127.0.0.1 port: all its state in a temp dir,
// bound to lo only, no NetBIOS. It skips (or fails, see Need) when smbd is absent, or when
// cfg has users and the test does not run as root. smbd and the samba-dcerpcd helpers it
// forks are stopped, by PID, in Cleanup; on failure the logs are printed.
func StartSamba(t testing.TB, cfg SambaConfig) *Samba {
	t.Helper()
	smbd := LookPath(t, "smbd", "/usr/sbin/smbd")
	if len(cfg.Users) > 0 {
		Need(t, "root (for Unix accounts and smbd)", os.Geteuid() == 0)
		for _, u := range cfg.Users {
			ensureUnixUser(t, u.Name)
		}
	}

	dir := t.TempDir()
	if len(cfg.Users) > 0 {
		// smbd reads a share as the logged-on user, who must be able to traverse to it.
		for d := dir; d != os.TempDir() && d != "/"; d = filepath.Dir(d) {
			os.Chmod(d, 0o755)
		}
	}
	subs := []string{"state", "lock", "pid", "cache", "private", "ncalrpc"}
	for _, sh := range cfg.Shares {
		subs = append(subs, sh.Path)
	}
	for _, sub := range subs {
		if err := os.MkdirAll(filepath.Join(dir, sub), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	addr := cfg.Addr
	if !addr.IsValid() {
		addr = netip.AddrFrom4([4]byte{127, 0, 0, 1})
	}
	if !addr.IsLoopback() {
		t.Fatalf("testpeer: Samba address %s is not loopback", addr)
	}
	s := &Samba{Dir: dir, Conf: filepath.Join(dir, "smb.conf")}
	if cfg.NetBIOS {
		Need(t, "root (to bind port 139)", os.Geteuid() == 0)
		s.Port = 139
	} else {
		s.Port = freePort(t)
	}
	s.Addr = netip.AddrPortFrom(addr, uint16(s.Port))
	if err := os.WriteFile(s.Conf, []byte(s.config(cfg)), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, u := range cfg.Users {
		smbpasswd := LookPath(t, "smbpasswd", "/usr/bin/smbpasswd")
		cmd := exec.Command(smbpasswd, "-c", s.Conf, "-a", "-s", u.Name)
		cmd.Stdin = strings.NewReader(u.Password + "\n" + u.Password + "\n")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("smbpasswd %s: %v: %s", u.Name, err, out)
		}
	}

	cmd := exec.Command(smbd, "--foreground", "--no-process-group", "--configfile="+s.Conf)
	// smbd's output goes to a file, not a pipe: the samba-dcerpcd helpers it forks inherit
	// the descriptor, and with a pipe cmd.Wait would block until they exit too, which they
	// only do once Cleanup has killed them after that Wait.
	outPath := filepath.Join(dir, "smbd.out")
	out, err := os.Create(outPath)
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close() // the child holds its own descriptor
	cmd.Stdout, cmd.Stderr = out, out
	// Its own process group: on SIGTERM smbd signals its whole group, which would otherwise
	// include this test binary.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatalf("smbd: %v", err)
	}
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGTERM)
		done := make(chan struct{})
		go func() { cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			cmd.Process.Kill()
			<-done
		}
		killHelpers(s.Conf)
		if t.Failed() {
			t.Logf("smbd output:\n%s\nlog.smbd:\n%s", readFile(outPath), readFile(s.Path("log.smbd")))
		}
	})
	deadline := time.Now().Add(15 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", s.Addr.String(), time.Second)
		if err == nil {
			c.Close()
			return s
		}
		if time.Now().After(deadline) {
			t.Fatalf("smbd did not listen on %s: %v\n%s", s.Addr, err, readFile(outPath))
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func (s *Samba) config(cfg SambaConfig) string {
	orDefault := func(v, def string) string {
		if v == "" {
			return def
		}
		return v
	}
	var b strings.Builder
	b.WriteString("[global]\n")
	for _, kv := range [][2]string{
		{"server role", "standalone server"},
		{"netbios name", orDefault(cfg.NetBIOSName, "SAMBALAB")},
		{"workgroup", orDefault(cfg.Workgroup, "WORKGROUP")},
		{"smb ports", strconv.Itoa(s.Port)},
		{"interfaces", s.Addr.Addr().String() + "/8"},
		{"bind interfaces only", "yes"},
		// smbd only serves the session service on 139 with NetBIOS enabled; nmbd is never
		// started here, so no name service traffic either way.
		{"disable netbios", strconv.FormatBool(!cfg.NetBIOS)},
		{"load printers", "no"},
		{"disable spoolss", "yes"},
		{"printcap name", "/dev/null"},
		{"state directory", s.Path("state")},
		{"lock directory", s.Path("lock")},
		{"pid directory", s.Path("pid")},
		{"cache directory", s.Path("cache")},
		{"private dir", s.Path("private")},
		{"ncalrpc dir", s.Path("ncalrpc")},
		{"log file", s.Path("log.smbd")},
		{"max log size", "1000"},
		{"passdb backend", "tdbsam:" + s.Path("private", "passdb.tdb")},
		{"map to guest", orDefault(cfg.MapToGuest, "Never")},
		{"restrict anonymous", strconv.Itoa(cfg.RestrictAnonymous)},
	} {
		fmt.Fprintf(&b, "\t%s = %s\n", kv[0], kv[1])
	}
	switch cfg.SMB1 {
	case SMB1On:
		b.WriteString("\tserver min protocol = NT1\n")
	case SMB1Only:
		b.WriteString("\tserver min protocol = NT1\n\tserver max protocol = NT1\n")
	}
	if cfg.Signing != "" {
		fmt.Fprintf(&b, "\tserver signing = %s\n", cfg.Signing)
	}
	for _, l := range cfg.Global {
		fmt.Fprintf(&b, "\t%s\n", strings.TrimSpace(l))
	}
	for _, sh := range cfg.Shares {
		fmt.Fprintf(&b, "[%s]\n\tpath = %s\n\tread only = yes\n", sh.Name, s.Path(sh.Path))
		if sh.Guest {
			b.WriteString("\tguest ok = yes\n")
		}
		if len(sh.ValidUsers) > 0 {
			fmt.Fprintf(&b, "\tvalid users = %s\n", strings.Join(sh.ValidUsers, " "))
		}
	}
	return b.String()
}

// killHelpers stops the samba-dcerpcd (and rpcd_*) processes this instance forked, found by
// the --configfile argument naming its private config, by PID, and waits for them so the
// temp dir they write to can be removed.
func killHelpers(conf string) {
	ents, _ := os.ReadDir("/proc")
	var pids []int
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == os.Getpid() {
			continue
		}
		cl, err := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		if err != nil || !bytes.Contains(cl, []byte(conf)) {
			continue
		}
		if syscall.Kill(pid, syscall.SIGTERM) == nil {
			pids = append(pids, pid)
		}
	}
	for _, pid := range pids {
		proc := filepath.Join("/proc", strconv.Itoa(pid))
		for range 100 {
			st, err := os.ReadFile(filepath.Join(proc, "stat"))
			if err != nil || bytes.Contains(st, []byte(") Z ")) {
				break // gone, or a zombie: exited, waiting for its parent
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
}

// ensureUnixUser creates a system account for name when it does not exist.
func ensureUnixUser(t testing.TB, name string) {
	t.Helper()
	if exec.Command("id", "-u", name).Run() == nil {
		return
	}
	var out []byte
	var err error
	for range 10 { // another test process may hold the passwd lock
		out, err = exec.Command("useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", name).CombinedOutput()
		if err == nil || exec.Command("id", "-u", name).Run() == nil {
			return
		}
		time.Sleep(200 * time.Millisecond)
	}
	Need(t, fmt.Sprintf("Unix account %s (useradd: %v: %s)", name, err, bytes.TrimSpace(out)), false)
}

func freePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

func readFile(path string) []byte {
	b, _ := os.ReadFile(path)
	return b
}
