package winreg

import (
	"encoding/binary"
	"fmt"

	"github.com/scan445/scan445/smbprobe/dcerpc"
	"github.com/scan445/scan445/smbprobe/internal/utf16le"
)

// The MS-RRP opnums this package can send (MS-RRP 3.1.5). There are no others here: see
// Request.
const (
	OpOpenLocalMachine  uint16 = 2
	OpBaseRegCloseKey   uint16 = 5
	OpBaseRegOpenKey    uint16 = 15
	OpBaseRegQueryValue uint16 = 17
)

// Opnums returns every opnum the package can produce, in numeric order.
func Opnums() []uint16 {
	return []uint16{OpOpenLocalMachine, OpBaseRegCloseKey, OpBaseRegOpenKey, OpBaseRegQueryValue}
}

// Interface returns the winreg abstract syntax 338cd001-2244-31f1-aaaa-900038001003 v1.0.
func Interface() dcerpc.SyntaxID {
	return dcerpc.SyntaxID{UUID: dcerpc.UUID{0x33, 0x8c, 0xd0, 0x01, 0x22, 0x44, 0x31, 0xf1, 0xaa, 0xaa, 0x90, 0x00, 0x38, 0x00, 0x10, 0x03}, Version: 1}
}

// Access rights (MS-RRP 2.2.3, MS-DTYP 2.4.3).
const (
	KeyQueryValue       uint32 = 0x00000001
	KeyEnumerateSubKeys uint32 = 0x00000008
	KeyNotify           uint32 = 0x00000010
	ReadControl         uint32 = 0x00020000
	KeyWow6464Key       uint32 = 0x00000100 // view selectors: which hive view, not a right
	KeyWow6432Key       uint32 = 0x00000200
	// KeyRead is KEY_READ: query values, enumerate subkeys, notify, read the security
	// descriptor.
	KeyRead = ReadControl | KeyQueryValue | KeyEnumerateSubKeys | KeyNotify
)

// readBits is every bit ReadOnlyAccess lets through.
const readBits = KeyRead | KeyWow6464Key | KeyWow6432Key

// ReadOnlyAccess returns nil when mask asks only for reading: a subset of KEY_READ, plus the
// WOW64 view selectors. KEY_SET_VALUE, KEY_CREATE_SUB_KEY, KEY_CREATE_LINK, DELETE, WRITE_DAC,
// WRITE_OWNER, ACCESS_SYSTEM_SECURITY, MAXIMUM_ALLOWED and every GENERIC_* right are refused,
// and so is 0 (Windows reads an empty mask as no access, which helps no check).
func ReadOnlyAccess(mask uint32) error {
	if mask == 0 || mask&^readBits != 0 {
		return fmt.Errorf("%w: 0x%08x (allowed bits 0x%08x)", ErrWriteAccess, mask, readBits)
	}
	return nil
}

// Value types (MS-RRP 3.1.1.5).
const (
	RegNone     uint32 = 0
	RegSZ       uint32 = 1
	RegExpandSZ uint32 = 2
	RegBinary   uint32 = 3
	RegDWORD    uint32 = 4
	RegMultiSZ  uint32 = 7
	RegQWORD    uint32 = 11
)

// Handle is an RPC_HKEY context handle: 20 opaque bytes the server hands out.
type Handle [20]byte

// IsZero reports whether h is the all-zero handle a failed open or a close returns.
func (h Handle) IsZero() bool { return h == Handle{} }

// Request is one of the four read-only MS-RRP requests of this package. It is sealed: only
// OpenLocalMachineRequest, OpenKeyRequest, QueryValueRequest and CloseKeyRequest implement
// it, so no caller can hand a Client another opnum.
type Request interface {
	Opnum() uint16
	Encode() ([]byte, error) // the NDR stub
	readOnly()
}

// ---- OpenLocalMachine (2) ----

// OpenLocalMachineRequest: [in, unique] PREGISTRY_SERVER_NAME ServerName (always NULL: the
// server ignores it), [in] REGSAM samDesired.
type OpenLocalMachineRequest struct {
	Access uint32
}

// Opnum is the operation number of OpenLocalMachine.
func (OpenLocalMachineRequest) Opnum() uint16 { return OpOpenLocalMachine }
func (OpenLocalMachineRequest) readOnly()     {}

