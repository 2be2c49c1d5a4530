package repocheck

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestExportedNamesDocumented: every exported function, method (of an exported type), type,
// constant and variable outside package main has a doc comment, its own or its group's.
func TestExportedNamesDocumented(t *testing.T) {
	fset := token.NewFileSet()
	files := 0
	err := filepath.WalkDir(repoRoot, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == ".git" || d.Name() == "testdata") {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(fset, path, nil, parser.ParseComments)
		if err != nil {
			return err
		}
		if f.Name.Name == "main" {
			return nil
		}
		files++
		for _, name := range undocumented(f) {
			t.Errorf("%s: %s has no doc comment", path, name)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if files < 50 {
		t.Errorf("only %d files read: the walk is broken", files)
	}
}

func undocumented(f *ast.File) []string {
	var out []string
	for _, d := range f.Decls {
		switch d := d.(type) {
		case *ast.FuncDecl:
			if d.Name.IsExported() && d.Doc == nil && exportedRecv(d) {
				out = append(out, "func "+d.Name.Name)
			}
		case *ast.GenDecl:
			for _, s := range d.Specs {
				switch s := s.(type) {
				case *ast.TypeSpec:
					if s.Name.IsExported() && s.Doc == nil && d.Doc == nil {
						out = append(out, "type "+s.Name.Name)
					}
				case *ast.ValueSpec:
					for _, n := range s.Names {
						if n.IsExported() && s.Doc == nil && s.Comment == nil && d.Doc == nil {
							out = append(out, n.Name)
						}
					}
				}
			}
		}
	}
	return out
}

// exportedRecv is true for functions and for methods of exported types.
func exportedRecv(d *ast.FuncDecl) bool {
	if d.Recv == nil {
		return true
	}
	t := d.Recv.List[0].Type
	if s, ok := t.(*ast.StarExpr); ok {
		t = s.X
	}
	if ix, ok := t.(*ast.IndexExpr); ok {
		t = ix.X
	}
	id, ok := t.(*ast.Ident)
	return !ok || id.IsExported()
}

// TestWireVerbs: the wire packages name their codecs one way, Encode… for what goes on the
// wire and Decode… for what comes off it. Parse stays for text a person typed.
func TestWireVerbs(t *testing.T) {
	text := map[string]bool{"ParseUUID": true, "ParseNTHash": true}
	fset := token.NewFileSet()
	for _, pkg := range []string{"netbios", "smb1", "smb2", "dcerpc", "srvsvc", "ntlmssp", "spnego", "p2p"} {
		dir := filepath.Join(repoRoot, "smbprobe", pkg)
		paths, _ := filepath.Glob(filepath.Join(dir, "*.go"))
		if len(paths) == 0 {
			t.Errorf("no Go files in %s", dir)
		}
		for _, path := range paths {
			if strings.HasSuffix(path, "_test.go") {
				continue
			}
			f, err := parser.ParseFile(fset, path, nil, 0)
			if err != nil {
				t.Fatal(err)
			}
			for _, d := range f.Decls {
				fd, ok := d.(*ast.FuncDecl)
				if !ok || !fd.Name.IsExported() {
					continue
				}
				n := fd.Name.Name
				for _, verb := range []string{"Marshal", "Unmarshal", "Parse"} {
					if strings.HasPrefix(n, verb) && !text[n] {
						t.Errorf("%s: %s: wire codecs say Encode/Decode, not %s", path, n, verb)
					}
				}
			}
		}
	}
}
