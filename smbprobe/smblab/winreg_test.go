package smblab

import (
	"encoding/binary"
	"net/netip"
	"testing"
	"time"

	"github.com/scan445/scan445/smbprobe/internal/utf16le"
)

// regPipe is a \winreg pipe of the xp-no-browser personality, whose registry has
// NoDriveTypeAutoRun 0x04.
func regPipe(t testing.TB) *rpcPipe {
	t.Helper()
	for _, p := range DefaultPersonalities() {
		if p.Name == "xp-no-browser" {
			return newRPCPipe(newSession(&p, netip.MustParseAddr("127.0.0.2"), time.Now), "winreg")
		}
	}
	t.Fatal("no xp-no-browser personality")
	return nil
}

// ustr is an RRP_UNICODE_STRING with its characters, as the lab reads it (written here by
// hand, independently of package winreg).
func ustr(b []byte, s string, ref uint32) []byte {
	u := utf16le.EncodeZ(s)
	b = binary.LittleEndian.AppendUint16(b, uint16(len(u)))
	b = binary.LittleEndian.AppendUint16(b, uint16(len(u)))
	for _, v := range []uint32{ref, uint32(len(u) / 2), 0, uint32(len(u) / 2)} {
		b = binary.LittleEndian.AppendUint32(b, v)
	}
	b = append(b, u...)
	for len(b)%4 != 0 {
		b = append(b, 0)
	}
	return b
}

func u32s(b []byte, vs ...uint32) []byte {
	for _, v := range vs {
		b = binary.LittleEndian.AppendUint32(b, v)
	}
	return b
}

// TestLabWinreg walks the four calls: HKLM, the Explorer policy key, NoDriveTypeAutoRun
// (0x04), an absent value, a buffer too small, a close; write access and other opnums are
// refused.
func TestLabWinreg(t *testing.T) {
	p := regPipe(t)
	res := p.winreg(2, u32s(nil, 0, 0x20019))
	if len(res.stub) != 24 || binary.LittleEndian.Uint32(res.stub[20:]) != werrOK {
		t.Fatalf("OpenLocalMachine: %x", res.stub)
	}
	hklm := res.stub[:20]
	open := func(parent []byte, path string, access uint32) []byte {
		b := ustr(append([]byte(nil), parent...), path, 0x20000)
		return p.winreg(15, u32s(b, 0, access)).stub
	}
	key := open(hklm, regExplorer, 1)
	if binary.LittleEndian.Uint32(key[20:]) != werrOK {
		t.Fatalf("OpenKey: %x", key)
	}
	if st := open(hklm, `SOFTWARE\Nope`, 1); binary.LittleEndian.Uint32(st[20:]) != werrFileNotFound {
		t.Errorf("absent key: %x", st)
	}
	if st := open(hklm, regExplorer, 0x20019|0x2); binary.LittleEndian.Uint32(st[20:]) != werrAccessDenied {
		t.Errorf("KEY_SET_VALUE granted: %x", st)
	}
	query := func(name string, buf uint32) []byte {
		b := ustr(append([]byte(nil), key[:20]...), name, 0x20000)
		return p.winreg(17, u32s(b, 0x20004, 0, 0x20008, buf, 0, 0, 0x2000c, buf, 0x20010, 0)).stub
	}
	got := query("NoDriveTypeAutoRun", 1024)
	want := u32s(nil, 0x20000, regDWORD, 0x20004, 1024, 0, 4, 4, 0x20008, 4, 0x2000c, 4, werrOK)
	if string(got) != string(want) {
		t.Errorf("QueryValue:\n got %x\nwant %x", got, want)
	}
	if st := query("HonorAutorunSetting", 1024); binary.LittleEndian.Uint32(st[len(st)-4:]) != werrFileNotFound {
		t.Errorf("absent value: %x", st)
	}
	if st := query("NoDriveTypeAutoRun", 2); binary.LittleEndian.Uint32(st[len(st)-4:]) != werrMoreData {
		t.Errorf("small buffer: %x", st)
	}
	if st := p.winreg(5, key[:20]).stub; binary.LittleEndian.Uint32(st[20:]) != werrOK {
		t.Errorf("CloseKey: %x", st)
	}
	if st := p.winreg(5, key[:20]).stub; binary.LittleEndian.Uint32(st[20:]) != werrInvalidHandle {
		t.Errorf("second CloseKey: %x", st)
	}
	for _, op := range []uint16{6, 8, 22, 24, 35} { // BaseRegCreateKey … BaseRegSetValue, BaseRegDeleteKey, …
		if res := p.winreg(op, hklm); res.fault != faultOpRngError {
			t.Errorf("opnum %d answered: %+v", op, res)
		}
	}
}

// FuzzLabWinreg: the lab's own MS-RRP request reading never panics and never answers a
// non-registry opnum with anything but a fault.
func FuzzLabWinreg(f *testing.F) {
	f.Add(uint16(2), u32s(nil, 0, 0x20019))
	f.Add(uint16(15), u32s(ustr(make([]byte, 20), regExplorer, 0x20000), 0, 1))
	f.Add(uint16(17), u32s(ustr(make([]byte, 20), "x", 0x20000), 0x20004, 0, 0x20008, 16, 0, 0, 0x2000c, 16, 0x20010, 0))
	f.Add(uint16(5), make([]byte, 20))
	f.Fuzz(func(t *testing.T, op uint16, stub []byte) {
		p := regPipe(t)
		p.winreg(2, u32s(nil, 0, 0x20019)) // an open HKLM for the handle-taking calls
		res := p.winreg(op, stub)
		switch op {
		case 2, 5, 15, 17:
		default:
			if res.fault != faultOpRngError || res.stub != nil {
				t.Fatalf("opnum %d: %+v", op, res)
			}
		}
	})
}
