package ntlmssp

import (
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// loadHex reads a testdata file of hex extracted from /work/shared/pcaps (see testdata/README.md).
func loadHex(t testing.TB, name string) []byte {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	b, err := hex.DecodeString(strings.TrimSpace(string(raw)))
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return b
}

// unhex decodes annotated golden hex: text after '#' on each line is a comment.
func unhex(t testing.TB, s string) []byte {
	t.Helper()
	var clean strings.Builder
	for _, line := range strings.Split(s, "\n") {
		if i := strings.IndexByte(line, '#'); i >= 0 {
			line = line[:i]
		}
		clean.WriteString(strings.Join(strings.Fields(line), ""))
	}
	b, err := hex.DecodeString(clean.String())
	if err != nil {
		t.Fatalf("golden hex: %v", err)
	}
	return b
}

func allTestdata(t testing.TB) map[string][]byte {
	t.Helper()
	ents, err := os.ReadDir("testdata")
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]byte{}
	for _, e := range ents {
		if strings.HasSuffix(e.Name(), ".hex") {
			out[e.Name()] = loadHex(t, e.Name())
		}
	}
	return out
}
