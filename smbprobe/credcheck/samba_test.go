package credcheck

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/scan445/scan445/internal/testpeer"
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

// sambaServer is a private smbd with both accounts and a read-only "other" share, and
// ADMIN$ (valid for sambaUser only) unless left out; both shares are the same directory.
type sambaServer struct {
	*testpeer.Samba
	file string // ADMIN$\system32\netapi32.dll on disk
}

func startSamba(t *testing.T, cfg sambaConfig) *sambaServer {
	t.Helper()
	pc := testpeer.SambaConfig{
		NetBIOSName:       "S445CRED",
		RestrictAnonymous: 2,
		Signing:           cfg.signing,
		Users:             []testpeer.SambaUser{{Name: sambaUser, Password: sambaPassword}, {Name: sambaDenyUser, Password: sambaPassword}},
	}
	if cfg.smb1 {
		pc.SMB1 = testpeer.SMB1On
	}
	if !cfg.noAdminShare {
		pc.Shares = append(pc.Shares, testpeer.SambaShare{Name: "ADMIN$", Path: "share", ValidUsers: []string{sambaUser}})
	}
	pc.Shares = append(pc.Shares, testpeer.SambaShare{Name: "other", Path: "share"})
	s := &sambaServer{Samba: testpeer.StartSamba(t, pc)}
	if err := os.MkdirAll(s.Path("share", "system32"), 0o755); err != nil {
		t.Fatal(err)
	}
	s.file = s.Path("share", "system32", "netapi32.dll")
	return s
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

func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}
