package repocheck

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// readmeFirstCells returns, for each row of the tables in the README section titled title,
// the code spans (`…`) of its first cell, with brace groups expanded.
func readmeFirstCells(t *testing.T, title string) [][]string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(repoRoot, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	i := strings.Index(s, "\n## "+title+"\n")
	if i < 0 {
		t.Fatalf("README has no ## %s section", title)
	}
	s = s[i+1:]
	if j := strings.Index(s[3:], "\n## "); j >= 0 {
		s = s[:j+3]
	}
	code := regexp.MustCompile("`([^`]+)`")
	var rows [][]string
	for _, line := range strings.Split(s, "\n") {
		cells := strings.Split(line, "|")
		if len(cells) < 3 {
			continue
		}
		var row []string
		for _, m := range code.FindAllStringSubmatch(cells[1], -1) {
			row = append(row, expand(m[1])...)
		}
		if len(row) > 0 {
			rows = append(rows, row)
		}
	}
	if len(rows) < 3 {
		t.Fatalf("README ## %s: only %d table rows: the parse is broken", title, len(rows))
	}
	return rows
}

// expand turns `a/{b,c}` into a/b and a/c (one brace group, as the README writes them).
func expand(p string) []string {
	i, j := strings.Index(p, "{"), strings.Index(p, "}")
	if i < 0 || j < i {
		return []string{p}
	}
	var out []string
	for _, alt := range strings.Split(p[i+1:j], ",") {
		out = append(out, p[:i]+alt+p[j+1:])
	}
	return out
}
