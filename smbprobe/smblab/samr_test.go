package smblab

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/scan445/scan445/internal/testpeer"
	"github.com/scan445/scan445/smbprobe/ntstatus"
	"github.com/scan445/scan445/smbprobe/samr"
)

func samLab(t *testing.T, base string, sam *SAMConfig) *Lab {
	t.Helper()
	p := WithSAM(personality(t, base), base+"-sam", sam)
	var lab *Lab
	var err error
	for try := 0; try < 5; try++ {
		if lab, err = Start(context.Background(), Options{First: testBase(), Personalities: []Personality{p}}); err == nil {
			break
		}
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { lab.Close() })
	return lab
}

type impacketSAMR struct {
	Domains   []string `json:"domains"`
	SID       string   `json:"sid"`
	Threshold int      `json:"threshold"`
	Window    int64    `json:"window"`
	Users     [][2]any `json:"users"`
	Logons    []string `json:"logons"`
}

// impacketJSON runs one of testdata's impacket client scripts (python3 from Debian, where
// impacket is installed) with args and decodes the JSON object it prints into out.
func impacketJSON(t *testing.T, out any, args ...string) {
	t.Helper()
	const py = "/usr/bin/python3"
	testpeer.Need(t, "python3-impacket", exec.Command(py, "-c", "import impacket").Run() == nil)
	script, _ := filepath.Abs(filepath.Join("testdata", args[0]))
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, py, append([]string{script}, args[1:]...)...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	b, err := cmd.Output()
	if err != nil {
		t.Fatalf("impacket: %v\n%s", err, stderr.String())
	}
	if err := json.Unmarshal(b, out); err != nil {
		t.Fatalf("%v: %s", err, b)
	}
}

func runImpacketSAMR(t *testing.T, h Host, proto string, pairs ...string) impacketSAMR {
	t.Helper()
	var r impacketSAMR
	impacketJSON(t, &r, append([]string{"impacket_samr.py", h.Addr.String(), fmt.Sprint(h.Port), proto, h.Account.User, h.Account.Password}, pairs...)...)
	return r
}

// impacket, a SAMR client we did not write, reads the lab's accounts and lockout policy, and
// the lab locks an account at the threshold: after that even the right password is refused.
func TestImpacketSAMRAndLockout(t *testing.T) {
	for _, tc := range []struct{ base, proto string }{{"xp-sp3-patched", "smb1"}, {"vista-sp1", "smb2"}} {
		t.Run(tc.proto, func(t *testing.T) {
			sam := WeakPasswordSAM(3, 30*time.Minute, 30*time.Minute)
			sam.PageSize = 2 // exercise STATUS_MORE_ENTRIES paging
			lab := samLab(t, tc.base, sam)
			h := lab.Hosts()[0]
			r := runImpacketSAMR(t, h, tc.proto,
				"alice", "wrong1", "alice", "wrong2", "alice", "qweasdzxc", // 2 failures: still below 3
				"bob", "x1", "bob", "x2", "bob", "x3", "bob", "Corr3ct-Horse-Battery!", // locked at 3: right password refused
				"olduser", "password", "carol", "Winter-Lab-2026")
			if r.Threshold != 3 || r.Window != samr.RelativeTime(30*time.Minute) || len(r.Domains) != 2 || !strings.HasPrefix(r.SID, "S-1-5-21-") {
				t.Errorf("policy/domain: %+v", r)
			}
			var names []string
			for _, u := range r.Users {
				names = append(names, fmt.Sprint(u[0]))
			}
			if got := strings.Join(names, ","); got != "labadmin,alice,bob,carol,olduser,dave" {
				t.Errorf("users %s", got)
			}
			want := []string{"STATUS_LOGON_FAILURE", "STATUS_LOGON_FAILURE", "STATUS_SUCCESS",
				"STATUS_LOGON_FAILURE", "STATUS_LOGON_FAILURE", "STATUS_LOGON_FAILURE", "STATUS_ACCOUNT_LOCKED_OUT",
				"STATUS_ACCOUNT_DISABLED", "STATUS_SUCCESS"}
			if strings.Join(r.Logons, " ") != strings.Join(want, " ") {
				t.Errorf("logons\n got %v\nwant %v", r.Logons, want)
			}
			lo := lab.Lockouts()
			if len(lo) != 1 || lo[0].User != "bob" || lo[0].Addr != h.Addr {
				t.Errorf("lockouts %+v", lo)
			}
			if p := lab.BadLogonPeaks(h.Addr); p["alice"] != 2 || p["bob"] != 3 {
				t.Errorf("peaks %v", p)
			}
		})
	}
}

// The lockout counter resets after the observation window, and a lockout ends after its
// duration, on the lab's clock.
func TestSAMLockoutClock(t *testing.T) {
	now := time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC)
	l := &Lab{}
	p := WithSAM(personality(t, "xp-sp3-patched"), "x", WeakPasswordSAM(3, 10*time.Minute, 30*time.Minute))
	st := newSAMState(l, testBase(), &p)
	alice, _ := st.find("ALICE")
	steps := []struct {
		after time.Duration
		ok    bool
		want  ntstatus.Status
	}{
		{0, false, ntstatus.LogonFailure},
		{time.Minute, false, ntstatus.LogonFailure},
		{11 * time.Minute, false, ntstatus.LogonFailure}, // window passed: the count restarted at 1
		{time.Minute, false, ntstatus.LogonFailure},      // 2
		{time.Minute, true, ntstatus.Success},            // resets the count
		{time.Minute, false, ntstatus.LogonFailure},      // 1
		{time.Minute, false, ntstatus.LogonFailure},      // 2
		{time.Minute, false, ntstatus.LogonFailure},      // 3: locked
		{time.Minute, true, ntstatus.AccountLockedOut},
		{28 * time.Minute, true, ntstatus.AccountLockedOut},
		{time.Minute, true, ntstatus.Success}, // 30 min after the lockout
	}
	for i, s := range steps {
		now = now.Add(s.after)
		if got := st.logon(now, alice, s.ok); got != s.want {
			t.Fatalf("step %d: %s, want %s", i, got, s.want)
		}
	}
	if len(l.Lockouts()) != 1 {
		t.Errorf("lockouts %v", l.Lockouts())
	}
}

// The SAMR server answers only the read-only opnums; any other is nca_op_rng_error, and a
// personality without a SAM has no \samr pipe.
func TestSAMRServer(t *testing.T) {
	p := WithSAM(personality(t, "xp-sp3-patched"), "x", WeakPasswordSAM(0, 0, 0))
	s := newSession(&p, testBase(), time.Now)
	s.sam = newSAMState(&Lab{}, testBase(), &p)
	for _, op := range []uint16{2, 9, 12, 37, 38, 55, 58, 99} {
		if r := s.samr(op, make([]byte, 64)); r.fault != faultOpRngError {
			t.Errorf("opnum %d: %+v", op, r)
		}
	}
	if r := s.samr(samr.OpSamrOpenDomain, []byte{1, 2}); r.fault != faultBadStub {
		t.Errorf("bad stub: %+v", r)
	}
	plain := personality(t, "xp-sp3-patched")
	if st := newSession(&plain, testBase(), time.Now).pipeAccess(&user{done: true}, "samr"); st != ntstatus.ObjectNameNotFound {
		t.Errorf("samr without a SAM: %s", st)
	}
	if st := s.pipeAccess(&user{anonymous: true, done: true}, "samr"); st != ntstatus.AccessDenied {
		t.Errorf("anonymous samr: %s", st)
	}
}
