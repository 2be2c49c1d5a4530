package repocheck

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

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

// TestREADMELayout: every path the README's layout table names exists, and every directory
// holding Go code, and every top-level directory, is named (or lies under a row ending in /).
func TestREADMELayout(t *testing.T) {
	b, err := os.ReadFile(filepath.Join(repoRoot, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	i := strings.Index(s, "\n## Layout\n")
	if i < 0 {
		t.Fatal("README has no ## Layout section")
	}
	s = s[i+1:]
	if j := strings.Index(s[3:], "\n## "); j >= 0 {
		s = s[:j+3]
	}
	var named []string
	code := regexp.MustCompile("`([^`]+)`")
	for _, line := range strings.Split(s, "\n") {
		cells := strings.Split(line, "|")
		if len(cells) < 3 {
			continue
		}
		for _, m := range code.FindAllStringSubmatch(cells[1], -1) {
			for _, p := range expand(m[1]) {
				named = append(named, p)
				if _, err := os.Stat(filepath.Join(repoRoot, p)); err != nil {
					t.Errorf("the layout names %s, which does not exist", p)
				}
			}
		}
	}
	if len(named) < 10 {
		t.Fatalf("only %d paths in the layout table: the parse is broken", len(named))
	}
	covered := func(dir string) bool {
		for _, p := range named {
			if p == dir || p == dir+"/" || (strings.HasSuffix(p, "/") && strings.HasPrefix(dir+"/", p)) || strings.HasPrefix(p, dir+"/") && !strings.Contains(dir, "/") {
				return true
			}
		}
		return false
	}
	err = filepath.WalkDir(repoRoot, func(path string, d os.DirEntry, err error) error {
		if err != nil || !d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(repoRoot, path)
		rel = filepath.ToSlash(rel)
		switch {
		case rel == ".":
			return nil
		case strings.HasPrefix(d.Name(), ".") || d.Name() == "testdata" && rel != "testdata" || rel == "bin" || rel == "demo":
			return filepath.SkipDir
		}
		gos, _ := filepath.Glob(filepath.Join(path, "*.go"))
		if (len(gos) > 0 || !strings.Contains(rel, "/")) && !covered(rel) {
			t.Errorf("%s is not in the README's layout table", rel)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
