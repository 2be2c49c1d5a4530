package repocheck

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestREADMELayout: every path the README's layout table names exists, and every directory
// holding Go code, and every top-level directory, is named (or lies under a row ending in /).
func TestREADMELayout(t *testing.T) {
	var named []string
	for _, row := range readmeFirstCells(t, "Layout") {
		for _, p := range row {
			named = append(named, p)
			if _, err := os.Stat(filepath.Join(repoRoot, p)); err != nil {
				t.Errorf("the layout names %s, which does not exist", p)
			}
		}
	}
	covered := func(dir string) bool {
		for _, p := range named {
			if p == dir || p == dir+"/" || (strings.HasSuffix(p, "/") && strings.HasPrefix(dir+"/", p)) || strings.HasPrefix(p, dir+"/") && !strings.Contains(dir, "/") {
				return true
			}
		}
		return false
	}
	err := filepath.WalkDir(repoRoot, func(path string, d os.DirEntry, err error) error {
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
