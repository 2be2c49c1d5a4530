package credcheck

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/scan445/scan445/smbprobe/netapi"
)

// Accounts the Samba tests create (as Unix users when absent, and in each instance's private
// passdb). s445deny can log on but is not a valid user of ADMIN$.
const (
	sambaUser     = "s445cred"
	sambaDenyUser = "s445deny"
	sambaPassword = "Cred-t3st!pw"
)

type sambaConfig struct {
	noAdminShare bool   // leave ADMIN$ out
	smb1         bool   // server min protocol = NT1
	signing      string // "", "mandatory"
}

type sambaServer struct {
	dir  string
	conf string
	port int
	file string // ADMIN$\system32\netapi32.dll on disk
}

// requirePeers reports whether a missing peer must fail the test instead of skipping it.
func requirePeers() bool { return os.Getenv("SCAN445_REQUIRE_PEERS") == "1" }

func skipOrFail(t *testing.T, format string, args ...any) {
	t.Helper()
	if requirePeers() {
		t.Fatalf(format, args...)
	}
	t.Skipf(format, args...)
}

// startSamba runs a private smbd on a free loopback port: all its state in a temp dir,
// bound to lo only, no NetBIOS. It is stopped (with its samba-dcerpcd helper, by PID) in
// Cleanup.
func startSamba(t *testing.T, cfg sambaConfig) *sambaServer {
	t.Helper()
	smbd, err := exec.LookPath("smbd")
	if err != nil {
		if _, e := os.Stat("/usr/sbin/smbd"); e != nil {
			skipOrFail(t, "smbd not installed")
		}
		smbd = "/usr/sbin/smbd"
	}
	if os.Geteuid() != 0 {
		skipOrFail(t, "the Samba tests need root (Unix accounts and smbd)")
	}
	for _, u := range []string{sambaUser, sambaDenyUser} {
		ensureUnixUser(t, u)
	}

	dir := t.TempDir()
	// smbd reads the share as the logged-on user, who must be able to traverse to it.
	for d := dir; d != os.TempDir() && d != "/"; d = filepath.Dir(d) {
		os.Chmod(d, 0o755)
	}
	for _, sub := range []string{"state", "lock", "pid", "cache", "private", "ncalrpc", "share/system32"} {
		if err := os.MkdirAll(filepath.Join(dir, sub), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	s := &sambaServer{dir: dir, conf: filepath.Join(dir, "smb.conf"), port: freePort(t),
		file: filepath.Join(dir, "share", "system32", "netapi32.dll")}

	var b strings.Builder
	fmt.Fprintf(&b, "[global]\n")
	for _, kv := range [][2]string{
		{"server role", "standalone server"},
		{"workgroup", "WORKGROUP"},
		{"netbios name", "S445CRED"},
		{"smb ports", strconv.Itoa(s.port)},
		{"interfaces", "lo"},
		{"bind interfaces only", "yes"},
		{"disable netbios", "yes"},
		{"load printers", "no"},
		{"disable spoolss", "yes"},
		{"printcap name", "/dev/null"},
		{"state directory", filepath.Join(dir, "state")},
		{"lock directory", filepath.Join(dir, "lock")},
		{"pid directory", filepath.Join(dir, "pid")},
		{"cache directory", filepath.Join(dir, "cache")},
		{"private dir", filepath.Join(dir, "private")},
		{"ncalrpc dir", filepath.Join(dir, "ncalrpc")},
		{"log file", filepath.Join(dir, "log.smbd")},
		{"passdb backend", "tdbsam:" + filepath.Join(dir, "private", "passdb.tdb")},
		{"map to guest", "Never"},
		{"restrict anonymous", "2"},
	} {
		fmt.Fprintf(&b, "%s = %s\n", kv[0], kv[1])
	}
	if cfg.smb1 {
		b.WriteString("server min protocol = NT1\n")
	}
	if cfg.signing != "" {
		fmt.Fprintf(&b, "server signing = %s\n", cfg.signing)
	}
	if !cfg.noAdminShare {
		fmt.Fprintf(&b, "[ADMIN$]\npath = %s\nread only = yes\nvalid users = %s\n", filepath.Join(dir, "share"), sambaUser)
	}
	fmt.Fprintf(&b, "[other]\npath = %s\nread only = yes\n", filepath.Join(dir, "share"))
	if err := os.WriteFile(s.conf, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, u := range []string{sambaUser, sambaDenyUser} {
		cmd := exec.Command("smbpasswd", "-c", s.conf, "-a", "-s", u)
		cmd.Stdin = strings.NewReader(sambaPassword + "\n" + sambaPassword + "\n")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("smbpasswd %s: %v: %s", u, err, out)
		}
	}

	cmd := exec.Command(smbd, "--foreground", "--no-process-group", "--configfile="+s.conf)
	var logBuf bytes.Buffer
	cmd.Stdout, cmd.Stderr = &logBuf, &logBuf
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
		killHelpers(t, s.conf)
		if t.Failed() {
			logs, _ := os.ReadFile(filepath.Join(dir, "log.smbd"))
			t.Logf("smbd output:\n%s\nlog.smbd:\n%s", logBuf.String(), logs)
		}
	})
	deadline := time.Now().Add(15 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", s.addr(), time.Second)
		if err == nil {
			c.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("smbd did not listen on %s: %v\n%s", s.addr(), err, logBuf.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	return s
}

func (s *sambaServer) addr() string { return net.JoinHostPort("127.0.0.1", strconv.Itoa(s.port)) }

func (s *sambaServer) dial(t *testing.T) net.Conn {
	t.Helper()
	c, err := net.DialTimeout("tcp", s.addr(), 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// serve puts a generated netapi32.dll of version v in ADMIN$.
func (s *sambaServer) serve(t *testing.T, v netapi.FileVersion) []byte {
	t.Helper()
	pe := netapi.BuildTestPE(v)
	if err := os.WriteFile(s.file, pe, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(s.file, 0o644); err != nil {
		t.Fatal(err)
	}
	return pe
}

// killHelpers stops the samba-dcerpcd (and rpcd_*) processes this instance forked, found by
// the --configfile argument that names our private config, by PID.
func killHelpers(t *testing.T, conf string) {
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
		if p, err := os.FindProcess(pid); err == nil {
			p.Signal(syscall.SIGTERM)
			pids = append(pids, pid)
		}
	}
	// Wait for them to go, so the temp dir they write to can be removed.
	for _, pid := range pids {
		for i := 0; i < 100; i++ {
			if _, err := os.Stat(filepath.Join("/proc", strconv.Itoa(pid))); err != nil {
				break
			}
			if st, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "stat")); err == nil && bytes.Contains(st, []byte(") Z ")) {
				break // a zombie: exited, waiting for its parent
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
}

func ensureUnixUser(t *testing.T, name string) {
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
	skipOrFail(t, "useradd %s: %v: %s", name, err, out)
}

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}
