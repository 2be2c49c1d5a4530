package wirecheck

import (
	"encoding/binary"
	"encoding/hex"
	"strings"
	"testing"
	"unicode/utf16"
)

// The builders below write the few wire structures by hand, from the specs, so that the
// decoder is tested against bytes and not against itself.

func nbss(msg []byte) []byte {
	n := len(msg)
	return append([]byte{0, byte(n >> 16), byte(n >> 8), byte(n)}, msg...)
}

func smb1Header(cmd byte) []byte {
	h := make([]byte, 32)
	copy(h, "\xffSMB")
	h[4] = cmd
	return h
}

// smb1Trans is a TRANSACTION (TransactNmPipe on fid) whose data is data.
func smb1Trans(fid uint16, data []byte) []byte {
	m := smb1Header(0x25)
	w := make([]byte, 32) // 14 words + 2 setup words
	dataOff := 32 + 1 + len(w) + 2
	binary.LittleEndian.PutUint16(w[2:], uint16(len(data)))
	binary.LittleEndian.PutUint16(w[22:], uint16(len(data)))
	binary.LittleEndian.PutUint16(w[24:], uint16(dataOff))
	w[26] = 2
	binary.LittleEndian.PutUint16(w[28:], 0x26)
	binary.LittleEndian.PutUint16(w[30:], fid)
	m = append(m, byte(len(w)/2))
	m = append(m, w...)
	m = binary.LittleEndian.AppendUint16(m, uint16(len(data)))
	return append(m, data...)
}

// smb1WriteAndX is a WRITE_ANDX of data to fid.
func smb1WriteAndX(fid uint16, data []byte) []byte {
	m := smb1Header(0x2F)
	w := make([]byte, 28)
	w[0] = 0xFF
	binary.LittleEndian.PutUint16(w[4:], fid)
	binary.LittleEndian.PutUint16(w[20:], uint16(len(data)))
	binary.LittleEndian.PutUint16(w[22:], uint16(32+1+len(w)+2))
	m = append(m, byte(len(w)/2))
	m = append(m, w...)
	m = binary.LittleEndian.AppendUint16(m, uint16(len(data)))
	return append(m, data...)
}

func smb2Header(cmd uint16) []byte {
	h := make([]byte, 64)
	copy(h, "\xfeSMB")
	binary.LittleEndian.PutUint16(h[4:], 64)
	binary.LittleEndian.PutUint16(h[12:], cmd)
	return h
}

// smb2Ioctl is an IOCTL with ctl code ctl and input data.
func smb2Ioctl(ctl uint32, fileID byte, data []byte) []byte {
	m := smb2Header(0x0B)
	b := make([]byte, 56)
	binary.LittleEndian.PutUint16(b[0:], 57)
	binary.LittleEndian.PutUint32(b[4:], ctl)
	b[8] = fileID
	binary.LittleEndian.PutUint32(b[24:], 64+56)
	binary.LittleEndian.PutUint32(b[28:], uint32(len(data)))
	return append(append(m, b...), data...)
}

// smb2Write is a WRITE of data.
func smb2Write(fileID byte, data []byte) []byte {
	m := smb2Header(0x09)
	b := make([]byte, 48)
	binary.LittleEndian.PutUint16(b[0:], 49)
	binary.LittleEndian.PutUint16(b[2:], 64+48)
	binary.LittleEndian.PutUint32(b[4:], uint32(len(data)))
	b[16] = fileID
	return append(append(m, b...), data...)
}

func rpcHeader(ptype, flags byte, callID uint32, body []byte) []byte {
	h := []byte{5, 0, ptype, flags, 0x10, 0, 0, 0}
	h = binary.LittleEndian.AppendUint16(h, uint16(16+len(body)))
	h = binary.LittleEndian.AppendUint16(h, 0)
	h = binary.LittleEndian.AppendUint32(h, callID)
	return append(h, body...)
}

