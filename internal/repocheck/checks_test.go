package repocheck

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"testing"

	"github.com/scan445/scan445/smbprobe"
)

// TestREADMEChecksTable: the README's check table names exactly the checks of smbprobe's
// check table.
func TestREADMEChecksTable(t *testing.T) {
	var named []string
	for _, row := range readmeFirstCells(t, "Checks") {
		for _, id := range row {
			if !slices.Contains(named, id) {
				named = append(named, id)
			}
		}
	}
	want := smbprobe.CheckIDs()
	slices.Sort(named)
	slices.Sort(want)
	if !slices.Equal(named, want) {
		t.Errorf("README check table names %v, the check table has %v", named, want)
	}
}

// TestDocCitationsResolve: every "docs/checks.md §N" cited anywhere in the repository names a
// section docs/checks.md has.
func TestDocCitationsResolve(t *testing.T) {
	doc, err := os.ReadFile(filepath.Join(repoRoot, "docs", "checks.md"))
	if err != nil {
		t.Fatal(err)
	}
	sections := map[string]bool{}
	for _, m := range regexp.MustCompile(`(?m)^#{2,3} ([0-9]+[a-z]?)\.`).FindAllStringSubmatch(string(doc), -1) {
		sections[m[1]] = true
	}
	cite := regexp.MustCompile(`docs/checks\.md §([0-9]+[a-z]?)`)
	n := 0
	err = filepath.WalkDir(repoRoot, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == ".git" || d.Name() == "pcaps") {
			return filepath.SkipDir
		}
		if d.IsDir() || !slices.Contains([]string{".go", ".md", ".py", ".json", ".tmpl", ".sh"}, filepath.Ext(path)) {
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for _, m := range cite.FindAllStringSubmatch(string(b), -1) {
			n++
			if !sections[m[1]] {
				t.Errorf("%s cites docs/checks.md §%s, which does not exist", path, m[1])
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if n < 20 {
		t.Errorf("only %d citations found: the walk is broken", n)
	}
}