// Encode encodes the OpenLocalMachine request stub; a mask that is not read-only is refused.
func (r OpenLocalMachineRequest) Encode() ([]byte, error) {
	if err := ReadOnlyAccess(r.Access); err != nil {
		return nil, err
	}
	e := newEncoder()
	e.Pointer(false) // ServerName: NULL
	e.U32(r.Access)  // samDesired
	return e.B, nil
}

// HandleResponse is the answer of OpenLocalMachine, BaseRegOpenKey and BaseRegCloseKey:
// [out] RPC_HKEY, then the error_status_t.
type HandleResponse struct {
	Key    Handle
	Status WERROR
}

// DecodeHandleResponse decodes the response stub of OpenLocalMachine, BaseRegOpenKey or
// BaseRegCloseKey.
func DecodeHandleResponse(stub []byte) (HandleResponse, error) {
	d := newDecoder(stub)
	r := HandleResponse{Key: d.ContextHandle("phKey"), Status: WERROR(d.U32("error_status_t"))}
	if err := d.Err(); err != nil {
		return HandleResponse{}, fmt.Errorf("winreg handle response: %w", err)
	}
	return r, nil
}

// ---- BaseRegOpenKey (15) ----

// OpenKeyRequest: [in] RPC_HKEY hKey, [in] PRRP_UNICODE_STRING lpSubKey, [in] DWORD dwOptions
// (always 0), [in] REGSAM samDesired.
type OpenKeyRequest struct {
	Key    Handle
	SubKey string // relative to Key, `\`-separated, e.g. `SOFTWARE\Microsoft\Windows NT\CurrentVersion`
	Access uint32
}

// Opnum is the operation number of BaseRegOpenKey.
func (OpenKeyRequest) Opnum() uint16 { return OpBaseRegOpenKey }
func (OpenKeyRequest) readOnly()     {}

// Encode encodes the BaseRegOpenKey request stub; a mask that is not read-only, or a subkey
// with a NUL, is refused.
func (r OpenKeyRequest) Encode() ([]byte, error) {
	if err := ReadOnlyAccess(r.Access); err != nil {
		return nil, err
	}
	e := newEncoder()
	e.ContextHandle(r.Key) // hKey
	if err := e.unicodeString("lpSubKey", r.SubKey); err != nil {
		return nil, err
	}
	e.U32(0)        // dwOptions: never REG_OPTION_BACKUP_RESTORE or REG_OPTION_OPEN_LINK
	e.U32(r.Access) // samDesired
	return e.B, nil
}

// ---- BaseRegQueryValue (17) ----

// QueryValueRequest: [in] RPC_HKEY hKey, [in] PRRP_UNICODE_STRING lpValueName, [in, out,
// unique] LPDWORD lpType, [in, out, unique, size_is(*lpcbData), length_is(*lpcbLen)] LPBYTE
// lpData, [in, out, unique] LPDWORD lpcbData, [in, out, unique] LPDWORD lpcbLen. As Windows'
// own client does, the buffer is offered empty: MaxCount BufferSize, ActualCount 0, lpcbLen 0.
type QueryValueRequest struct {
	Key        Handle
	Name       string // "" is the key's default value
	BufferSize uint32 // bytes the server may return
}

// Opnum is the operation number of BaseRegQueryValue.
func (QueryValueRequest) Opnum() uint16 { return OpBaseRegQueryValue }
func (QueryValueRequest) readOnly()     {}

// MaxBuffer bounds QueryValueRequest.BufferSize: every value the checks read is a few hundred
// bytes at most, and the answer is held in memory.
const MaxBuffer = 64 << 10

// Encode encodes the BaseRegQueryValue request stub.
func (r QueryValueRequest) Encode() ([]byte, error) {
	if r.BufferSize > MaxBuffer {
		return nil, fmt.Errorf("%w: buffer of %d bytes (max %d)", ErrMalformed, r.BufferSize, MaxBuffer)
	}
	e := newEncoder()
	e.ContextHandle(r.Key) // hKey
	if err := e.unicodeString("lpValueName", r.Name); err != nil {
		return nil, err
	}
	e.Pointer(true)     // lpType
	e.U32(0)            // *lpType
	e.Pointer(true)     // lpData
	e.U32(r.BufferSize) // MaxCount
	e.U32(0)            // Offset
	e.U32(0)            // ActualCount: nothing sent in
	e.Pointer(true)     // lpcbData
	e.U32(r.BufferSize) // *lpcbData
	e.Pointer(true)     // lpcbLen
	e.U32(0)            // *lpcbLen
	return e.B, nil
}

