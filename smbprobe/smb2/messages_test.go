package smb2

import (
	"bytes"
	"errors"
	"github.com/scan445/scan445/smbprobe/internal/utf16le"
	"reflect"
	"testing"
	"time"

	"github.com/scan445/scan445/internal/testpeer"
	"github.com/scan445/scan445/smbprobe/ntstatus"
)

// Every body type survives encode → DecodeBody → encode, in both directions.
func TestRoundTripAllCommands(t *testing.T) {
	fid := FileID{Persistent: 0x1122334455667788, Volatile: 0x99aabbccddeeff00}
	ft := FiletimeOf(time.Date(2009, 1, 13, 12, 0, 0, 0, time.UTC))
	vni := (&ValidateNegotiateInfoRequest{Capabilities: 0x7f, GUID: GUID{1, 2, 3}, SecurityMode: 1,
		Dialects: []Dialect{Dialect202, Dialect210, Dialect300, Dialect302}}).Encode()
	tests := []struct {
		name string
		cmd  Command
		resp bool
		body Body
	}{
		{"negotiate req 2.x", CmdNegotiate, false, &NegotiateRequest{SecurityMode: 1, Dialects: []Dialect{Dialect202, Dialect210}, ClientStartTime: 5}},
		{"negotiate req 3.1.1", CmdNegotiate, false, ProbeNegotiate(GUID{9}, [32]byte{1})},
		{"negotiate resp 2.1", CmdNegotiate, true, &NegotiateResponse{SecurityMode: 1, DialectRevision: Dialect210, ServerGUID: GUID{7},
			MaxTransactSize: 65536, MaxReadSize: 65536, MaxWriteSize: 65536, SystemTime: ft, SecurityBuffer: []byte{0x60, 1, 2}}},
		{"negotiate resp 3.1.1", CmdNegotiate, true, &NegotiateResponse{DialectRevision: Dialect311, SecurityBuffer: []byte{0x60, 1, 2, 3, 4},
			Contexts: []NegotiateContext{PreauthContext{[]uint16{HashSHA512}, bytes.Repeat([]byte{5}, 32)}.Context(),
				EncryptionContext{[]uint16{CipherAES128GCM}}.Context()}}},
		{"session setup req", CmdSessionSetup, false, &SessionSetupRequest{SecurityMode: 1, Capabilities: 1, PreviousSessionID: 3, SecurityBuffer: []byte("NTLMSSP\x00")}},
		{"session setup resp", CmdSessionSetup, true, &SessionSetupResponse{SessionFlags: SessionIsNull, SecurityBuffer: []byte{0xa1, 0x07}}},
		{"session setup resp empty", CmdSessionSetup, true, &SessionSetupResponse{}},
		{"logoff req", CmdLogoff, false, &Empty{}},
		{"logoff resp", CmdLogoff, true, &Empty{}},
		{"echo req", CmdEcho, false, &Empty{}},
		{"echo resp", CmdEcho, true, &Empty{}},
		{"tree connect req", CmdTreeConnect, false, &TreeConnectRequest{Path: `\\127.0.0.1\IPC$`}},
		{"tree connect resp", CmdTreeConnect, true, &TreeConnectResponse{ShareType: ShareTypePipe, ShareFlags: ShareFlagNoCaching, MaximalAccess: 0x001f01ff}},
		{"tree disconnect req", CmdTreeDisconnect, false, &Empty{}},
		{"tree disconnect resp", CmdTreeDisconnect, true, &Empty{}},
		{"create req", CmdCreate, false, &CreateRequest{ImpersonationLevel: ImpersonationImpersonation, DesiredAccess: 0x0012019f,
			ShareAccess: FileShareRead | FileShareWrite, CreateDisposition: FileOpen, Name: `system32\netapi32.dll`}},
		{"create req contexts", CmdCreate, false, &CreateRequest{Name: "srvsvc", CreateContexts: mustCreateContext(t)}},
		{"create req empty name", CmdCreate, false, &CreateRequest{CreateDisposition: FileOpen}},
		{"create resp", CmdCreate, true, &CreateResponse{CreateAction: FileActionOpened, CreationTime: ft, LastWriteTime: ft,
			EndOfFile: 123456, AllocationSize: 126976, FileAttributes: FileAttributeArchive, FileID: fid}},
		{"create resp contexts", CmdCreate, true, &CreateResponse{FileID: fid, CreateContexts: mustCreateContext(t)}},
		{"close req", CmdClose, false, &CloseRequest{Flags: CloseFlagPostQueryAttrib, FileID: fid}},
		{"close resp", CmdClose, true, &CloseResponse{Flags: CloseFlagPostQueryAttrib, CreationTime: ft, EndOfFile: 9}},
		{"read req", CmdRead, false, &ReadRequest{Padding: 0x50, Length: 4280, Offset: 1 << 33, FileID: fid, MinimumCount: 1}},
		{"read resp", CmdRead, true, &ReadResponse{Data: []byte{5, 0, 0x0c, 3}, DataRemaining: 10}},
		{"write req", CmdWrite, false, &WriteRequest{Offset: 0, FileID: fid, Data: []byte{5, 0, 0x0b, 3, 0x10, 0, 0, 0}}},
		{"write resp", CmdWrite, true, &WriteResponse{Count: 72}},
		{"ioctl transceive", CmdIoctl, false, &IoctlRequest{CtlCode: FsctlPipeTransceive, FileID: fid, MaxOutputResponse: 4280, Flags: IoctlIsFsctl, Input: []byte{5, 0, 0, 3}}},
		{"ioctl validate", CmdIoctl, false, &IoctlRequest{CtlCode: FsctlValidateNegotiateInfo, FileID: AnyFileID, MaxOutputResponse: 24, Flags: IoctlIsFsctl, Input: vni}},
		{"ioctl in+out", CmdIoctl, false, &IoctlRequest{CtlCode: 1, Input: []byte{1, 2}, Output: []byte{3}}},
		{"ioctl resp", CmdIoctl, true, &IoctlResponse{CtlCode: FsctlPipeTransceive, FileID: fid, Output: []byte{5, 0, 2, 3}}},
		{"ioctl resp in+out", CmdIoctl, true, &IoctlResponse{CtlCode: 1, Input: []byte{1}, Output: []byte{2, 3}}},
		{"query info req", CmdQueryInfo, false, &QueryInfoRequest{InfoType: InfoFile, FileInfoClass: FileAllInformation, OutputBufferLength: 65536, FileID: fid}},
		{"query info req input", CmdQueryInfo, false, &QueryInfoRequest{InfoType: InfoQuota, Input: []byte{1, 2, 3, 4}, FileID: fid}},
		{"query info resp", CmdQueryInfo, true, &QueryInfoResponse{OutputBuffer: (&FileStandardInfo{EndOfFile: 4096, NumberOfLinks: 1}).Encode()}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := Header{Command: tt.cmd, MessageID: 42, SessionID: 0x0003f8000000003d, TreeID: 5, Credits: 1}
			if tt.resp {
				h.Flags = FlagServerToRedir
			}
			msg := Build(h, tt.body)
			pdus, err := DecodeMessage(msg)
			if err != nil || len(pdus) != 1 {
				t.Fatalf("DecodeMessage: %v", err)
			}
			if pdus[0].Header != h {
				t.Errorf("header %+v, want %+v", pdus[0].Header, h)
			}
			got, err := DecodeBody(&pdus[0].Header, pdus[0].Body)
			if err != nil {
				t.Fatal(err)
			}
			if reflect.TypeOf(got) != reflect.TypeOf(tt.body) {
				t.Fatalf("decoded as %T", got)
			}
			if !bytes.Equal(Build(h, got), msg) {
				t.Errorf("re-encoded differs:\n%x\n%x", Build(h, got), msg)
			}
			if !reflect.DeepEqual(normalize(got), normalize(tt.body)) {
				t.Errorf("decoded %+v\nwant    %+v", got, tt.body)
			}
		})
	}
}

