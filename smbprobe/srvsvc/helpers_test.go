package srvsvc

import (
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// unhex decodes annotated hex: everything after "//" on a line is a comment.
func unhex(t testing.TB, s string) []byte {
	t.Helper()
	var sb strings.Builder
	for _, line := range strings.Split(s, "\n") {
		if i := strings.Index(line, "//"); i >= 0 {
			line = line[:i]
		}
		sb.WriteString(strings.Join(strings.Fields(line), ""))
	}
	b, err := hex.DecodeString(sb.String())
	if err != nil {
		t.Fatalf("bad test hex: %v", err)
	}
	return b
}

// realStub loads a real PDU from testdata and returns its NDR stub (after the 24-byte
// request/response header; none of these PDUs has an object UUID or auth verifier).
func realStub(t testing.TB, name string) []byte {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	b := unhex(t, string(raw))
	if len(b) < 24 {
		t.Fatalf("%s: short PDU", name)
	}
	return b[24:]
}
