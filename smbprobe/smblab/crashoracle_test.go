package smblab

import (
	"net/netip"
	"testing"
	"time"

	"github.com/scan445/scan445/smbprobe/srvsvc"
)

// TestCrashDetectorJoinsPrefix: the lab's crash detector (internal/ms08model) runs the routine
// on the prefix joined to the path, as the server's caller does, so a request whose overflow
// appears only once joined crashes an unpatched host and is refused by a patched one.
func TestCrashDetectorJoinsPrefix(t *testing.T) {
	for _, tc := range []struct {
		pers, prefix, path string
		crash              bool
		werr               srvsvc.WERROR
	}{
		{"xp-sp2", `\A`, `..\x`, true, 0},
		{"xp-sp2", `\A\`, `\..\x`, true, 0},
		{"xp-sp3-patched", `\A`, `..\x`, false, srvsvc.WerrInvalidName},
		{"xp-sp2", `\A\B`, `C\..\D`, false, 0},
	} {
		p := personality(t, tc.pers)
		s := newSession(&p, netip.MustParseAddr("127.0.0.2"), time.Now)
		req := srvsvc.PathCanonicalizeRequest{ServerName: srvsvc.StringPtr("a"), PathName: tc.path, OutbufLen: 100, Prefix: tc.prefix, PathType: 1}
		stub, err := req.MarshalBinary()
		if err != nil {
			t.Fatal(err)
		}
		res := s.srvsvc(req.Opnum(), stub)
		if (res.crash != "") != tc.crash {
			t.Errorf("%s prefix %q path %q: crash %q, want %v", tc.pers, tc.prefix, tc.path, res.crash, tc.crash)
			continue
		}
		if tc.crash {
			continue
		}
		resp, err := srvsvc.DecodePathCanonicalizeResponse(res.stub)
		if err != nil {
			t.Fatalf("%s: %v", tc.pers, err)
		}
		if resp.Status != tc.werr {
			t.Errorf("%s prefix %q path %q: status 0x%x, want 0x%x", tc.pers, tc.prefix, tc.path, resp.Status, tc.werr)
		}
	}
}