// QueryValueResponse is BaseRegQueryValue's answer. Pointers the server returned NULL leave
// their Has… flag false.
type QueryValueResponse struct {
	Type     uint32 // *lpType
	HasType  bool
	Data     []byte // the lpData bytes transmitted (ActualCount of them)
	HasData  bool
	DataSize uint32 // *lpcbData: the value's size (the size needed, with WERR_MORE_DATA)
	DataLen  uint32 // *lpcbLen
	Status   WERROR
}

// DecodeQueryValueResponse decodes a BaseRegQueryValue response stub, bounds-checking every
// count against it.
func DecodeQueryValueResponse(stub []byte) (QueryValueResponse, error) {
	d := newDecoder(stub)
	var r QueryValueResponse
	if d.U32("lpType referent") != 0 {
		r.Type, r.HasType = d.U32("lpType"), true
	}
	if d.U32("lpData referent") != 0 {
		r.HasData = true
		r.Data = d.VaryingBytes("lpData")
	}
	if d.U32("lpcbData referent") != 0 {
		r.DataSize = d.U32("lpcbData")
	}
	if d.U32("lpcbLen referent") != 0 {
		r.DataLen = d.U32("lpcbLen")
	}
	r.Status = WERROR(d.U32("error_status_t"))
	if err := d.Err(); err != nil {
		return QueryValueResponse{}, fmt.Errorf("winreg BaseRegQueryValue response: %w", err)
	}
	return r, nil
}

// Value is a registry value as read: its type and its bytes.
type Value struct {
	Type uint32
	Data []byte
}

// TypeName is the REG_* name of the value's type.
func (v Value) TypeName() string {
	switch v.Type {
	case RegNone:
		return "REG_NONE"
	case RegSZ:
		return "REG_SZ"
	case RegExpandSZ:
		return "REG_EXPAND_SZ"
	case RegBinary:
		return "REG_BINARY"
	case RegDWORD:
		return "REG_DWORD"
	case RegMultiSZ:
		return "REG_MULTI_SZ"
	case RegQWORD:
		return "REG_QWORD"
	}
	return fmt.Sprintf("type %d", v.Type)
}

// String returns a REG_SZ / REG_EXPAND_SZ value up to its first NUL; ok is false for other
// types.
func (v Value) String() (s string, ok bool) {
	if v.Type != RegSZ && v.Type != RegExpandSZ {
		return "", false
	}
	return utf16le.DecodeToNUL(v.Data), true
}

// DWORD returns a REG_DWORD value; ok is false for another type or a length other than 4.
func (v Value) DWORD() (uint32, bool) {
	if v.Type != RegDWORD || len(v.Data) != 4 {
		return 0, false
	}
	return binary.LittleEndian.Uint32(v.Data), true
}

// Display renders the value for evidence: strings quoted, DWORDs in hex, anything else as
// its type and size.
func (v Value) Display() string {
	if s, ok := v.String(); ok {
		return fmt.Sprintf("%s %q", v.TypeName(), s)
	}
	if n, ok := v.DWORD(); ok {
		return fmt.Sprintf("REG_DWORD 0x%08x", n)
	}
	return fmt.Sprintf("%s, %d bytes", v.TypeName(), len(v.Data))
}

// ---- BaseRegCloseKey (5) ----

// CloseKeyRequest: [in, out] PRPC_HKEY hKey.
type CloseKeyRequest struct {
	Key Handle
}

// Opnum is the operation number of BaseRegCloseKey.
func (CloseKeyRequest) Opnum() uint16 { return OpBaseRegCloseKey }
func (CloseKeyRequest) readOnly()     {}

// Encode encodes the BaseRegCloseKey request stub.
func (r CloseKeyRequest) Encode() ([]byte, error) {
	return append([]byte(nil), r.Key[:]...), nil
}