// normalize makes empty and nil slices compare equal.
func normalize(b Body) Body {
	v := reflect.ValueOf(b).Elem()
	c := reflect.New(v.Type()).Elem()
	c.Set(v)
	for i := 0; i < c.NumField(); i++ {
		f := c.Field(i)
		if f.Kind() == reflect.Slice && f.Len() == 0 {
			f.Set(reflect.Zero(f.Type()))
		}
	}
	return c.Addr().Interface().(Body)
}

func mustCreateContext(t *testing.T) []byte {
	// Two contexts: "MxAc" with no data, then "QFid" with none: Next 24 then 0.
	b := testpeer.Unhex(t, `
		18000000 1000 0400 0000 0000 00000000 4d784163 00000000 // MxAc, Next=24
		00000000 1000 0400 0000 0000 00000000 51466964          // QFid, last
	`)
	cs, err := DecodeCreateContexts(b)
	if err != nil || len(cs) != 2 || string(cs[0].Name) != "MxAc" || string(cs[1].Name) != "QFid" {
		t.Fatalf("DecodeCreateContexts: %q %v", cs, err)
	}
	return b
}

func TestCreateContextErrors(t *testing.T) {
	for _, b := range [][]byte{
		testpeer.Unhex(t, "00000000 1000"),                                  // short header
		testpeer.Unhex(t, "05000000 1000 0400 0000 0000 00000000 4d784163"), // Next not aligned
		testpeer.Unhex(t, "00000000 1000 0400 0000 0000 00000000 4d78"),     // name cut
		testpeer.Unhex(t, "00000000 1000 0400 0000 1800 ffffffff 4d784163"), // data beyond
		testpeer.Unhex(t, "40000000 1000 0400 0000 0000 00000000 4d784163"), // Next beyond
	} {
		if _, err := DecodeCreateContexts(b); err == nil {
			t.Errorf("%x: no error", b)
		}
	}
}

