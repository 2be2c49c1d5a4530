package winreg

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/scan445/scan445/internal/testpeer"
	"github.com/scan445/scan445/smbprobe/internal/utf16le"
)

func fixture(t *testing.T, name string) []byte {
	t.Helper()
	return testpeer.ReadHex(t, filepath.Join("testdata", name))
}

// Handles as Samba handed them out in the capture (testdata/README.md).
var (
	sambaHKLM = Handle{1, 0, 0, 0, 0x6d, 0x26, 0xbb, 0xdf, 0x26, 0xcc, 0x3b, 0x46, 0x90, 0x0b, 0x6a, 0x46, 0x34, 0x03, 0x21, 0xf1}
	sambaCV   = Handle{1, 0, 0, 0, 0xe0, 0x04, 0x81, 0x0d, 0xa6, 0x45, 0x06, 0x40, 0x95, 0xdd, 0x8a, 0xef, 0x05, 0xf5, 0x18, 0x76}
)

// TestGoldenRequests: every request the scanner can send, byte for byte.
func TestGoldenRequests(t *testing.T) {
	for _, tc := range []struct {
		golden string
		req    Request
	}{
		{"golden-openlocalmachine-request.hex", OpenLocalMachineRequest{Access: KeyRead}},
		{"golden-openkey-currentversion-request.hex", OpenKeyRequest{Key: sambaHKLM, SubKey: `SOFTWARE\Microsoft\Windows NT\CurrentVersion`, Access: KeyQueryValue}},
		{"golden-queryvalue-csdversion-request.hex", QueryValueRequest{Key: sambaCV, Name: "CSDVersion", BufferSize: 1024}},
		{"golden-queryvalue-default-request.hex", QueryValueRequest{Key: sambaCV, Name: "", BufferSize: 1024}},
		{"golden-closekey-request.hex", CloseKeyRequest{Key: sambaCV}},
	} {
		t.Run(tc.golden, func(t *testing.T) {
			got, err := tc.req.Encode()
			if err != nil {
				t.Fatal(err)
			}
			if want := fixture(t, tc.golden); !bytes.Equal(got, want) {
				t.Errorf("encoding differs from the golden file\n got %x\nwant %x", got, want)
			}
			// The independent reader of this file reads back what was encoded.
			if _, err := readRequest(tc.req.Opnum(), got); err != nil {
				t.Errorf("the test's reader refuses our encoding: %v", err)
			}
		})
	}
}

// parsedRequest is what readRequest, the test's own MS-RRP request reader, found.
type parsedRequest struct {
	key    Handle
	name   string
	access uint32
	opts   uint32
	buffer uint32
}

