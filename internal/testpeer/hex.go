package testpeer

import (
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// DecodeHex decodes annotated hex as the fixtures and golden encodings are written: on each
// line, everything from the first "#" or "//" is a comment, and whitespace anywhere is
// ignored. Anything else that is not a hex digit, or an odd digit count, is an error: a
// typo in a fixture must not quietly shift every later field.
func DecodeHex(s string) ([]byte, error) {
	var sb strings.Builder
	for _, line := range strings.Split(s, "\n") {
		if i := strings.Index(line, "#"); i >= 0 {
			line = line[:i]
		}
		if i := strings.Index(line, "//"); i >= 0 {
			line = line[:i]
		}
		for _, f := range strings.Fields(line) {
			sb.WriteString(f)
		}
	}
	b, err := hex.DecodeString(sb.String())
	if err != nil {
		return nil, fmt.Errorf("annotated hex: %w", err)
	}
	return b, nil
}

// Unhex is DecodeHex that fails t on a malformed fixture.
func Unhex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := DecodeHex(s)
	if err != nil {
		t.Fatalf("bad test hex: %v", err)
	}
	return b
}

// ReadHex reads a fixture file of annotated hex (see DecodeHex), such as the frames extracted
// from testdata/pcaps into a package's testdata, or fails t.
func ReadHex(t testing.TB, path string) []byte {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	b, err := DecodeHex(string(raw))
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return b
}

// ReadHexFiles reads every fixture matching the glob pattern, keyed by base name. It fails t
// when nothing matches: fuzz seeds and table tests that silently lost their corpus would
// still pass.
func ReadHexFiles(t testing.TB, pattern string) map[string][]byte {
	t.Helper()
	paths, err := filepath.Glob(pattern)
	if err != nil || len(paths) == 0 {
		t.Fatalf("no fixtures match %s: %v", pattern, err)
	}
	out := make(map[string][]byte, len(paths))
	for _, p := range paths {
		out[filepath.Base(p)] = ReadHex(t, p)
	}
	return out
}

// Fixture is ReadHex of testdata/name, relative to the test's package directory.
func Fixture(t testing.TB, name string) []byte {
	t.Helper()
	return ReadHex(t, filepath.Join("testdata", name))
}