func TestValidateNegotiateInfo(t *testing.T) {
	req := &ValidateNegotiateInfoRequest{Capabilities: 0x7f, GUID: GUID{1}, SecurityMode: 1, Dialects: []Dialect{Dialect300, Dialect302}}
	b := req.Encode()
	want := testpeer.Unhex(t, `
		7f000000                         // Capabilities
		01000000000000000000000000000000 // Guid
		0100                             // SecurityMode
		0200                             // DialectCount
		0003 0203                        // Dialects
	`)
	if !bytes.Equal(b, want) {
		t.Fatalf("got %x", b)
	}
	got, err := DecodeValidateNegotiateInfoRequest(b)
	if err != nil || !reflect.DeepEqual(got, req) {
		t.Errorf("decoded %+v %v", got, err)
	}
	if _, err := DecodeValidateNegotiateInfoRequest(b[:25]); !errors.Is(err, ErrTruncated) {
		t.Errorf("cut request: %v", err)
	}
	resp := &ValidateNegotiateInfoResponse{Capabilities: 0x2f, GUID: GUID{2}, SecurityMode: 1, Dialect: Dialect302}
	r, err := DecodeValidateNegotiateInfoResponse(resp.Encode())
	if err != nil || *r != *resp {
		t.Errorf("response %+v %v", r, err)
	}
	if _, err := DecodeValidateNegotiateInfoResponse(b[:23]); !errors.Is(err, ErrTruncated) {
		t.Errorf("cut response: %v", err)
	}
}

func TestFileInfo(t *testing.T) {
	all := &FileAllInfo{
		Basic:    FileBasicInfo{CreationTime: 1, LastAccessTime: 2, LastWriteTime: 3, ChangeTime: 4, FileAttributes: FileAttributeArchive},
		Standard: FileStandardInfo{AllocationSize: 8192, EndOfFile: 4000, NumberOfLinks: 1},
		Mode:     0x20, Name: `\Windows\system32\netapi32.dll`,
	}
	b := all.Encode()
	if len(b) != 100+2*len(all.Name) || le.Uint64(b[48:56]) != 4000 {
		t.Fatalf("layout: %x", b)
	}
	got, err := DecodeFileAllInfo(b)
	if err != nil || !reflect.DeepEqual(got, all) {
		t.Errorf("decoded %+v %v", got, err)
	}
	if _, err := DecodeFileAllInfo(b[:110]); !errors.Is(err, ErrTruncated) {
		t.Errorf("cut name: %v", err)
	}
	// The real FILE_STANDARD_INFORMATION Windows 10 returned for the srvsvc pipe (frame 16).
	pdus, _ := DecodeMessage(mustFrame(t, "win10.frames", 16).Msg)
	qi, err := DecodeQueryInfoResponse(pdus[0].Body)
	if err != nil {
		t.Fatal(err)
	}
	std, err := DecodeFileStandardInfo(qi.OutputBuffer)
	if err != nil || std.AllocationSize != 4096 || std.NumberOfLinks != 1 || !std.DeletePending || std.Directory {
		t.Errorf("pipe standard info %+v %v", std, err)
	}
}

