package credcheck

import (
	"errors"
	"os"
	"testing"
	"time"

	"github.com/scan445/scan445/smbprobe/netapi"
)

// versionCases are netapi32.dll builds on both sides of each branch's fix (docs/checks.md §3b).
var versionCases = []struct {
	name   string
	v      netapi.FileVersion
	want   netapi.Status
	branch string
}{
	{"xp-sp3-unpatched", netapi.FileVersion{Major: 5, Minor: 1, Build: 2600, Revision: 5512}, netapi.Vulnerable, "XP SP3"},
	{"xp-sp3-kb958644", netapi.FileVersion{Major: 5, Minor: 1, Build: 2600, Revision: 5694}, netapi.Patched, "XP SP3"},
	{"2003-sp2-one-below-fix", netapi.FileVersion{Major: 5, Minor: 2, Build: 3790, Revision: 4391}, netapi.Vulnerable, ""},
	{"2003-sp2-fix", netapi.FileVersion{Major: 5, Minor: 2, Build: 3790, Revision: 4392}, netapi.Patched, ""},
	{"vista-sp1-ldr-unpatched", netapi.FileVersion{Major: 6, Minor: 0, Build: 6001, Revision: 22000}, netapi.Vulnerable, ""},
	{"vista-sp1-ldr-fix", netapi.FileVersion{Major: 6, Minor: 0, Build: 6001, Revision: 22288}, netapi.Patched, ""},
	{"2008-sp2", netapi.FileVersion{Major: 6, Minor: 0, Build: 6002, Revision: 18005}, netapi.NotAffected, ""},
}

func TestSMB2SambaVersions(t *testing.T) {
	s := startSamba(t, sambaConfig{})
	cred := Credentials{User: sambaUser, Password: sambaPassword}
	for _, tc := range versionCases {
		t.Run(tc.name, func(t *testing.T) {
			pe := s.serve(t, tc.v)
			out, err := ReadNetapiVersionSMB2(testCtx(t), s.Dial(t), "127.0.0.1", cred, 10*time.Second)
			if err != nil {
				t.Fatalf("err %v, outcome %+v", err, out)
			}
			checkDecided(t, out, tc.v, tc.want, tc.branch, int64(len(pe)))
		})
	}
}

func checkDecided(t *testing.T, out Outcome, v netapi.FileVersion, want netapi.Status, branch string, size int64) {
	t.Helper()
	if out.Verdict != want || out.Judgement == nil || out.Judgement.Version != v || !out.Decided() {
		t.Fatalf("verdict %q judgement %+v, want %q for %v; steps %+v", out.Verdict, out.Judgement, want, v, out.Steps)
	}
	if branch != "" && out.Judgement.Branch != branch {
		t.Errorf("branch %q, want %q", out.Judgement.Branch, branch)
	}
	if out.Reason != ReasonNone {
		t.Errorf("reason %q on a decided outcome", out.Reason)
	}
	if out.FileSize != size || out.BytesRead <= 0 || out.BytesRead > size || out.ReadCalls == 0 {
		t.Errorf("size %d bytes read %d in %d calls, file %d bytes", out.FileSize, out.BytesRead, out.ReadCalls, size)
	}
	if out.FileVersionString != v.String() {
		t.Errorf("FileVersion string %q, want %q", out.FileVersionString, v.String())
	}
	if out.ServicePack != ServicePackUnavailable {
		t.Errorf("service pack %q", out.ServicePack)
	}
}

// refusalCases run against a server and must end unknown with the given reason.
func TestSMB2SambaRefusals(t *testing.T) {
	s := startSamba(t, sambaConfig{})
	noAdmin := startSamba(t, sambaConfig{noAdminShare: true})
	good := Credentials{User: sambaUser, Password: sambaPassword}
	xp := netapi.FileVersion{Major: 5, Minor: 1, Build: 2600, Revision: 5512}
	cases := []struct {
		name  string
		srv   *sambaServer
		cred  Credentials
		setup func(t *testing.T)
		want  Reason
	}{
		{"wrong-password", s, Credentials{User: sambaUser, Password: "not-it"}, nil, ReasonLogonFailure},
		{"unknown-user", s, Credentials{User: "s445nobody", Password: "x"}, nil, ReasonLogonFailure},
		{"user-without-access", s, Credentials{User: sambaDenyUser, Password: sambaPassword}, nil, ReasonAccessDenied},
		{"no-admin-share", noAdmin, good, nil, ReasonNoAdminShare},
		{"file-missing", s, good, func(t *testing.T) { os.Remove(s.file) }, ReasonFileMissing},
		{"file-unreadable", s, good, func(t *testing.T) { s.serve(t, xp); os.Chmod(s.file, 0) }, ReasonAccessDenied},
		{"not-a-pe", s, good, func(t *testing.T) { os.Remove(s.file); os.WriteFile(s.file, []byte("MZ not really"), 0o644) }, ReasonParseError},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if tc.setup != nil {
				tc.setup(t)
			}
			out, err := ReadNetapiVersionSMB2(testCtx(t), tc.srv.Dial(t), "127.0.0.1", tc.cred, 10*time.Second)
			if err != nil {
				t.Fatalf("err %v (a refusal is data, not an error); outcome %+v", err, out)
			}
			if out.Verdict != netapi.Unknown || out.Reason != tc.want || out.Decided() {
				t.Fatalf("verdict %q reason %q detail %q, want unknown/%q; steps %+v", out.Verdict, out.Reason, out.Detail, tc.want, out.Steps)
			}
			t.Logf("%s: %s", out.Reason, out.Detail)
		})
	}
}

func TestSMB2HashLogin(t *testing.T) {
	s := startSamba(t, sambaConfig{})
	v := netapi.FileVersion{Major: 5, Minor: 1, Build: 2600, Revision: 5694}
	pe := s.serve(t, v)
	h, err := ParseHash(ntHashHex(sambaPassword))
	if err != nil {
		t.Fatal(err)
	}
	out, err := ReadNetapiVersionSMB2(testCtx(t), s.Dial(t), "127.0.0.1", Credentials{User: sambaUser, NTHash: h}, 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	checkDecided(t, out, v, netapi.Patched, "XP SP3", int64(len(pe)))
}

func TestSMB2BadCredentialsInput(t *testing.T) {
	for _, c := range []Credentials{{}, {User: "a"}, {User: "a", NTHash: []byte{1, 2}}} {
		a, b := netPipe(t)
		defer b.Close()
		out, err := ReadNetapiVersionSMB2(testCtx(t), a, "127.0.0.1", c, time.Second)
		if !errors.Is(err, ErrBadCredentials) || out.Reason != ReasonBadInput {
			t.Errorf("%v: err %v reason %q", c, err, out.Reason)
		}
	}
}
