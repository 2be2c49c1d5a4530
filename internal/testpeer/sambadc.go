package testpeer

import (
	"bufio"
	"bytes"
	"fmt"
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

// SambaDCConfig describes a throw-away Samba Active Directory domain controller.
type SambaDCConfig struct {
	Realm  string // DNS realm; default "S3D.TEST"
	Domain string // NetBIOS domain; default "S3D"
	// AdminPassword is the domain Administrator's password; it must meet the default
	// complexity rules, which apply while provisioning.
	AdminPassword string
	// Addr is the loopback address the DC binds inside the namespace; it is added to the
	// namespace's lo. Every port (445, 139, 135, the RPC range) is the namespace's own, so
	// parallel runs and other Samba instances cannot collide.
	Addr netip.Addr
}

// SambaDC is a provisioned domain controller in a network namespace: samba-tool edits its
// database (Tool) before and while it runs; Start runs it until the test ends.
type SambaDC struct {
	NS     string         // the network namespace it runs in
	Addr   netip.AddrPort // Addr:445, reachable only from inside NS
	Dir    string         // the provision's target directory: database, config, logs
	Conf   string         // its smb.conf
	Domain string
	samLDB string
	tool   string
	cmd    *exec.Cmd
}

// ProvisionSambaDC provisions a new domain into a temp dir with samba-tool (about 5 s), with
// no DNS server, bound to cfg.Addr inside the namespace ns, which the caller made (package
// testns) and which must outlive the DC. It skips (or fails, see Need) without root, the
// samba binary, samba-tool or winbindd: Debian's samba-ad-dc package, whose winbind the DC's
// smbd needs to turn a domain SID into a Unix id at every logon.
func ProvisionSambaDC(t testing.TB, ns string, cfg SambaDCConfig) *SambaDC {
	t.Helper()
	Need(t, "root (for the domain controller's namespace and bind mounts)", os.Geteuid() == 0)
	LookPath(t, "samba", "/usr/sbin/samba")
	LookPath(t, "winbindd", "/usr/sbin/winbindd")
	tool := LookPath(t, "samba-tool", "/usr/bin/samba-tool")
	if !cfg.Addr.IsLoopback() {
		t.Fatalf("testpeer: domain controller address %s is not loopback", cfg.Addr)
	}
	if cfg.AdminPassword == "" {
		t.Fatal("testpeer: SambaDCConfig.AdminPassword is empty")
	}
	orDefault := func(v, def string) string {
		if v == "" {
			return def
		}
		return v
	}
	dc := &SambaDC{NS: ns, Addr: netip.AddrPortFrom(cfg.Addr, 445), Dir: t.TempDir(), Domain: orDefault(cfg.Domain, "S3D"), tool: tool}
	dc.Conf = dc.path("etc", "smb.conf")
	dc.samLDB = dc.path("private", "sam.ldb")
	for _, sub := range []string{"run", "log"} {
		if err := os.MkdirAll(dc.path(sub), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	args := []string{"domain", "provision", "--server-role=dc", "--dns-backend=NONE",
		"--realm=" + orDefault(cfg.Realm, "S3D.TEST"), "--domain=" + dc.Domain, "--host-name=S3DDC",
		"--adminpass=" + cfg.AdminPassword, "--targetdir=" + dc.Dir}
	for _, o := range []string{
		"interfaces = " + cfg.Addr.String(),
		"bind interfaces only = yes",
		// NTLM over SMB needs only these: no LDAP, Kerberos, DNS, NetBIOS name service or
		// replication, so fewer ports and a faster start.
		"server services = s3fs, rpc, winbindd",
		"log file = " + dc.path("log", "log.%m"),
		"log level = 1",
	} {
		args = append(args, "--option="+o)
	}
	runCmd(t, 120*time.Second, tool, args...)
	runCmd(t, 20*time.Second, "ip", "-n", ns, "addr", "add", cfg.Addr.String()+"/32", "dev", "lo")
	return dc
}

func (dc *SambaDC) path(elem ...string) string {
	return filepath.Join(append([]string{dc.Dir}, elem...)...)
}

// Tool runs samba-tool args… against the DC's database (-H sam.ldb, no network), failing t
// on error, and returns its output.
func (dc *SambaDC) Tool(t testing.TB, args ...string) []byte {
	t.Helper()
	return runCmd(t, 60*time.Second, dc.tool, append(args, "-H", dc.samLDB)...)
}

// Start runs samba in the foreground in the DC's namespace until t ends, and returns once
// port 445 accepts connections and winbindd's socket exists (a logon before that fails
// with STATUS_INTERNAL_ERROR). samba runs in the mount namespace `ip netns exec` gives it,
// with /run/samba and /var/log/samba bind-mounted on the DC's own directories: the DC's
// smbd reaches winbindd at the compiled-in socket path, whatever smb.conf says, and the
// services it forks log under /var/log/samba. Nothing of the host's is touched. On cleanup
// samba and what it forked are stopped; on failure the logs are printed.
func (dc *SambaDC) Start(t testing.TB) {
	t.Helper()
	samba := LookPath(t, "samba", "/usr/sbin/samba")
	script := `mkdir -p /run/samba /var/log/samba && mount --bind "$1" /run/samba && mount --bind "$2" /var/log/samba && exec "$3" -i -s "$4"`
	dc.cmd = exec.Command("ip", "netns", "exec", dc.NS, "sh", "-c", script, "sh", dc.path("run"), dc.path("log"), samba, dc.Conf)
	outPath := dc.path("samba.out")
	out, err := os.Create(outPath)
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close() // the child holds its own descriptor
	dc.cmd.Stdout, dc.cmd.Stderr = out, out
	// Its own process group: samba signals its group on exit.
	dc.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := dc.cmd.Start(); err != nil {
		t.Fatalf("samba: %v", err)
	}
	t.Cleanup(func() {
		dc.stop()
		if t.Failed() {
			t.Logf("samba output:\n%s", readFile(outPath))
			for _, l := range []string{"log.smbd", "log.winbindd", "log." + dc.Addr.Addr().String()} {
				t.Logf("%s (tail):\n%s", l, tail(readFile(dc.path("log", l)), 40))
			}
		}
	})
	deadline := time.Now().Add(30 * time.Second)
	for {
		_, err := os.Stat(dc.path("run", "winbindd", "pipe"))
		if err == nil && dc.listening() {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("samba did not get ready on %s in %s (winbindd socket: %v)\n%s", dc.Addr, dc.NS, err, readFile(outPath))
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// listening reports whether something in the namespace listens on the DC's port 445, from
// ss: the test process itself is not in the namespace.
func (dc *SambaDC) listening() bool {
	out, err := exec.Command("ip", "netns", "exec", dc.NS, "ss", "-Hltn", "sport = :445").Output()
	return err == nil && bytes.Contains(out, []byte(dc.Addr.Addr().String()+":445"))
}

// stop ends samba's process group (SIGTERM, then SIGKILL after 10 s) and waits for it, so
// that the temp dir it writes to can be removed.
func (dc *SambaDC) stop() {
	if dc.cmd == nil || dc.cmd.Process == nil {
		return
	}
	pgid := dc.cmd.Process.Pid
	syscall.Kill(-pgid, syscall.SIGTERM)
	done := make(chan struct{})
	go func() { dc.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		syscall.Kill(-pgid, syscall.SIGKILL)
		<-done
	}
	// Forked services that left the group (smbd makes its own) are found by their config
	// argument, as for StartSamba.
	killHelpers(dc.Conf)
}

// SetSMB1 switches the dialects the DC's smbd offers for new connections (SMB1Off: Samba's
// default, SMB2 and later; SMB1Only: NT1 alone) by rewriting smb.conf and sending smbd
// SIGHUP; it returns once smbd has logged the reload.
func (dc *SambaDC) SetSMB1(t testing.TB, mode SMB1Mode) {
	t.Helper()
	conf, err := os.ReadFile(dc.Conf)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dc.Conf, []byte(withProtocol(string(conf), mode)), 0o644); err != nil {
		t.Fatal(err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(readFile(dc.path("run", "smbd.pid")))))
	if err != nil {
		t.Fatalf("smbd pid: %v", err)
	}
	// smbd rereads the file in its event loop and logs that it did (log level 1).
	const reloaded = "Reloading services after SIGHUP"
	logPath := dc.path("log", "log.smbd")
	n := bytes.Count(readFile(logPath), []byte(reloaded))
	if err := syscall.Kill(pid, syscall.SIGHUP); err != nil {
		t.Fatalf("SIGHUP smbd %d: %v", pid, err)
	}
	for deadline := time.Now().Add(10 * time.Second); bytes.Count(readFile(logPath), []byte(reloaded)) == n; {
		if time.Now().After(deadline) {
			t.Fatalf("smbd did not reload its configuration:\n%s", tail(readFile(logPath), 20))
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// withProtocol returns the smb.conf text conf with its server min/max protocol lines
// replaced by those of mode, placed right after [global].
func withProtocol(conf string, mode SMB1Mode) string {
	var lines []string
	for _, l := range strings.Split(conf, "\n") {
		if k := strings.TrimSpace(l); strings.HasPrefix(k, "server min protocol") || strings.HasPrefix(k, "server max protocol") {
			continue
		}
		lines = append(lines, l)
		if strings.TrimSpace(l) == "[global]" {
			switch mode {
			case SMB1On:
				lines = append(lines, "\tserver min protocol = NT1")
			case SMB1Only:
				lines = append(lines, "\tserver min protocol = NT1", "\tserver max protocol = NT1")
			}
		}
	}
	return strings.Join(lines, "\n")
}

// DCAccount is one account's lockout state in the DC's database.
type DCAccount struct {
	BadPwdCount int   // failed logons counted in the current observation window
	LockoutTime int64 // non-zero: locked out (NT time of the lockout)
}

// Accounts reads every user account's badPwdCount and lockoutTime straight from sam.ldb
// (one Python process with Samba's own bindings, instead of one samba-tool per account).
func (dc *SambaDC) Accounts(t testing.TB) map[string]DCAccount {
	t.Helper()
	const script = `import sys
from samba.samdb import SamDB
from samba.param import LoadParm
from samba.auth import system_session
lp = LoadParm()
lp.load(sys.argv[1])
db = SamDB(url=sys.argv[2], session_info=system_session(), lp=lp)
for m in db.search(expression="(&(objectClass=user)(sAMAccountName=*))", attrs=["sAMAccountName", "badPwdCount", "lockoutTime"]):
    print(m.get("sAMAccountName", idx=0), m.get("badPwdCount", idx=0) or 0, m.get("lockoutTime", idx=0) or 0)
`
	out := runCmd(t, 60*time.Second, "/usr/bin/python3", "-c", script, dc.Conf, dc.samLDB)
	accts, err := parseDCAccounts(out)
	if err != nil {
		t.Fatalf("%s: %v\n%s", dc.samLDB, err, out)
	}
	return accts
}

// parseDCAccounts reads the "name badPwdCount lockoutTime" lines of Accounts' script.
func parseDCAccounts(out []byte) (map[string]DCAccount, error) {
	accts := map[string]DCAccount{}
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) == 0 {
			continue
		}
		if len(f) != 3 {
			return nil, fmt.Errorf("account line %q", sc.Text())
		}
		n, err1 := strconv.Atoi(f[1])
		lt, err2 := strconv.ParseInt(f[2], 10, 64)
		if err1 != nil || err2 != nil {
			return nil, fmt.Errorf("account line %q", sc.Text())
		}
		accts[f[0]] = DCAccount{BadPwdCount: n, LockoutTime: lt}
	}
	if len(accts) == 0 {
		return nil, fmt.Errorf("no accounts")
	}
	return accts, nil
}

// runCmd runs name args… with a timeout, failing t with its output on error.
func runCmd(t testing.TB, timeout time.Duration, name string, args ...string) []byte {
	t.Helper()
	cmd := exec.Command(name, args...)
	var buf bytes.Buffer
	cmd.Stdout, cmd.Stderr = &buf, &buf
	if err := cmd.Start(); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	timer := time.AfterFunc(timeout, func() { cmd.Process.Kill() })
	err := cmd.Wait()
	timer.Stop()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", filepath.Base(name), strings.Join(redactArgs(args), " "), err, tail(buf.Bytes(), 40))
	}
	return buf.Bytes()
}

// redactArgs hides --adminpass in a failure message.
func redactArgs(args []string) []string {
	out := make([]string, len(args))
	for i, a := range args {
		if strings.HasPrefix(a, "--adminpass=") {
			a = "--adminpass=…"
		}
		out[i] = a
	}
	return out
}

func tail(b []byte, n int) string {
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return fmt.Sprintln(strings.Join(lines, "\n"))
}