func TestErrorResponse(t *testing.T) {
	// Samba's OBJECT_NAME_NOT_FOUND for \browser (frame 128).
	pdus, err := DecodeMessage(mustFrame(t, "samba417.frames", 128).Msg)
	if err != nil {
		t.Fatal(err)
	}
	h := pdus[0].Header
	if h.Status != ntstatus.ObjectNameNotFound || h.Command != CmdCreate || !CarriesErrorBody(&h) {
		t.Fatalf("header %+v", h)
	}
	b, err := DecodeBody(&h, pdus[0].Body)
	if err != nil {
		t.Fatal(err)
	}
	if e, ok := b.(*ErrorResponse); !ok || len(e.ErrorData) != 0 {
		t.Fatalf("got %#v", b)
	}
	if got := (&ErrorResponse{}).EncodeBody(); !bytes.Equal(got, testpeer.Unhex(t, "0900 00 00 00000000 00")) {
		t.Errorf("empty error body %x", got)
	}
	if _, err := DecodeErrorResponse(testpeer.Unhex(t, "0900 0000 05000000 00")); !errors.Is(err, ErrTruncated) {
		t.Errorf("ByteCount beyond: %v", err)
	}
	// Bodies that keep their own shape despite a non-success status.
	for _, h := range []Header{
		{Command: CmdSessionSetup, Status: 0xC0000016, Flags: FlagServerToRedir}, // MORE_PROCESSING_REQUIRED
		{Command: CmdRead, Status: 0x80000005, Flags: FlagServerToRedir},         // BUFFER_OVERFLOW
		{Command: CmdCreate, Status: 0xC0000034},                                 // a request
	} {
		if CarriesErrorBody(&h) {
			t.Errorf("%v status %#x: CarriesErrorBody", h.Command, h.Status)
		}
	}
	pending := Header{Command: CmdIoctl, Status: 0x103, Flags: FlagServerToRedir | FlagAsyncCommand}
	if !CarriesErrorBody(&pending) {
		t.Error("interim STATUS_PENDING should carry an ERROR body")
	}
}

func TestHeader(t *testing.T) {
	h := Header{CreditCharge: 1, Status: 0x103, Command: CmdIoctl, Credits: 2,
		Flags: FlagServerToRedir | FlagAsyncCommand, MessageID: 9, AsyncID: 0x0102030405060708, SessionID: 3, Signature: [16]byte{1}}
	var b [HeaderSize]byte
	h.Encode(b[:])
	want := testpeer.Unhex(t, `
		fe534d42 4000 0100        // ProtocolId, StructureSize, CreditCharge
		03010000                  // Status STATUS_PENDING
		0b00 0200                 // Command IOCTL, CreditResponse 2
		03000000                  // Flags SERVER_TO_REDIR|ASYNC_COMMAND
		00000000                  // NextCommand
		0900000000000000          // MessageId
		0807060504030201          // AsyncId
		0300000000000000          // SessionId
		01000000000000000000000000000000 // Signature
	`)
	if !bytes.Equal(b[:], want) {
		t.Fatalf("async header %x", b)
	}
	got, err := DecodeHeader(b[:])
	if err != nil || got != h {
		t.Errorf("decoded %+v %v", got, err)
	}
	for _, tt := range []struct {
		b   []byte
		err error
	}{
		{nil, ErrNotSMB2},
		{[]byte("\xffSMBr"), ErrNotSMB2},
		{want[:63], ErrTruncated},
		{append(append([]byte{}, want[:4]...), append([]byte{0x41, 0}, want[6:]...)...), ErrMalformed},
	} {
		if _, err := DecodeHeader(tt.b); !errors.Is(err, tt.err) {
			t.Errorf("%x: %v, want %v", tt.b, err, tt.err)
		}
	}
}

func TestIsSMB2(t *testing.T) {
	smb1 := mustFrame(t, "win10.frames", 1).Msg
	smb2 := mustFrame(t, "win10.frames", 2).Msg
	for _, tt := range []struct {
		b    []byte
		want bool
	}{
		{smb2, true},
		{smb1, false},
		{smb2[:63], false},
		{append([]byte{0xfd}, smb2[1:]...), false}, // transform header
		{nil, false},
	} {
		if got := IsSMB2(tt.b); got != tt.want {
			t.Errorf("IsSMB2(%.8x…) = %v", tt.b, got)
		}
	}
}

