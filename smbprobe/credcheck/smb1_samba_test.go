package credcheck

import (
	"os"
	"strings"
	"testing"
	"time"

	"github.com/scan445/scan445/smbprobe/netapi"
)

func TestSMB1SambaVersions(t *testing.T) {
	for _, signing := range []string{"", "mandatory"} {
		t.Run("signing="+signing, func(t *testing.T) {
			s := startSamba(t, sambaConfig{smb1: true, signing: signing})
			cred := Credentials{User: sambaUser, Password: sambaPassword}
			for _, tc := range versionCases {
				t.Run(tc.name, func(t *testing.T) {
					pe := s.serve(t, tc.v)
					out, err := ReadNetapiVersionSMB1(testCtx(t), s.Dial(t), "127.0.0.1", cred, 10*time.Second)
					if err != nil {
						t.Fatalf("err %v, outcome %+v", err, out)
					}
					checkDecided(t, out, tc.v, tc.want, tc.branch, int64(len(pe)))
					if out.Signed != (signing == "mandatory") {
						t.Errorf("signed %t with server signing %q", out.Signed, signing)
					}
					if last := out.Steps[len(out.Steps)-1]; last.Name != "smb1.logoff" {
						t.Errorf("last step %+v, want a clean logoff", last)
					}
				})
			}
		})
	}
}

func TestSMB1SambaRefusals(t *testing.T) {
	s := startSamba(t, sambaConfig{smb1: true})
	noAdmin := startSamba(t, sambaConfig{smb1: true, noAdminShare: true})
	noSMB1 := startSamba(t, sambaConfig{})
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
		{"wrong-hash", s, Credentials{User: sambaUser, NTHash: make([]byte, 16)}, nil, ReasonLogonFailure},
		{"user-without-access", s, Credentials{User: sambaDenyUser, Password: sambaPassword}, nil, ReasonAccessDenied},
		{"no-admin-share", noAdmin, good, nil, ReasonNoAdminShare},
		{"smb1-disabled", noSMB1, good, nil, ReasonUnsupported},
		{"file-missing", s, good, func(t *testing.T) { os.Remove(s.file) }, ReasonFileMissing},
		{"file-unreadable", s, good, func(t *testing.T) { s.serve(t, xp); os.Chmod(s.file, 0) }, ReasonAccessDenied},
		{"not-a-pe", s, good, func(t *testing.T) { os.Remove(s.file); os.WriteFile(s.file, []byte("MZ not really"), 0o644) }, ReasonParseError},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if tc.setup != nil {
				tc.setup(t)
			}
			out, err := ReadNetapiVersionSMB1(testCtx(t), tc.srv.Dial(t), "127.0.0.1", tc.cred, 10*time.Second)
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

func TestSMB1HashLogin(t *testing.T) {
	s := startSamba(t, sambaConfig{smb1: true})
	v := netapi.FileVersion{Major: 5, Minor: 2, Build: 3790, Revision: 4392}
	pe := s.serve(t, v)
	h, err := ParseHash("aad3b435b51404eeaad3b435b51404ee:" + ntHashHex(sambaPassword))
	if err != nil {
		t.Fatal(err)
	}
	out, err := ReadNetapiVersionSMB1(testCtx(t), s.Dial(t), "127.0.0.1", Credentials{Domain: "S445CRED", User: sambaUser, NTHash: h}, 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	checkDecided(t, out, v, netapi.Patched, "", int64(len(pe)))
}

func TestSMB1SambaSigningEvidence(t *testing.T) {
	s := startSamba(t, sambaConfig{smb1: true, signing: "mandatory"})
	s.serve(t, netapi.FileVersion{Major: 5, Minor: 1, Build: 2600, Revision: 5694})
	out, err := ReadNetapiVersionSMB1(testCtx(t), s.Dial(t), "127.0.0.1", Credentials{User: sambaUser, Password: sambaPassword}, 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	var logon string
	for _, st := range out.Steps {
		if st.Name == "smb1.session-setup" {
			logon = st.Detail
		}
	}
	// Samba signs the final SESSION_SETUP reply with sequence number 1.
	if !out.Signed || !strings.Contains(logon, "signature verifies") {
		t.Fatalf("signed %t, logon step %q", out.Signed, logon)
	}
}