// readRequest parses a request stub with code that shares nothing with the encoders, the
// way a server would; it is held to impacket's captured requests below, so it reads real
// MS-RRP and not just this package's idea of it.
func readRequest(opnum uint16, b []byte) (parsedRequest, error) {
	var p parsedRequest
	off := 0
	u32 := func() (uint32, error) {
		off = (off + 3) &^ 3
		if off+4 > len(b) {
			return 0, fmt.Errorf("short at %d", off)
		}
		v := binary.LittleEndian.Uint32(b[off:])
		off += 4
		return v, nil
	}
	handle := func() error {
		if len(b) < 20 {
			return fmt.Errorf("no handle")
		}
		copy(p.key[:], b)
		off = 20
		return nil
	}
	ustr := func() error {
		if off+8 > len(b) {
			return fmt.Errorf("short RRP_UNICODE_STRING")
		}
		length, maxLen := binary.LittleEndian.Uint16(b[off:]), binary.LittleEndian.Uint16(b[off+2:])
		off += 4
		ref, _ := u32()
		if ref == 0 || length > maxLen || length%2 != 0 {
			return fmt.Errorf("bad RRP_UNICODE_STRING header %d/%d ref %x", length, maxLen, ref)
		}
		mc, _ := u32()
		o, _ := u32()
		ac, err := u32()
		if err != nil || o != 0 || mc != uint32(maxLen/2) || ac != uint32(length/2) || off+int(ac)*2 > len(b) {
			return fmt.Errorf("bad array %d/%d/%d for length %d", mc, o, ac, length)
		}
		p.name = utf16le.DecodeToNUL(b[off : off+int(ac)*2])
		if ac == 0 || binary.LittleEndian.Uint16(b[off+int(ac)*2-2:]) != 0 {
			return fmt.Errorf("name without its NUL")
		}
		off += int(ac) * 2
		return nil
	}
	var err error
	switch opnum {
	case OpOpenLocalMachine:
		if ref, _ := u32(); ref != 0 {
			u32() // a server name pointee: a single wchar_t
		}
		p.access, err = u32()
	case OpBaseRegOpenKey:
		if err = handle(); err == nil {
			if err = ustr(); err == nil {
				p.opts, _ = u32()
				p.access, err = u32()
			}
		}
	case OpBaseRegQueryValue:
		if err = handle(); err == nil {
			if err = ustr(); err == nil {
				for _, field := range []string{"lpType", "lpData", "lpcbData", "lpcbLen"} {
					ref, e := u32()
					if e != nil || ref == 0 {
						return p, fmt.Errorf("%s missing", field)
					}
					if field != "lpData" {
						v, _ := u32()
						if field == "lpcbData" {
							p.buffer = v
						}
						continue
					}
					mc, _ := u32()
					u32()
					ac, e := u32()
					if e != nil || ac > mc || off+int(ac) > len(b) {
						return p, fmt.Errorf("bad lpData")
					}
					off += int(ac)
				}
			}
		}
	case OpBaseRegCloseKey:
		err = handle()
	default:
		return p, fmt.Errorf("opnum %d", opnum)
	}
	if err == nil && len(b)-off > 3 {
		err = fmt.Errorf("%d bytes left over", len(b)-off)
	}
	return p, err
}

// TestReaderOnImpacket holds the test's request reader to impacket's requests as Samba
// accepted them (with impacket's random referents and 0xaa/0xbf padding).
func TestReaderOnImpacket(t *testing.T) {
	for _, tc := range []struct {
		file  string
		opnum uint16
		want  parsedRequest
	}{
		{"impacket-client-openlocalmachine-request.hex", OpOpenLocalMachine, parsedRequest{access: 0x02000000}},
		{"impacket-client-openkey-currentversion-request.hex", OpBaseRegOpenKey, parsedRequest{key: sambaHKLM, name: `SOFTWARE\Microsoft\Windows NT\CurrentVersion`, opts: 1, access: KeyQueryValue}},
		{"impacket-client-queryvalue-currentversion-request.hex", OpBaseRegQueryValue, parsedRequest{key: sambaCV, name: "CurrentVersion", buffer: 512}},
		{"impacket-client-closekey-request.hex", OpBaseRegCloseKey, parsedRequest{key: sambaCV}},
	} {
		got, err := readRequest(tc.opnum, fixture(t, tc.file))
		if err != nil || got != tc.want {
			t.Errorf("%s: %+v, %v; want %+v", tc.file, got, err, tc.want)
		}
	}
}

// TestDecodeSambaResponses decodes Samba 4.17's answers from the capture.
func TestDecodeSambaResponses(t *testing.T) {
	for _, tc := range []struct {
		file string
		want HandleResponse
	}{
		{"samba-server-openlocalmachine-response.hex", HandleResponse{Key: sambaHKLM}},
		{"samba-server-openkey-response.hex", HandleResponse{Key: sambaCV}},
		{"samba-server-closekey-response.hex", HandleResponse{}},
		{"samba-server-openkey-notfound-response.hex", HandleResponse{Status: WerrFileNotFound}},
	} {
		got, err := DecodeHandleResponse(fixture(t, tc.file))
		if err != nil || got != tc.want {
			t.Errorf("%s: %+v, %v; want %+v", tc.file, got, err, tc.want)
		}
	}
	for _, tc := range []struct {
		file    string
		status  WERROR
		display string
		size    uint32
	}{
		{"samba-server-queryvalue-currentversion-response.hex", WerrOK, `REG_SZ "6.1"`, 8},
		{"samba-server-queryvalue-systemroot-response.hex", WerrOK, `REG_SZ "c:\\Windows"`, 22},
		{"samba-server-queryvalue-notfound-response.hex", WerrFileNotFound, "REG_NONE, 0 bytes", 0},
	} {
		got, err := DecodeQueryValueResponse(fixture(t, tc.file))
		if err != nil {
			t.Fatalf("%s: %v", tc.file, err)
		}
		v := Value{Type: got.Type, Data: got.Data}
		if got.Status != tc.status || v.Display() != tc.display || got.DataSize != tc.size || !got.HasType || !got.HasData {
			t.Errorf("%s: %+v (%s); want %s, %s, size %d", tc.file, got, v.Display(), tc.status, tc.display, tc.size)
		}
	}
}

