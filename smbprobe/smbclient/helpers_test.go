package smbclient

import (
	"context"
	"net"
	"net/netip"
	"testing"
	"time"

	"github.com/scan445/scan445/smbprobe/dcerpc"
	"github.com/scan445/scan445/smbprobe/ntlmssp"
	"github.com/scan445/scan445/smbprobe/smblab"
)

// winreg is MS-RRP's interface, which the lab does not serve (its binds are rejected) and
// Samba does.
var winreg = dcerpc.SyntaxID{UUID: dcerpc.MustParseUUID("338cd001-2244-31f1-aaaa-900038001003"), Version: 1}

func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// labHost starts the lab with the one personality named and returns its host and account.
func labHost(t *testing.T, first, name string) (smblab.Host, ntlmssp.Credentials) {
	t.Helper()
	var ps []smblab.Personality
	for _, p := range smblab.DefaultPersonalities() {
		if p.Name == name {
			ps = append(ps, p)
		}
	}
	if len(ps) != 1 || ps[0].Account == nil {
		t.Fatalf("no lab personality %q with an account", name)
	}
	lab, err := smblab.Start(testCtx(t), smblab.Options{First: netip.MustParseAddr(first), Personalities: ps})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { lab.Close() })
	a := ps[0].Account
	return lab.Hosts()[0], ntlmssp.Credentials{User: a.User, Hash: ntlmssp.NTHash(a.Password)}
}

func dial(t *testing.T, ap netip.AddrPort) net.Conn {
	t.Helper()
	c, err := net.DialTimeout("tcp", ap.String(), 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	return c
}
