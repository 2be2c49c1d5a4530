package smbprobe_test

import (
	"context"
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

	"github.com/scan445/scan445/smbprobe"
)

// startSamba runs a private smbd on a free loopback port with extra global settings and
// returns its endpoint. It skips when smbd is absent, unless SCAN445_REQUIRE_PEERS=1.
func startSamba(t *testing.T, extra string) netip.AddrPort {
	t.Helper()
	smbd, err := exec.LookPath("smbd")
	if err != nil {
		if _, err2 := os.Stat("/usr/sbin/smbd"); err2 == nil {
			smbd = "/usr/sbin/smbd"
		} else if os.Getenv("SCAN445_REQUIRE_PEERS") == "1" {
			t.Fatal("smbd not found and SCAN445_REQUIRE_PEERS=1")
		} else {
			t.Skip("smbd not installed")
		}
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	dir := t.TempDir()
	for _, d := range []string{"state", "lock", "pid", "cache", "private", "ncalrpc", "share"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	conf := fmt.Sprintf(`[global]
	netbios name = SAMBALAB
	workgroup = LABGROUP
	server role = standalone server
	smb ports = %d
	interfaces = lo
	bind interfaces only = yes
	disable netbios = yes
	map to guest = Bad User
	load printers = no
	disable spoolss = yes
	state directory = %[2]s/state
	lock directory = %[2]s/lock
	pid directory = %[2]s/pid
	cache directory = %[2]s/cache
	private dir = %[2]s/private
	ncalrpc dir = %[2]s/ncalrpc
	log file = %[2]s/log.%%m
	max log size = 1000
%[3]s
[public]
	path = %[2]s/share
	guest ok = yes
	read only = yes
`, port, dir, extra)
	confPath := filepath.Join(dir, "smb.conf")
	if err := os.WriteFile(confPath, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(smbd, "--foreground", "--no-process-group", "--configfile="+confPath)
	// Its own process group: smbd signals its group when it shuts down, which must not reach
	// the test binary.
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
		killByConfig(confPath)
	})
	ap := netip.AddrPortFrom(netip.MustParseAddr("127.0.0.1"), uint16(port))
	deadline := time.Now().Add(15 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", ap.String(), 200*time.Millisecond)
		if err == nil {
			c.Close()
			return ap
		}
		if time.Now().After(deadline) {
			t.Fatalf("smbd did not listen on %s: %v", ap, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// killByConfig stops the samba-dcerpcd helpers (and any straggler) that smbd forked for this
// instance, found by their --configfile argument, by PID.
func killByConfig(confPath string) {
	ents, _ := os.ReadDir("/proc")
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == os.Getpid() {
			continue
		}
		cmdline, err := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		if err != nil || !strings.Contains(string(cmdline), confPath) {
			continue
		}
		syscall.Kill(pid, syscall.SIGTERM)
	}
}

func findingOf(t *testing.T, res *smbprobe.Result, check string) smbprobe.Finding {
	t.Helper()
	for _, f := range res.Findings {
		if f.Check == check {
			return f
		}
	}
	t.Fatalf("no %s finding", check)
	return smbprobe.Finding{}
}

func TestSamba(t *testing.T) {
	tests := []struct {
		name  string
		extra string
		check func(t *testing.T, res *smbprobe.Result)
	}{
		{"smb1-only", "\tserver min protocol = NT1\n\tserver max protocol = NT1\n\trestrict anonymous = 0\n", func(t *testing.T, res *smbprobe.Result) {
			fp := res.Fingerprint
			if !fp.SMB1 || fp.SMB2 || len(fp.Dialects) != 1 || fp.Dialects[0] != "NT LM 0.12" {
				t.Errorf("smb1 %t smb2 %t dialects %v", fp.SMB1, fp.SMB2, fp.Dialects)
			}
			if fp.NativeOS != "Windows 6.1" || !strings.HasPrefix(fp.NativeLANMan, "Samba") || fp.OSFamily != smbprobe.FamilySamba {
				t.Errorf("native %q / %q family %q", fp.NativeOS, fp.NativeLANMan, fp.OSFamily)
			}
			if fp.NTLMVersion == nil || fp.NTLMVersion.Build != 0 || fp.NetBIOSName != "SAMBALAB" {
				t.Errorf("ntlm %+v name %q", fp.NTLMVersion, fp.NetBIOSName)
			}
			if fp.Pipe != `\srvsvc` || fp.ServerInfo == nil || fp.ServerInfo.PlatformID != 500 {
				t.Errorf("pipe %q server info %+v", fp.Pipe, fp.ServerInfo)
			}
			if res.Connections != 1 {
				t.Errorf("%d connections", res.Connections)
			}
			expect(t, res, smbprobe.CheckMS08067, smbprobe.NotAffected, "ms08-067/3a.samba")
			expect(t, res, smbprobe.CheckConficker, smbprobe.Unknown, "conficker/4a.call-unsupported")
			if f := findingOf(t, res, smbprobe.CheckConficker); !strings.Contains(f.Reason, "not Windows / call not supported") {
				t.Errorf("conficker reason %q", f.Reason)
			}
			expect(t, res, smbprobe.CheckMS17010, smbprobe.NotAffected, "ms17-010/5.samba")
			expect(t, res, smbprobe.CheckSMBv1, smbprobe.Exposed, "")
			expect(t, res, smbprobe.CheckSigning, smbprobe.Exposed, "")
			expect(t, res, smbprobe.CheckNullSession, smbprobe.Exposed, "")
			expect(t, res, smbprobe.CheckSrvsvcAnon, smbprobe.Exposed, "")
			expect(t, res, smbprobe.CheckOSUnsupported, smbprobe.NotAffected, "")
		}},
		{"default-smb2", "\trestrict anonymous = 0\n", func(t *testing.T, res *smbprobe.Result) {
			fp := res.Fingerprint
			if fp.SMB1 || !fp.SMB2 || len(fp.Dialects) == 0 || fp.Dialects[0] != "3.1.1" {
				t.Errorf("smb1 %t smb2 %t dialects %v", fp.SMB1, fp.SMB2, fp.Dialects)
			}
			if fp.OSFamily != smbprobe.FamilySamba || fp.NetBIOSName != "SAMBALAB" {
				t.Errorf("family %q name %q", fp.OSFamily, fp.NetBIOSName)
			}
			expect(t, res, smbprobe.CheckSMBv1, smbprobe.NotAffected, "")
			expect(t, res, smbprobe.CheckMS17010, smbprobe.NotAffected, "ms17-010/5.no-smb1")
			expect(t, res, smbprobe.CheckMS08067, smbprobe.NotAffected, "ms08-067/3a.samba")
			expect(t, res, smbprobe.CheckConficker, smbprobe.Unknown, "")
			expect(t, res, smbprobe.CheckSigning, smbprobe.Exposed, "")
		}},
		{"signing-mandatory", "\tserver signing = mandatory\n\trestrict anonymous = 0\n", func(t *testing.T, res *smbprobe.Result) {
			if !res.Fingerprint.SigningRequired {
				t.Errorf("signing required not seen: %+v", res.Fingerprint)
			}
			expect(t, res, smbprobe.CheckSigning, smbprobe.NotAffected, "")
			expect(t, res, smbprobe.CheckMS08067, smbprobe.NotAffected, "ms08-067/3a.samba")
		}},
		{"restrict-anonymous-2", "\tserver min protocol = NT1\n\trestrict anonymous = 2\n", func(t *testing.T, res *smbprobe.Result) {
			expect(t, res, smbprobe.CheckNullSession, smbprobe.NotAffected, "")
			expect(t, res, smbprobe.CheckSrvsvcAnon, smbprobe.NotAffected, "")
			expect(t, res, smbprobe.CheckConficker, smbprobe.Unknown, "conficker/4a.not-run")
			expect(t, res, smbprobe.CheckMS08067, smbprobe.NotAffected, "ms08-067/3a.samba")
		}},
	}
	for _, tt := range tests {
		tt := tt
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ap := startSamba(t, tt.extra)
			p, err := smbprobe.New(smbprobe.Options{ReadTimeout: 5 * time.Second, Checks: nonP2P()})
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			res := probeAddr(ctx, t, p, ap)
			if res.Error != "" {
				t.Errorf("probe error: %s", res.Error)
			}
			tt.check(t, res)
			if t.Failed() || os.Getenv("SCAN445_DUMP") != "" {
				t.Log(dump(t, res))
			}
		})
	}
}

func nonP2P() []string {
	var out []string
	for _, c := range smbprobe.DefaultChecks() {
		if c != smbprobe.CheckConfickerP2P {
			out = append(out, c)
		}
	}
	return out
}

func expect(t *testing.T, res *smbprobe.Result, check string, v smbprobe.Verdict, rule string) {
	t.Helper()
	f := findingOf(t, res, check)
	if f.Verdict != v || (rule != "" && f.Rule != rule) {
		t.Errorf("%s: got %s (%s: %s), want %s %s", check, f.Verdict, f.Rule, f.Reason, v, rule)
	}
}
