package credcheck

import (
	"encoding/hex"
	"net"
	"testing"

	"github.com/scan445/scan445/smbprobe/ntlmssp"
)

func ntHashHex(pw string) string {
	h := ntlmssp.NTHash(pw)
	return hex.EncodeToString(h[:])
}

func netPipe(t *testing.T) (net.Conn, net.Conn) {
	t.Helper()
	a, b := net.Pipe()
	t.Cleanup(func() { a.Close(); b.Close() })
	return a, b
}
