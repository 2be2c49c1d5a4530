package winreg

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Pipe carries one DCE/RPC call on a \winreg pipe already bound to Interface(): it sends stub
// as a request with opnum and returns the response stub, or an error (a fault, a transport
// failure). The SMB session layer provides it; this package never sees the connection.
type Pipe interface {
	Call(ctx context.Context, opnum uint16, stub []byte) ([]byte, error)
}

// StatusError is a call the server answered with a non-zero WERROR.
type StatusError struct {
	Op     string
	Status WERROR
}

// Error says which call failed with which status.
func (e *StatusError) Error() string { return fmt.Sprintf("winreg %s: %s", e.Op, e.Status.NameFirst()) }

// Status returns the WERROR of a StatusError in err's chain, and whether there was one.
func Status(err error) (WERROR, bool) {
	var se *StatusError
	if errors.As(err, &se) {
		return se.Status, true
	}
	return 0, false
}

// Call is one exchange as it happened, for the evidence of a finding: what was sent (the
// exact stub), what came back (status, decoded value) or why nothing did.
type Call struct {
	Opnum   uint16
	Op      string // "OpenLocalMachine", "BaseRegOpenKey", …
	Args    string // the request's arguments in words, e.g. `HKLM\SOFTWARE\…, KEY_QUERY_VALUE`
	Stub    []byte // the request stub sent
	Status  WERROR
	Replied bool   // a response stub was decoded
	Result  string // the decoded answer in words
	Err     error  // transport, fault or decoding failure
	Elapsed time.Duration
}

// Client sends the four read-only MS-RRP calls over a Pipe and keeps a transcript.
type Client struct {
	pipe  Pipe
	calls []Call
}

// NewClient returns a Client over p.
func NewClient(p Pipe) *Client { return &Client{pipe: p} }

// Calls returns the transcript so far.
func (c *Client) Calls() []Call { return append([]Call(nil), c.calls...) }

func opName(op uint16) string {
	switch op {
	case OpOpenLocalMachine:
		return "OpenLocalMachine"
	case OpBaseRegOpenKey:
		return "BaseRegOpenKey"
	case OpBaseRegQueryValue:
		return "BaseRegQueryValue"
	case OpBaseRegCloseKey:
		return "BaseRegCloseKey"
	}
	return fmt.Sprintf("opnum %d", op)
}

// do sends req (the only way a stub reaches the pipe) and records the call.
func (c *Client) do(ctx context.Context, req Request, args string) (*Call, []byte) {
	c.calls = append(c.calls, Call{Opnum: req.Opnum(), Op: opName(req.Opnum()), Args: args})
	call := &c.calls[len(c.calls)-1]
	stub, err := req.Encode()
	if err != nil {
		call.Err = err
		return call, nil
	}
	call.Stub = stub
	t0 := time.Now()
	resp, err := c.pipe.Call(ctx, req.Opnum(), stub)
	call.Elapsed = time.Since(t0)
	if err != nil {
		call.Err = err
		return call, nil
	}
	return call, resp
}

func (c *Client) handleCall(ctx context.Context, req Request, args string) (Handle, error) {
	call, resp := c.do(ctx, req, args)
	if call.Err != nil {
		return Handle{}, call.Err
	}
	r, err := DecodeHandleResponse(resp)
	if err != nil {
		call.Err = err
		return Handle{}, err
	}
	call.Replied, call.Status = true, r.Status
	call.Result = r.Status.NameFirst()
	if r.Status != WerrOK {
		call.Err = &StatusError{Op: call.Op, Status: r.Status}
		return Handle{}, call.Err
	}
	return r.Key, nil
}

// accessNames spells a read-only mask for the transcript.
func accessNames(mask uint32) string {
	if mask == KeyRead {
		return "KEY_READ"
	}
	var out []string
	for _, b := range []struct {
		bit  uint32
		name string
	}{{KeyQueryValue, "KEY_QUERY_VALUE"}, {KeyEnumerateSubKeys, "KEY_ENUMERATE_SUB_KEYS"}, {KeyNotify, "KEY_NOTIFY"}, {ReadControl, "READ_CONTROL"}, {KeyWow6464Key, "KEY_WOW64_64KEY"}, {KeyWow6432Key, "KEY_WOW64_32KEY"}} {
		if mask&b.bit != 0 {
			out = append(out, b.name)
		}
	}
	if rest := mask &^ readBits; rest != 0 {
		out = append(out, fmt.Sprintf("0x%08x", rest))
	}
	return strings.Join(out, "|")
}

