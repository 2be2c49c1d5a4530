package srvsvc

import (
	"testing"

	"github.com/scan445/scan445/internal/testpeer"
)

// realStub loads a real PDU from testdata and returns its NDR stub (after the 24-byte
// request/response header; none of these PDUs has an object UUID or auth verifier).
func realStub(t testing.TB, name string) []byte {
	t.Helper()
	b := testpeer.Fixture(t, name)
	if len(b) < 24 {
		t.Fatalf("%s: short PDU", name)
	}
	return b[24:]
}