func bindSrvsvc(ctxID uint16) []byte {
	uuid, _ := hex.DecodeString("c84f324b7016d30112785a47bf6ee188") // 4b324fc8-1670-01d3-1278-5a47bf6ee188
	b := []byte{0xb8, 0x10, 0xb8, 0x10, 0, 0, 0, 0, 1, 0, 0, 0}
	b = binary.LittleEndian.AppendUint16(b, ctxID)
	b = append(b, 1, 0)
	b = append(b, uuid...)
	b = append(b, 3, 0, 0, 0)
	b = append(b, make([]byte, 20)...) // a transfer syntax; its value does not matter here
	return rpcHeader(11, 3, 1, b)
}

func request(ctxID, opnum uint16, callID uint32, flags byte, stub []byte) []byte {
	b := binary.LittleEndian.AppendUint32(nil, uint32(len(stub)))
	b = binary.LittleEndian.AppendUint16(b, ctxID)
	b = binary.LittleEndian.AppendUint16(b, opnum)
	return rpcHeader(0, flags, callID, append(b, stub...))
}

// ndrString is a [string] wchar_t*: MaxCount, Offset 0, ActualCount, units, NUL, pad to 4.
func ndrString(s string) []byte {
	u := append(utf16.Encode([]rune(s)), 0)
	b := binary.LittleEndian.AppendUint32(nil, uint32(len(u)))
	b = binary.LittleEndian.AppendUint32(b, 0)
	b = binary.LittleEndian.AppendUint32(b, uint32(len(u)))
	for _, c := range u {
		b = binary.LittleEndian.AppendUint16(b, c)
	}
	for len(b)%4 != 0 {
		b = append(b, 0)
	}
	return b
}

// canonStub is a NetprPathCanonicalize request stub.
func canonStub(server, path, prefix string) []byte {
	b := binary.LittleEndian.AppendUint32(nil, 0x20000) // [unique] referent
	b = append(b, ndrString(server)...)
	b = append(b, ndrString(path)...)
	b = binary.LittleEndian.AppendUint32(b, 2) // OutbufLen
	b = append(b, ndrString(prefix)...)
	b = binary.LittleEndian.AppendUint32(b, 1) // PathType
	return binary.LittleEndian.AppendUint32(b, 1)
}

