package dcerpc

import (
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// unhex decodes annotated hex: everything after "//" on a line is a comment, whitespace is
// ignored.
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

// pdu loads one real PDU from testdata (hex, as extracted from /work/shared/pcaps).
func pdu(t testing.TB, name string) []byte {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return unhex(t, string(raw))
}

// realPDUs lists every testdata PDU, for fuzz seeds.
func realPDUs(t testing.TB) [][]byte {
	t.Helper()
	names, err := filepath.Glob(filepath.Join("testdata", "*.hex"))
	if err != nil || len(names) == 0 {
		t.Fatalf("no testdata: %v", err)
	}
	var out [][]byte
	for _, n := range names {
		out = append(out, pdu(t, filepath.Base(n)))
	}
	return out
}
