package smbprobe

import (
	"bytes"
	"errors"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/scan445/scan445/internal/testpeer"
	"github.com/scan445/scan445/smbprobe/srvsvc"
)

// targets are the strings the plan's builders may receive: any address text, including ones
// no scanner would produce, so the gate is tested on hostile input too.
var safetyTargets = []string{"127.0.0.1", "10.1.2.3", "::1", "fe80::1%eth0", "", `\..\x`, `A\..\..\B`, `\\host\..\n`}

// sentStrings decodes a marshalled stub as the server would and lists every string it may
// canonicalise.
func sentStrings(t *testing.T, opnum uint16, stub []byte) []string {
	t.Helper()
	req, err := srvsvc.DecodeRequest(opnum, stub)
	if err != nil {
		t.Fatalf("opnum %d: our own stub does not decode: %v", opnum, err)
	}
	return requestStrings(req)
}

// TestSafePlanNeverReachesOverflow enumerates every srvsvc request the default check set can
// emit — the whole plan minus the intrusive entry, for any target — and proves on the
// marshalled bytes that none carries an overflow-reaching path.
func TestSafePlanNeverReachesOverflow(t *testing.T) {
	n := 0
	for _, pc := range srvsvcPlan() {
		if pc.class == ClassIntrusive {
			continue
		}
		if pc.class != ClassSafe {
			t.Errorf("%s: class %s in the plan", pc.step, pc.class)
		}
		for _, target := range safetyTargets {
			_, req, err := authorize(pc.kind, false, target)
			if err != nil {
				// The gate may refuse a hostile target; what matters is that nothing unsafe passes.
				if !errors.Is(err, ErrRefused) || target == "127.0.0.1" || target == "::1" {
					t.Errorf("%s %q: %v", pc.step, target, err)
				}
				continue
			}
			stub, err := req.Encode()
			if err != nil {
				t.Fatalf("%s: %v", pc.step, err)
			}
			for _, s := range sentStrings(t, req.Opnum(), stub) {
				n++
				if srvsvc.PathReachesOverflow(s) {
					t.Errorf("%s (target %q) sends overflow-reaching %q", pc.step, target, s)
				}
			}
		}
	}
	if n == 0 {
		t.Fatal("no string checked")
	}
}

// TestIntrusiveRefusedByDefault: the §3c request is unreachable without --intrusive, and the
// gate is not vacuous (the intrusive path really does reach the overflow).
func TestIntrusiveRefusedByDefault(t *testing.T) {
	for _, target := range safetyTargets {
		if _, req, err := authorize(callMS08Compare, false, target); !errors.Is(err, ErrRefused) || req != nil {
			t.Errorf("target %q: intrusive request built without --intrusive (err %v)", target, err)
		}
	}
	_, req, err := authorize(callMS08Compare, true, "127.0.0.1")
	if err != nil {
		t.Fatalf("with --intrusive: %v", err)
	}
	reaches := false
	for _, s := range requestStrings(req) {
		reaches = reaches || srvsvc.PathReachesOverflow(s)
	}
	if !reaches {
		t.Error("the intrusive probe's path does not reach the overflow: the gate test proves nothing")
	}
	if _, _, err := authorize(callKind(99), true, "127.0.0.1"); !errors.Is(err, ErrRefused) {
		t.Errorf("unknown kind: %v", err)
	}
}

// TestChokepointIsTheOnlyWay parses this package and asserts that srvsvc request values and
// DCE/RPC request PDUs are built only in the plan and the chokepoint, so no code branch can
// send a srvsvc request that TestSafePlanNeverReachesOverflow did not see.
func TestChokepointIsTheOnlyWay(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	found := 0
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		src, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		f, err := parser.ParseFile(fset, name, src, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range f.Decls {
			fd, ok := d.(*ast.FuncDecl)
			if !ok {
				continue
			}
			ast.Inspect(fd, func(n ast.Node) bool {
				switch x := n.(type) {
				case *ast.CompositeLit:
					if sel, ok := x.Type.(*ast.SelectorExpr); ok && isPkg(sel, "srvsvc") && strings.HasSuffix(sel.Sel.Name, "Request") {
						found++
						if fd.Name.Name != "srvsvcPlan" {
							t.Errorf("%s: srvsvc.%s built in %s, outside the plan", fset.Position(x.Pos()), sel.Sel.Name, fd.Name.Name)
						}
					}
				case *ast.CallExpr:
					if sel, ok := x.Fun.(*ast.SelectorExpr); ok && isPkg(sel, "dcerpc") && sel.Sel.Name == "NewRequest" {
						if fd.Name.Name != "invoke" {
							t.Errorf("%s: dcerpc.NewRequest called in %s, outside the chokepoint", fset.Position(x.Pos()), fd.Name.Name)
						}
					}
				}
				return true
			})
		}
	}
	if found < 4 {
		t.Fatalf("found %d srvsvc request literals; the scan is broken", found)
	}
}

func isPkg(sel *ast.SelectorExpr, pkg string) bool {
	id, ok := sel.X.(*ast.Ident)
	return ok && id.Name == pkg
}

// TestPlanGoldenStubs pins the exact NDR stubs of the safe plan (MS-SRVS 3.1.4.x) for target
// 127.0.0.1: what a reviewer holds against a capture, and what SentHex reports.
func TestPlanGoldenStubs(t *testing.T) {
	golden := map[callKind]string{
		callServerInfo: `
			00000200                 # ServerName: unique pointer referent id
			0c000000 00000000 0c000000 # MaxCount 12, Offset 0, ActualCount 12
			5c005c003100320037002e0030002e0030002e0031000000 # "\\127.0.0.1" NUL
			65000000                 # Level 101`,
		callHookDotDot: `
			00000200                 # ServerName referent
			02000000 00000000 02000000 # MaxCount, Offset, ActualCount
			61000000                 # "a" NUL
			05000000 00000000 05000000 # PathName counts
			5c002e002e005c000000 0000 # "\..\" NUL, pad to 4
			02000000                 # OutbufLen 2
			02000000 00000000 02000000 # Prefix counts
			5c000000                 # "\" NUL
			01000000                 # PathType 1
			01000000                 # Flags 1`,
		callHookRoot: `
			00000200 02000000 00000000 02000000 61000000 # ServerName "a"
			02000000 00000000 02000000 5c000000          # PathName "\"
			02000000                                     # OutbufLen 2
			02000000 00000000 02000000 5c000000          # Prefix "\"
			01000000 01000000                            # PathType 1, Flags 1`,
		callHoneypot: `
			00000200 0a000000 00000000 0a000000          # ServerName referent and counts
			3100320037002e0030002e0030002e0031000000     # "127.0.0.1" NUL
			03000000 00000000 03000000 5c0041000000 0000 # PathName1 "\A" NUL, pad
			03000000 00000000 03000000 5c0042000000 0000 # PathName2 "\B" NUL, pad
			01000000 00000000                            # PathType 1, Flags 0`,
	}
	for _, pc := range srvsvcPlan() {
		if pc.class == ClassIntrusive {
			continue
		}
		want, ok := golden[pc.kind]
		if !ok {
			t.Errorf("%s: no golden stub", pc.step)
			continue
		}
		_, req, err := authorize(pc.kind, false, "127.0.0.1")
		if err != nil {
			t.Fatal(err)
		}
		got, err := req.Encode()
		if err != nil {
			t.Fatal(err)
		}
		if w := testpeer.Unhex(t, want); !bytes.Equal(got, w) {
			t.Errorf("%s:\n got %x\nwant %x", pc.step, got, w)
		}
	}
}