func TestCheckFindsStringsOverSMB1AndSMB2(t *testing.T) {
	const fid = 0x4001
	long := canonStub("a", `\A\..\x`, `\`) // reaches
	var s1 []byte
	s1 = append(s1, nbss(smb1Trans(fid, bindSrvsvc(0)))...)
	s1 = append(s1, nbss(smb1Trans(fid, request(0, 31, 2, 3, canonStub("a", `\..\`, `\`))))...)
	// One request in two fragments, the second fragment split over two writes.
	frag2 := request(0, 31, 3, 2, long[20:])
	s1 = append(s1, nbss(smb1Trans(fid, request(0, 31, 3, 1, long[:20])))...)
	s1 = append(s1, nbss(smb1WriteAndX(fid, frag2[:10]))...)
	s1 = append(s1, nbss(smb1WriteAndX(fid, frag2[10:]))...)

	var s2 []byte
	s2 = append(s2, nbss(smb2Ioctl(fsctlValidateNegotiateInfo, 0, []byte{1, 2, 3}))...)
	s2 = append(s2, nbss(smb2Write(7, bindSrvsvc(0)))...)
	s2 = append(s2, nbss(smb2Ioctl(fsctlPipeTransceive, 7, request(0, 31, 2, 3, canonStub("a", `..\x`, `\A`))))...)

	rep := Check([]Stream{{"smb1", s1}, {"smb2", s2}})
	if len(rep.Problems) != 0 {
		t.Fatalf("problems: %v", rep.Problems)
	}
	if got := rep.SrvsvcRequests()[31]; got != 3 {
		t.Fatalf("srvsvc opnum 31 requests = %d, want 3: %s", got, rep)
	}
	want := map[string]bool{"smb1 fid 0x4001/2": false, "smb1 fid 0x4001/3": true, "smb2 file 07000000000000000000000000000000/2": true}
	for _, r := range rep.Requests {
		key := r.Stream + "/" + string(rune('0'+r.CallID))
		reach, ok := want[key]
		if !ok {
			t.Errorf("unexpected request %s", key)
			continue
		}
		if (len(r.Reaching) > 0) != reach {
			t.Errorf("%s: strings %q, reaching %q, want reaching %v", key, r.Strings, r.Reaching, reach)
		}
		if !strings.Contains(strings.Join(r.Strings, "|"), `\`) {
			t.Errorf("%s: strings %q", key, r.Strings)
		}
	}
	// The SMB2 one reaches only as a join: `\A` + `\` + `..\x`.
	for _, r := range rep.Reaching() {
		if strings.HasPrefix(r.Stream, "smb2") && !strings.Contains(strings.Join(r.Reaching, " "), `prefix "\\A", path "..\\x"`) {
			t.Errorf("smb2 request reaching %q, want the prefix/path join", r.Reaching)
		}
	}
}

func TestCheckReportsWhatItCannotRead(t *testing.T) {
	encrypted := append([]byte("\xfdSMB"), make([]byte, 60)...)
	for _, tc := range []struct {
		name string
		data []byte
		want string
	}{
		{"encrypted", nbss(encrypted), "encrypted"},
		{"unknown SMB1 command", nbss(append(smb1Header(0x0B), 0, 0, 0)), "SMB1 command 0x0b not inspected"},
		{"unknown SMB2 command", nbss(smb2Header(0x11)), "SMB2 command 0x11 not inspected"},
		{"unknown IOCTL", nbss(smb2Ioctl(0x00090000, 1, nil)), "IOCTL"},
		{"short frame", nbss(smb1Header(0x25))[:20], "only"},
		{"not DCE/RPC", nbss(smb1WriteAndX(1, make([]byte, 16))), "not a DCE/RPC"},
		{"incomplete PDU", nbss(smb1WriteAndX(1, bindSrvsvc(0)[:20])), "incomplete"},
		{"missing last fragment", nbss(smb1WriteAndX(1, request(0, 31, 9, 1, canonStub("a", `\`, `\`)))), "without a last fragment"},
		{"not NetBIOS", []byte{0x81, 0, 0, 0}, "frame type"},
		{"bad offset", nbss(smb2Write(1, nil)[:64+8]), "WRITE body"},
	} {
		rep := Check([]Stream{{tc.name, tc.data}})
		if !strings.Contains(strings.Join(rep.Problems, "\n"), tc.want) {
			t.Errorf("%s: problems %q, want one containing %q", tc.name, rep.Problems, tc.want)
		}
	}
}

func TestNDRStrings(t *testing.T) {
	stub := canonStub(`\\10.0.0.1`, `\A\B`, `\`)
	var got []string
	for _, u := range ndrStrings(stub) {
		got = append(got, string(utf16.Decode(u)))
	}
	// The real strings, in order, among whatever else looks like one.
	want := []string{"\\\\10.0.0.1\x00", "\\A\\B\x00", "\\\x00"}
	k := 0
	for _, s := range got {
		if k < len(want) && s == want[k] {
			k++
		}
	}
	if k != len(want) {
		t.Errorf("ndrStrings = %q, want %q among them in order", got, want)
	}
	// Counts that do not fit the stub are not strings.
	bad := binary.LittleEndian.AppendUint32(nil, 3)
	bad = binary.LittleEndian.AppendUint32(bad, 0)
	bad = binary.LittleEndian.AppendUint32(bad, 0x7fffffff)
	if s := ndrStrings(bad); len(s) != 0 {
		t.Errorf("ndrStrings(bad) = %v", s)
	}
}

func FuzzCheck(f *testing.F) {
	f.Add(nbss(smb1Trans(1, bindSrvsvc(0))))
	f.Add(nbss(smb2Ioctl(fsctlPipeTransceive, 7, request(0, 31, 2, 3, canonStub("a", `\..\`, `\`)))))
	f.Fuzz(func(t *testing.T, b []byte) {
		Check([]Stream{{"fuzz", b}}) // must not panic or hang on any input
	})
}
