package testpeer

import (
	"os"
	"os/exec"
	"testing"
)

// RequireEnv names the variable that turns a missing peer from a skip into a failure. CI sets
// it so that an uninstalled tool cannot silently turn the interoperability tests green.
const RequireEnv = "SCAN445_REQUIRE_PEERS"

// Required reports whether missing peers must fail tests (RequireEnv=1) instead of skipping.
func Required() bool { return os.Getenv(RequireEnv) == "1" }

// Need does nothing when ok; otherwise it skips t, or fails it when Required. what names the
// missing thing for the message ("nmap", "root for smbd and Unix accounts").
func Need(t testing.TB, what string, ok bool) {
	t.Helper()
	if ok {
		return
	}
	if Required() {
		t.Fatalf("%s is required (%s=1) but missing; install it (see .ci/run)", what, RequireEnv)
		return
	}
	t.Skipf("%s missing: skipping (set %s=1 to fail instead)", what, RequireEnv)
}

// LookPath returns the path of the executable name, searched in PATH and then at the
// absolute fallbacks (sbin is often not in a test's PATH). If none exists it calls Need.
func LookPath(t testing.TB, name string, fallbacks ...string) string {
	t.Helper()
	if p, err := exec.LookPath(name); err == nil {
		return p
	}
	for _, f := range fallbacks {
		if st, err := os.Stat(f); err == nil && !st.IsDir() && st.Mode()&0o111 != 0 {
			return f
		}
	}
	Need(t, name, false)
	return ""
}
