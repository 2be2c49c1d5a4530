package winreg

import (
	"context"
	"errors"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"slices"
	"strings"
	"testing"
)

// TestOnlyReadOpnums proves the package cannot put any opnum but the four reads on the wire,
// from the source and from behaviour:
//   - the source: the only types with the sealing method readOnly are the four request types,
//     every Opnum method returns one of the four constants, the constants are 2, 5, 15 and
//     17, and the only call of Pipe.Call passes req.Opnum() of a sealed Request;
//   - behaviour: every exported Client method, driven over a recording Pipe, sends only
//     those opnums, and every stub it sends is one the test's own reader parses as that call.
func TestOnlyReadOpnums(t *testing.T) {
	allowed := []uint16{2, 5, 15, 17}
	if !slices.Equal(Opnums(), allowed) {
		t.Fatalf("Opnums() = %v, want %v (OpenLocalMachine, BaseRegCloseKey, BaseRegOpenKey, BaseRegQueryValue)", Opnums(), allowed)
	}
	fset := token.NewFileSet()
	ents, err := os.ReadDir(".")
	if err != nil {
		t.Fatal(err)
	}
	var sealed []string
	calls := 0
	for _, e := range ents {
		if !strings.HasSuffix(e.Name(), ".go") || strings.HasSuffix(e.Name(), "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, e.Name(), nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(f, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.FuncDecl:
				if n.Recv == nil {
					return true
				}
				recv := types(n.Recv.List[0].Type)
				switch n.Name.Name {
				case "readOnly":
					sealed = append(sealed, recv)
				case "Opnum":
					ret, ok := n.Body.List[0].(*ast.ReturnStmt)
					id, isIdent := ret.Results[0].(*ast.Ident)
					if len(n.Body.List) != 1 || !ok || !isIdent || !slices.Contains([]string{"OpOpenLocalMachine", "OpBaseRegCloseKey", "OpBaseRegOpenKey", "OpBaseRegQueryValue"}, id.Name) {
						t.Errorf("%s.Opnum does not return one of the four opnum constants", recv)
					}
				}
			case *ast.CallExpr:
				sel, ok := n.Fun.(*ast.SelectorExpr)
				if !ok || sel.Sel.Name != "Call" {
					return true
				}
				calls++
				arg, ok := n.Args[1].(*ast.CallExpr)
				if as, isSel := arg.Fun.(*ast.SelectorExpr); !ok || !isSel || as.Sel.Name != "Opnum" || as.X.(*ast.Ident).Name != "req" {
					t.Errorf("%s: a Pipe.Call whose opnum is not req.Opnum()", fset.Position(n.Pos()))
				}
			}
			return true
		})
	}
	slices.Sort(sealed)
	if want := []string{"CloseKeyRequest", "OpenKeyRequest", "OpenLocalMachineRequest", "QueryValueRequest"}; !slices.Equal(sealed, want) {
		t.Errorf("types sealed as Request: %v, want %v", sealed, want)
	}
	if calls != 1 {
		t.Errorf("%d calls of Pipe.Call in the package, want exactly 1 (in Client.do)", calls)
	}

	// Behaviour: drive every Client method, answered and refused.
	for _, status := range []WERROR{WerrOK, WerrAccessDenied, WerrFileNotFound} {
		p := &fakePipe{status: status}
		c := NewClient(p)
		ctx := context.Background()
		h, _ := c.OpenLocalMachine(ctx)
		c.ReadKey(ctx, h, `SOFTWARE\Microsoft\Windows NT\CurrentVersion`, "CSDVersion", "", "ProductName")
		c.QueryValue(ctx, h, "x")
		c.CloseKey(ctx, h)
		if len(p.sent) < 3 {
			t.Fatalf("status %s: only %d calls sent", status, len(p.sent))
		}
		for _, s := range p.sent {
			if !slices.Contains(allowed, s.opnum) {
				t.Errorf("opnum %d sent", s.opnum)
			}
			if _, err := readRequest(s.opnum, s.stub); err != nil {
				t.Errorf("opnum %d stub %x: %v", s.opnum, s.stub, err)
			}
		}
	}
}

func types(e ast.Expr) string {
	if s, ok := e.(*ast.StarExpr); ok {
		e = s.X
	}
	if id, ok := e.(*ast.Ident); ok {
		return id.Name
	}
	return "?"
}