// TestDecodeMalformed: every truncation of a real answer, and counts that lie, are errors
// with a sentinel, never a panic or a value.
func TestDecodeMalformed(t *testing.T) {
	full := fixture(t, "samba-server-queryvalue-systemroot-response.hex")
	for n := 0; n < len(full); n++ {
		if _, err := DecodeQueryValueResponse(full[:n]); !errors.Is(err, ErrTruncated) && !errors.Is(err, ErrMalformed) {
			t.Errorf("QueryValue truncated to %d: %v", n, err)
		}
	}
	h := fixture(t, "samba-server-openkey-response.hex")
	for n := 0; n < len(h); n++ {
		if _, err := DecodeHandleResponse(h[:n]); !errors.Is(err, ErrTruncated) {
			t.Errorf("handle truncated to %d: %v", n, err)
		}
	}
	lie := append([]byte(nil), full...)
	binary.LittleEndian.PutUint32(lie[20:], 0xffffff00) // ActualCount beyond MaxCount and the stub
	if _, err := DecodeQueryValueResponse(lie); !errors.Is(err, ErrMalformed) {
		t.Errorf("ActualCount > MaxCount: %v", err)
	}
	binary.LittleEndian.PutUint32(lie[12:], 0xffffffff) // MaxCount too: only the stub's length can stop it
	if _, err := DecodeQueryValueResponse(lie); !errors.Is(err, ErrTruncated) {
		t.Errorf("ActualCount beyond the stub: %v", err)
	}
}

// TestReadOnlyAccess: KEY_READ and its parts pass, every other bit on its own is refused,
// and the encoders refuse what ReadOnlyAccess refuses.
func TestReadOnlyAccess(t *testing.T) {
	for _, ok := range []uint32{KeyRead, KeyQueryValue, KeyQueryValue | KeyWow6464Key, ReadControl} {
		if err := ReadOnlyAccess(ok); err != nil {
			t.Errorf("0x%08x refused: %v", ok, err)
		}
	}
	if ReadOnlyAccess(0) == nil {
		t.Error("an empty mask passed")
	}
	for bit := uint32(1); bit != 0; bit <<= 1 {
		if bit&readBits != 0 {
			continue
		}
		mask := KeyQueryValue | bit
		if err := ReadOnlyAccess(mask); !errors.Is(err, ErrWriteAccess) {
			t.Errorf("0x%08x passed", mask)
		}
		for _, r := range []Request{OpenLocalMachineRequest{Access: mask}, OpenKeyRequest{SubKey: "x", Access: mask}} {
			if b, err := r.Encode(); !errors.Is(err, ErrWriteAccess) || b != nil {
				t.Errorf("%T with 0x%08x encoded: %x, %v", r, mask, b, err)
			}
		}
	}
}

// TestEncodeRefuses: names that cannot be marshalled and oversized buffers are errors.
func TestEncodeRefuses(t *testing.T) {
	long := string(bytes.Repeat([]byte("a"), maxNameChars+1))
	for _, r := range []Request{
		OpenKeyRequest{SubKey: "a\x00b", Access: KeyRead},
		OpenKeyRequest{SubKey: long, Access: KeyRead},
		QueryValueRequest{Name: "a\x00", BufferSize: 4},
		QueryValueRequest{Name: "x", BufferSize: MaxBuffer + 1},
	} {
		if b, err := r.Encode(); err == nil {
			t.Errorf("%T %+v encoded: %x", r, r, b)
		}
	}
}
