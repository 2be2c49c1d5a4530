package smblab

import (
	"crypto/rand"
	"strings"

	"github.com/scan445/scan445/smbprobe/internal/utf16le"
)

// The lab's Remote Registry: \winreg on IPC$ for a personality's Account, serving the
// Personality.Registry values through the four read-only MS-RRP calls (OpenLocalMachine 2,
// BaseRegCloseKey 5, BaseRegOpenKey 15, BaseRegQueryValue 17). Every other opnum — every write
// among them — is answered with nca_s_op_rng_error and counted in Registry writes attempted,
// which the tests hold at zero. Requests are parsed here with the lab's own NDR reading, not
// package winreg's, so the lab stays an independent check of the client's encoders.

// uuidWinreg is 338cd001-2244-31f1-aaaa-900038001003 in its wire (little-endian) form.
var uuidWinreg = []byte{0x01, 0xd0, 0x8c, 0x33, 0x44, 0x22, 0xf1, 0x31, 0xaa, 0xaa, 0x90, 0x00, 0x38, 0x00, 0x10, 0x03}

// Registry is what a personality's Remote Registry serves.
type Registry struct {
	// Off: the Remote Registry service is stopped, so \winreg does not exist
	// (STATUS_OBJECT_NAME_NOT_FOUND).
	Off bool
	// DenyHKLM: OpenLocalMachine answers WERR_ACCESS_DENIED (an account that is not an
	// administrator, or a restricted winreg key).
	DenyHKLM bool
	// Values, keyed `KEY\PATH\Name` below HKLM (name "" is the key's default value, written
	// `KEY\PATH\`); every key on a value's path exists.
	Values map[string]RegValue
	// Keys are keys without values (hotfix registrations under SOFTWARE\Microsoft\Updates).
	Keys []string
}

// RegValue is one registry value: its REG_* type and its bytes.
type RegValue struct {
	Type uint32
	Data []byte
}

// Registry value types (MS-RRP 3.1.1.5).
const (
	regSZ    = 1
	regDWORD = 4
)

func regString(s string) RegValue { return RegValue{Type: regSZ, Data: utf16le.EncodeZ(s)} }

func regDword(n uint32) RegValue { return RegValue{Type: regDWORD, Data: le.AppendUint32(nil, n)} }

// Win32 statuses the lab's winreg answers.
const (
	werrOK            = 0
	werrFileNotFound  = 2
	werrAccessDenied  = 5
	werrInvalidHandle = 6
	werrMoreData      = 0xea
)

// Access bits the lab refuses (KEY_SET_VALUE, KEY_CREATE_SUB_KEY, KEY_CREATE_LINK, DELETE,
// WRITE_DAC, WRITE_OWNER, GENERIC_ALL, GENERIC_WRITE): a read-only registry.
const regWriteAccess = 0x2 | 0x4 | 0x20 | 0x10000 | 0x40000 | 0x80000 | 0x10000000 | 0x40000000