// OpenLocalMachine opens HKEY_LOCAL_MACHINE with KEY_READ.
func (c *Client) OpenLocalMachine(ctx context.Context) (Handle, error) {
	return c.handleCall(ctx, OpenLocalMachineRequest{Access: KeyRead}, "HKLM, KEY_READ")
}

// OpenKey opens path below parent (HKLM) for KEY_QUERY_VALUE.
func (c *Client) OpenKey(ctx context.Context, parent Handle, path string) (Handle, error) {
	return c.handleCall(ctx, OpenKeyRequest{Key: parent, SubKey: path, Access: KeyQueryValue}, `HKLM\`+path+", "+accessNames(KeyQueryValue))
}

// KeyExists opens path below parent and closes it again: whether the key is there (and
// readable). A key that is absent is (false, nil); any other failure is the error.
func (c *Client) KeyExists(ctx context.Context, parent Handle, path string) (bool, error) {
	h, err := c.OpenKey(ctx, parent, path)
	if st, ok := Status(err); ok && st == WerrFileNotFound {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	c.CloseKey(ctx, h)
	return true, nil
}

// CloseKey closes h.
func (c *Client) CloseKey(ctx context.Context, h Handle) error {
	_, err := c.handleCall(ctx, CloseKeyRequest{Key: h}, "")
	return err
}

// queryBuffer is the buffer offered to BaseRegQueryValue: larger than any value the checks
// read (a product name, a build number, a DWORD).
const queryBuffer = 1024

// QueryValue reads value name of key. A value larger than the buffer is an error
// (WERR_MORE_DATA), not a second, larger call: nothing the checks read is that large.
func (c *Client) QueryValue(ctx context.Context, key Handle, name string) (Value, error) {
	label := name
	if label == "" {
		label = "(default)"
	}
	call, resp := c.do(ctx, QueryValueRequest{Key: key, Name: name, BufferSize: queryBuffer}, label)
	if call.Err != nil {
		return Value{}, call.Err
	}
	r, err := DecodeQueryValueResponse(resp)
	if err != nil {
		call.Err = err
		return Value{}, err
	}
	call.Replied, call.Status = true, r.Status
	if r.Status != WerrOK {
		call.Result = r.Status.NameFirst()
		call.Err = &StatusError{Op: call.Op, Status: r.Status}
		return Value{}, call.Err
	}
	if !r.HasType || !r.HasData || uint32(len(r.Data)) > r.DataSize {
		call.Err = malformed("BaseRegQueryValue: type or data missing, or %d bytes for a %d-byte value", len(r.Data), r.DataSize)
		return Value{}, call.Err
	}
	v := Value{Type: r.Type, Data: r.Data}
	call.Result = "WERR_OK, " + v.Display()
	return v, nil
}

// KeyValues is the outcome of reading some values of one key (ReadKey).
type KeyValues struct {
	Path   string           // below HKLM
	Err    error            // the key could not be opened (nil: opened)
	Values map[string]Value // the values that were read
	Errs   map[string]error // the values that could not be read, by name
}

// Found reports whether value name was read.
func (k KeyValues) Found(name string) (Value, bool) {
	v, ok := k.Values[name]
	return v, ok
}

// ReadKey opens path below hklm, queries each of names and closes the key again. A value
// that is absent (WERR_FILE_NOT_FOUND) or unreadable lands in Errs; ctx ending stops early.
func (c *Client) ReadKey(ctx context.Context, hklm Handle, path string, names ...string) KeyValues {
	out := KeyValues{Path: path, Values: map[string]Value{}, Errs: map[string]error{}}
	h, err := c.OpenKey(ctx, hklm, path)
	if err != nil {
		out.Err = err
		return out
	}
	for _, n := range names {
		if ctx.Err() != nil {
			out.Errs[n] = ctx.Err()
			continue
		}
		v, err := c.QueryValue(ctx, h, n)
		if err != nil {
			out.Errs[n] = err
			continue
		}
		out.Values[n] = v
	}
	c.CloseKey(ctx, h) // best effort: the session's end closes it too
	return out
}