func TestCompound(t *testing.T) {
	a := Build(Header{Command: CmdCreate, MessageID: 1}, &CreateRequest{Name: "srvsvc"}) // 132 bytes: needs padding
	b := Build(Header{Command: CmdQueryInfo, MessageID: 2, Flags: FlagRelatedOperations}, &QueryInfoRequest{InfoType: InfoFile, FileInfoClass: FileStandardInformation, FileID: AnyFileID})
	c := Build(Header{Command: CmdClose, MessageID: 3, Flags: FlagRelatedOperations}, &CloseRequest{FileID: AnyFileID})
	msg := Compound(a, b, c)
	pdus, err := DecodeMessage(msg)
	if err != nil || len(pdus) != 3 {
		t.Fatalf("DecodeMessage: %d, %v", len(pdus), err)
	}
	if len(a) != 132 || pdus[0].Header.NextCommand != 136 || len(pdus[0].Raw) != 136 || pdus[2].Header.NextCommand != 0 {
		t.Errorf("NextCommand %d/%d", pdus[0].Header.NextCommand, pdus[2].Header.NextCommand)
	}
	for i, want := range []Command{CmdCreate, CmdQueryInfo, CmdClose} {
		if pdus[i].Header.Command != want {
			t.Errorf("PDU %d is %v", i, pdus[i].Header.Command)
		}
		if _, err := DecodeBody(&pdus[i].Header, pdus[i].Body); err != nil {
			t.Errorf("PDU %d: %v", i, err)
		}
	}
	r, err := DecodeCreateRequest(pdus[0].Body)
	if err != nil || r.Name != "srvsvc" {
		t.Errorf("create in compound: %+v %v", r, err)
	}

	bad := func(f func([]byte)) []byte {
		m := append([]byte(nil), msg...)
		f(m)
		return m
	}
	for _, tt := range []struct {
		name string
		msg  []byte
		err  error
	}{
		{"NextCommand past end", bad(func(m []byte) { le.PutUint32(m[20:], 4096) }), ErrTruncated},
		{"NextCommand unaligned", bad(func(m []byte) { le.PutUint32(m[20:], 130) }), ErrMalformed},
		{"NextCommand inside header", bad(func(m []byte) { le.PutUint32(m[20:], 8) }), ErrMalformed},
		{"second PDU not SMB2", bad(func(m []byte) { m[136] = 0xff }), ErrNotSMB2},
	} {
		if _, err := DecodeMessage(tt.msg); !errors.Is(err, tt.err) {
			t.Errorf("%s: %v, want %v", tt.name, err, tt.err)
		}
	}
	// A self-loop chain (every NextCommand = 64) must stop at maxCompound.
	loop := make([]byte, 0, HeaderSize*(maxCompound+2))
	for i := 0; i < maxCompound+2; i++ {
		var h [HeaderSize]byte
		(&Header{Command: CmdEcho, NextCommand: HeaderSize}).Encode(h[:])
		loop = append(loop, h[:]...)
	}
	if _, err := DecodeMessage(loop); !errors.Is(err, ErrMalformed) {
		t.Errorf("long chain: %v", err)
	}
}

func TestFiletime(t *testing.T) {
	tm := time.Date(2008, 10, 23, 17, 0, 0, 123456700, time.UTC)
	if got := FiletimeOf(tm).Time(); !got.Equal(tm) {
		t.Errorf("round trip %v", got)
	}
	if Filetime(0).Time() != (time.Time{}) || FiletimeOf(time.Time{}) != 0 {
		t.Error("zero handling")
	}
	if FiletimeOf(time.Unix(0, 0)) != filetimeEpochDelta {
		t.Error("epoch")
	}
}

func TestUTF16(t *testing.T) {
	for _, tt := range []struct {
		b    []byte
		want string
	}{
		{[]byte{'a', 0, 'b', 0}, "ab"},
		{[]byte{'a', 0, 'b'}, "a"},                     // odd byte dropped
		{[]byte{'a', 0, 0, 0, 'b', 0}, "a"},            // NUL ends it
		{[]byte{0x3d, 0xd8, 0x00, 0xde}, "\U0001F600"}, // surrogate pair
		{[]byte{0x00, 0xd8}, "\uFFFD"},                 // lone surrogate
	} {
		if got := utf16le.DecodeToNUL(tt.b); got != tt.want {
			t.Errorf("%x: %q, want %q", tt.b, got, tt.want)
		}
	}
	if got := utf16le.DecodeToNUL(utf16le.Encode(`\\héllo\IPC$`)); got != `\\héllo\IPC$` {
		t.Errorf("round trip %q", got)
	}
}