// hasKey reports whether path (below HKLM, "" for HKLM itself) exists.
func (g *Registry) hasKey(path string) bool {
	if path == "" {
		return true
	}
	p := strings.ToLower(path) + `\`
	for k := range g.Values {
		if strings.HasPrefix(strings.ToLower(k), p) {
			return true
		}
	}
	for _, k := range g.Keys {
		if strings.HasPrefix(strings.ToLower(k)+`\`, p) {
			return true
		}
	}
	return false
}

func (g *Registry) value(path, name string) (RegValue, bool) {
	want := strings.ToLower(path + `\` + name)
	for k, v := range g.Values {
		if strings.ToLower(k) == want {
			return v, true
		}
	}
	return RegValue{}, false
}

// regState is one \winreg pipe's open keys.
type regState struct {
	keys map[[20]byte]string // handle → path below HKLM
}

// ndrReader reads a request stub; the first failure sticks.
type ndrReader struct {
	b   []byte
	off int
	bad bool
}

func (r *ndrReader) u32() uint32 {
	r.off = (r.off + 3) &^ 3
	v, ok := span(r.b, r.off, 4)
	if !ok {
		r.bad = true
		return 0
	}
	r.off += 4
	return le.Uint32(v)
}

func (r *ndrReader) handle() (h [20]byte) {
	v, ok := span(r.b, r.off, 20)
	if !ok {
		r.bad = true
		return h
	}
	copy(h[:], v)
	r.off += 20
	return h
}

// ustr reads an RRP_UNICODE_STRING and its deferred characters.
func (r *ndrReader) ustr() string {
	v, ok := span(r.b, r.off, 4)
	if !ok {
		r.bad = true
		return ""
	}
	length, maxLen := le.Uint16(v), le.Uint16(v[2:])
	r.off += 4
	if r.u32() == 0 { // Buffer referent
		return ""
	}
	maxCount, offset, actual := r.u32(), r.u32(), r.u32()
	if r.bad || offset != 0 || actual > maxCount || int(maxCount) != int(maxLen)/2 || int(actual) != int(length)/2 {
		r.bad = true
		return ""
	}
	chars, ok := span(r.b, r.off, int(actual)*2)
	if !ok {
		r.bad = true
		return ""
	}
	r.off += int(actual) * 2
	return utf16le.DecodeToNUL(chars)
}

func (p *rpcPipe) winreg(opnum uint16, stub []byte) rpcResult {
	g := p.s.p.Registry
	if p.reg == nil {
		p.reg = &regState{keys: map[[20]byte]string{}}
	}
	r := &ndrReader{b: stub}
	handleReply := func(h [20]byte, status uint32) rpcResult {
		return rpcResult{stub: le.AppendUint32(append([]byte(nil), h[:]...), status)}
	}
	open := func(path string, access uint32) rpcResult {
		if access&regWriteAccess != 0 || g.DenyHKLM {
			return handleReply([20]byte{}, werrAccessDenied)
		}
		if !g.hasKey(path) {
			return handleReply([20]byte{}, werrFileNotFound)
		}
		var h [20]byte
		rand.Read(h[4:])
		p.reg.keys[h] = path
		return handleReply(h, werrOK)
	}
	switch opnum {
	case 2: // OpenLocalMachine
		if r.u32() != 0 {
			r.u32() // a ServerName pointee: one wchar_t, padded
		}
		access := r.u32()
		if r.bad {
			return rpcResult{fault: faultBadStub}
		}
		return open("", access)
	case 15: // BaseRegOpenKey
		h := r.handle()
		sub := r.ustr()
		r.u32() // dwOptions
		access := r.u32()
		if r.bad {
			return rpcResult{fault: faultBadStub}
		}
		parent, ok := p.reg.keys[h]
		if !ok {
			return handleReply([20]byte{}, werrInvalidHandle)
		}
		path := strings.Trim(sub, `\`)
		if parent != "" {
			path = parent + `\` + path
		}
		return open(path, access)
	case 17: // BaseRegQueryValue
		h := r.handle()
		name := r.ustr()
		var offered uint32
		for _, field := range []string{"lpType", "lpData", "lpcbData", "lpcbLen"} {
			if r.u32() == 0 {
				continue // a NULL pointer: nothing follows
			}
			switch field {
			case "lpData":
				r.u32()               // MaxCount
				r.u32()               // Offset
				r.off += int(r.u32()) // ActualCount bytes sent in
			case "lpcbData":
				offered = r.u32()
			default:
				r.u32()
			}
		}
		if r.bad || r.off > len(stub) {
			return rpcResult{fault: faultBadStub}
		}
		path, ok := p.reg.keys[h]
		status, v := uint32(werrOK), RegValue{}
		switch {
		case !ok:
			status = werrInvalidHandle
		default:
			if v, ok = g.value(path, name); !ok {
				status = werrFileNotFound
			} else if uint32(len(v.Data)) > offered {
				status = werrMoreData
			}
		}
		out := le.AppendUint32(nil, 0x00020000) // lpType
		out = le.AppendUint32(out, v.Type)
		out = le.AppendUint32(out, 0x00020004) // lpData
		data := v.Data
		if status != werrOK {
			data = nil
		}
		out = le.AppendUint32(out, offered)           // MaxCount
		out = le.AppendUint32(out, 0)                 // Offset
		out = le.AppendUint32(out, uint32(len(data))) // ActualCount
		out = append(out, data...)
		for len(out)%4 != 0 {
			out = append(out, 0)
		}
		out = le.AppendUint32(out, 0x00020008) // lpcbData
		out = le.AppendUint32(out, uint32(len(v.Data)))
		out = le.AppendUint32(out, 0x0002000c) // lpcbLen
		out = le.AppendUint32(out, uint32(len(data)))
		return rpcResult{stub: le.AppendUint32(out, status)}
	case 5: // BaseRegCloseKey
		h := r.handle()
		if r.bad {
			return rpcResult{fault: faultBadStub}
		}
		if _, ok := p.reg.keys[h]; !ok {
			return handleReply(h, werrInvalidHandle)
		}
		delete(p.reg.keys, h)
		return handleReply([20]byte{}, werrOK)
	}
	return rpcResult{fault: faultOpRngError}
}

// Registry paths the lab's personalities fill, below HKLM.
const (
	regCurrentVersion = `SOFTWARE\Microsoft\Windows NT\CurrentVersion`
	regExplorer       = `SOFTWARE\Microsoft\Windows\CurrentVersion\Policies\Explorer`
	regAutorunInf     = `SOFTWARE\Microsoft\Windows NT\CurrentVersion\IniFileMapping\Autorun.inf`
	regUpdates        = `SOFTWARE\Microsoft\Updates`
)

// windowsRegistry is the part of a Windows registry the checks read: the OS values under
// CurrentVersion (SystemRoot too, as every Windows has it), nothing about AutoRun — the XP
// default, with NoDriveTypeAutoRun absent — and the given hotfix keys (`Windows XP\SP4\KB958644`).
func windowsRegistry(product, version, csd, build string, hotfixes ...string) *Registry {
	g := &Registry{Values: map[string]RegValue{
		regCurrentVersion + `\ProductName`:        regString(product),
		regCurrentVersion + `\CurrentVersion`:     regString(version),
		regCurrentVersion + `\CurrentBuildNumber`: regString(build),
		regCurrentVersion + `\SystemRoot`:         regString(`C:\WINDOWS`),
	}}
	if csd != "" {
		g.Values[regCurrentVersion+`\CSDVersion`] = regString(csd)
	}
	for _, h := range hotfixes {
		g.Keys = append(g.Keys, regUpdates+`\`+h)
	}
	return g
}

// set adds a value (`KEY\PATH\Name`) and returns g.
func (g *Registry) set(name string, v RegValue) *Registry {
	g.Values[name] = v
	return g
}