type sentCall struct {
	opnum uint16
	stub  []byte
}

// fakePipe answers like a registry holding every key and every value as REG_SZ "v", or
// with status for every call when status is not WERR_OK.
type fakePipe struct {
	status WERROR
	fault  error
	sent   []sentCall
}

func (p *fakePipe) Call(_ context.Context, opnum uint16, stub []byte) ([]byte, error) {
	p.sent = append(p.sent, sentCall{opnum, append([]byte(nil), stub...)})
	if p.fault != nil {
		return nil, p.fault
	}
	st := le32(uint32(p.status))
	switch opnum {
	case OpBaseRegQueryValue:
		if p.status != WerrOK {
			return append([]byte{4, 0, 2, 0, 0, 0, 0, 0, 8, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 12, 0, 2, 0, 0, 0, 0, 0, 16, 0, 2, 0, 0, 0, 0, 0}, st...), nil
		}
		b := []byte{4, 0, 2, 0, 1, 0, 0, 0, 8, 0, 2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 4, 0, 0, 0, 'v', 0, 0, 0}
		b = append(b, 12, 0, 2, 0, 4, 0, 0, 0, 16, 0, 2, 0, 4, 0, 0, 0)
		return append(b, st...), nil
	default:
		h := make([]byte, 20)
		if p.status == WerrOK && opnum != OpBaseRegCloseKey {
			h[0], h[4] = 1, byte(len(p.sent))
		}
		return append(h, st...), nil
	}
}

func le32(v uint32) []byte { return []byte{byte(v), byte(v >> 8), byte(v >> 16), byte(v >> 24)} }

// TestClientTranscript: the transcript names each call, its arguments and its answer, and
// errors keep their WERROR.
func TestClientTranscript(t *testing.T) {
	ctx := context.Background()
	p := &fakePipe{}
	c := NewClient(p)
	h, err := c.OpenLocalMachine(ctx)
	if err != nil || h.IsZero() {
		t.Fatalf("OpenLocalMachine: %v %v", h, err)
	}
	k := c.ReadKey(ctx, h, `SOFTWARE\X`, "A", "")
	if v, ok := k.Found("A"); !ok || v.Display() != `REG_SZ "v"` || k.Err != nil {
		t.Errorf("ReadKey: %+v", k)
	}
	var ops []string
	for _, call := range c.Calls() {
		ops = append(ops, call.Op+"("+call.Args+") → "+call.Result)
	}
	want := []string{
		`OpenLocalMachine(HKLM, KEY_READ) → WERR_OK (0x00000000)`,
		`BaseRegOpenKey(HKLM\SOFTWARE\X, KEY_QUERY_VALUE) → WERR_OK (0x00000000)`,
		`BaseRegQueryValue(A) → WERR_OK, REG_SZ "v"`,
		`BaseRegQueryValue((default)) → WERR_OK, REG_SZ "v"`,
		`BaseRegCloseKey() → WERR_OK (0x00000000)`,
	}
	if !slices.Equal(ops, want) {
		t.Errorf("transcript:\n%s\nwant\n%s", strings.Join(ops, "\n"), strings.Join(want, "\n"))
	}

	denied := NewClient(&fakePipe{status: WerrAccessDenied})
	if _, err := denied.OpenLocalMachine(ctx); err == nil {
		t.Error("access denied is no error")
	} else if st, ok := Status(err); !ok || st != WerrAccessDenied {
		t.Errorf("Status(%v) = %v, %v", err, st, ok)
	}
	if _, err := denied.OpenLocalMachine(ctx); err == nil || err.Error() != "winreg OpenLocalMachine: WERR_ACCESS_DENIED (0x00000005)" {
		t.Errorf("error text %q: reasons quote it, name first", err)
	}
	missing := NewClient(&fakePipe{status: WerrFileNotFound}).ReadKey(ctx, h, `SOFTWARE\Y`, "A")
	if st, _ := Status(missing.Err); st != WerrFileNotFound || len(missing.Values) != 0 {
		t.Errorf("absent key: %+v", missing)
	}
	boom := errors.New("fault nca_s_op_rng_error")
	if _, err := NewClient(&fakePipe{fault: boom}).OpenLocalMachine(ctx); !errors.Is(err, boom) {
		t.Errorf("a transport error is lost: %v", err)
	}
}
