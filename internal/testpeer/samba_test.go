package testpeer

import (
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

func TestSambaConfig(t *testing.T) {
	s := &Samba{Port: 1445, Dir: "/x", Conf: "/x/smb.conf"}
	conf := s.config(SambaConfig{
		NetBIOSName: "S445CRED", MapToGuest: "Bad User", SMB1: SMB1Only, Signing: "mandatory",
		RestrictAnonymous: 2, Global: []string{"  ntlm auth = yes "},
		Shares: []SambaShare{{Name: "ADMIN$", Path: "share", ValidUsers: []string{"a", "b"}},
			{Name: "public", Path: "pub", Guest: true}},
	})
	for _, want := range []string{
		"\tnetbios name = S445CRED\n", "\tworkgroup = WORKGROUP\n", "\tsmb ports = 1445\n",
		"\tmap to guest = Bad User\n", "\trestrict anonymous = 2\n",
		"\tserver min protocol = NT1\n\tserver max protocol = NT1\n", "\tserver signing = mandatory\n",
		"\tntlm auth = yes\n", "\tprivate dir = /x/private\n",
		"[ADMIN$]\n\tpath = /x/share\n\tread only = yes\n\tvalid users = a b\n",
		"[public]\n\tpath = /x/pub\n\tread only = yes\n\tguest ok = yes\n",
	} {
		if !strings.Contains(conf, want) {
			t.Errorf("config lacks %q:\n%s", want, conf)
		}
	}
	if conf := s.config(SambaConfig{}); strings.Contains(conf, "server min protocol") ||
		strings.Contains(conf, "server signing") || !strings.Contains(conf, "\tnetbios name = SAMBALAB\n") {
		t.Errorf("zero config:\n%s", conf)
	}
}

// TestStartSamba starts a real smbd and checks that it listens on loopback and that Cleanup
// leaves no process of the instance behind.
func TestStartSamba(t *testing.T) {
	if testing.Short() {
		t.Skip("starts smbd")
	}
	var conf string
	t.Run("run", func(t *testing.T) {
		s := StartSamba(t, SambaConfig{SMB1: SMB1On, Shares: []SambaShare{{Name: "public", Path: "share", Guest: true}}})
		conf = s.Conf
		if !s.Addr.Addr().IsLoopback() || int(s.Addr.Port()) != s.Port {
			t.Errorf("addr %s port %d", s.Addr, s.Port)
		}
		if st, err := os.Stat(s.Path("share")); err != nil || !st.IsDir() {
			t.Errorf("share dir: %v", err)
		}
		c := s.Dial(t)
		c.Close()
	})
	if conf == "" {
		return // skipped: no smbd
	}
	ents, _ := os.ReadDir("/proc")
	for _, e := range ents {
		if _, err := strconv.Atoi(e.Name()); err != nil {
			continue
		}
		cl, _ := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		st, _ := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if bytes.Contains(cl, []byte(conf)) && !bytes.Contains(st, []byte(") Z ")) {
			t.Errorf("pid %s still runs after Cleanup: %q", e.Name(), cl)
		}
	}
}
