package smb1

import (
	"reflect"
	"testing"
	"time"
)

// Every message, both directions, must survive encode -> DecodeMessage -> decode unchanged,
// with Unicode and with OEM strings.
func TestRoundTrip(t *testing.T) {
	values := []any{
		NegotiateRequest{Dialects: []string{DialectNTLM012, DialectSMB2002, DialectSMB2Wild}},
		NegotiateResponse{DialectIndex: 0, SecurityMode: 3, MaxMpxCount: 10, MaxNumberVcs: 1, MaxBufferSize: 4356,
			MaxRawSize: 65536, Capabilities: 0x8000e3fd, SystemTime: 131044025551793296, ServerTimeZone: -60,
			ServerGUID: [16]byte{1, 2, 3}, SecurityBlob: []byte{0x60, 0x28}},
		NegotiateResponse{DialectIndex: 5, SecurityMode: 3, Capabilities: CapUnicode, Challenge: []byte("8bytes!!"),
			DomainName: "WORKGROUP", ServerName: "XPBOX"},
		NegotiateResponse{DialectIndex: NoDialect},
		SessionSetupRequest{Extended: true, MaxBufferSize: 4356, MaxMpxCount: 10, VcNumber: 1, SessionKey: 7,
			Capabilities: 0x800000d4, SecurityBlob: []byte("NTLMSSP\x00"), NativeOS: "Windows 2002", NativeLanMan: "Windows 2002 5.1"},
		SessionSetupRequest{MaxBufferSize: 4356, OEMPassword: []byte{0}, UnicodePassword: []byte{1, 2},
			AccountName: "guest", PrimaryDomain: "WG", NativeOS: "Unix", NativeLanMan: "scan445"},
		SessionSetupRequest{}, // null session, basic form
		SessionSetupResponse{Extended: true, Action: ActionGuest, SecurityBlob: []byte{0xa1, 7},
			NativeOS: "Windows 5.1", NativeLanMan: "Windows 2000 LAN Manager"},
		SessionSetupResponse{NativeOS: "Windows 5.0", NativeLanMan: "Windows 2000 LAN Manager", PrimaryDomain: "HOUSING"},
		SessionSetupResponse{Extended: true, SecurityBlob: []byte{1, 2, 3}}, // odd blob: pad before strings
		TreeConnectRequest{Flags: TreeConnectExtendedResponse, Password: []byte{0}, Path: `\\127.0.0.1\IPC$`, Service: ServiceAny},
		TreeConnectRequest{Path: `\\h\IPC$`, Service: ServiceAny},
		TreeConnectResponse{OptionalSupport: 1, Service: ServiceIPC},
		TreeConnectResponse{OptionalSupport: 1, Extended: true, MaximalShareAccessRights: 0x1ff,
			GuestMaximalShareAccessRights: 0x1ff, Service: ServiceIPC, NativeFileSystem: "NTFS"},
		NTCreateRequest{Flags: 0x16, DesiredAccess: 0x2019f, ShareAccess: 3, CreateDisposition: 1, CreateOptions: 0x40,
			ImpersonationLevel: 2, SecurityFlags: 3, AllocationSize: 1 << 40, FileName: `\browser`},
		NTCreateResponse{FID: 0x4000, CreateAction: 1, ExtFileAttributes: 0x80, AllocationSize: 4096,
			ResourceType: FileTypeMessageModePipe, NMPipeStatus: 0x05ff, CreateTime: 1, LastAccessTime: 2,
			LastWriteTime: 3, LastChangeTime: 4, EndOfFile: 5, Directory: 1, OplockLevel: 2},
		NTCreateResponse{Extended: true, FID: 0x4001, VolumeGUID: [16]byte{9}, FileID: 77,
			MaximalAccessRights: 0x12019b, GuestMaximalAccessRights: 0x12019b},
		TransactionRequest{TotalDataCount: 3, MaxDataCount: 4280, Setup: []uint16{TransTransactNmpipe, 0x4000},
			Name: PipeName, Data: []byte{5, 0, 11}},
		TransactionRequest{TotalParameterCount: 3, TotalDataCount: 2, MaxParameterCount: 8, MaxSetupCount: 1,
			Flags: 2, Timeout: 5000, Name: `\PIPE\LANMAN`, Parameters: []byte{1, 2, 3}, Data: []byte{4, 5}},
		PeekNamedPipeRequest(0),
		TransactionResponse{TotalDataCount: 1024, Data: make([]byte, 100)},
		TransactionResponse{TotalParameterCount: 5, TotalDataCount: 3, ParameterDisplacement: 1,
			DataDisplacement: 2, Setup: []uint16{7}, Parameters: []byte{1, 2, 3, 4, 5}, Data: []byte{6, 7, 8}},
		WriteRequest{FID: 0x4000, Offset: 1<<32 + 5, Timeout: 0xffffffff, WriteMode: WriteMsgStart, Remaining: 3, Data: []byte{1, 2, 3}},
		WriteResponse{Count: 72, Available: 0xffff},
		WriteResponse{Count: 0x12345},
		ReadRequest{FID: 0x4000, Offset: 1<<33 + 1, MaxCount: 4280, MinCount: 4280, Timeout: 0xffffffff, Remaining: 9},
		ReadResponse{Data: []byte{5, 0, 12, 3}},
		ReadResponse{Available: 0xffff, DataCompactionMode: 1},
		CloseRequest{FID: 0x4000, LastTimeModified: 0xffffffff},
		CloseResponse{},
		TreeDisconnectRequest{},
		TreeDisconnectResponse{},
		LogoffRequest{},
		LogoffResponse{},
		EchoRequest{EchoCount: 1, Data: []byte("ping")},
		EchoResponse{SequenceNumber: 1, Data: []byte("ping")},
	}
	responses := map[reflect.Type]bool{
		reflect.TypeOf(NegotiateResponse{}): true, reflect.TypeOf(SessionSetupResponse{}): true,
		reflect.TypeOf(TreeConnectResponse{}): true, reflect.TypeOf(NTCreateResponse{}): true,
		reflect.TypeOf(TransactionResponse{}): true, reflect.TypeOf(WriteResponse{}): true,
		reflect.TypeOf(ReadResponse{}): true, reflect.TypeOf(CloseResponse{}): true,
		reflect.TypeOf(TreeDisconnectResponse{}): true, reflect.TypeOf(LogoffResponse{}): true,
		reflect.TypeOf(EchoResponse{}): true,
	}
	for _, flags2 := range []uint16{DefaultFlags2, Flags2NTStatus | Flags2LongNames} {
		for i, v := range values {
			h := Header{Flags: DefaultFlags, Flags2: flags2, TID: 0x0801, UID: 0x0800, PIDLow: 0xfeff, MID: uint16(i)}
			if responses[reflect.TypeOf(v)] {
				h.Flags |= FlagsReply
			}
			b := encodeAny(v, h)
			m, err := DecodeMessage(b)
			if err != nil {
				t.Errorf("flags2 %#x %T: parse: %v", flags2, v, err)
				continue
			}
			if m.Len() != len(b) {
				t.Errorf("flags2 %#x %T: block %d of %d bytes", flags2, v, m.Len(), len(b))
			}
			got, err := decodeAny(m)
			if err != nil {
				t.Errorf("flags2 %#x %T: decode: %v", flags2, v, err)
				continue
			}
			if !reflect.DeepEqual(got, v) {
				t.Errorf("flags2 %#x round trip\n got %+v\nwant %+v", flags2, got, v)
			}
			if h2 := m.Header; h2.TID != h.TID || h2.UID != h.UID || h2.MID != h.MID || h2.Flags2 != flags2 {
				t.Errorf("%T: header %+v", v, h2)
			}
		}
	}
}

func TestFiletime(t *testing.T) {
	tests := []struct {
		ft   uint64
		want time.Time
	}{
		{0, time.Time{}},
		{116444736000000000, time.Unix(0, 0).UTC()},
		{131044025551793296, time.Date(2016, 4, 6, 7, 49, 15, 179329600, time.UTC)}, // XP SystemTime (tshark)
		{1, time.Date(1601, 1, 1, 0, 0, 0, 100, time.UTC)},
	}
	for _, tt := range tests {
		got := FiletimeToTime(tt.ft)
		if !got.Equal(tt.want) {
			t.Errorf("FiletimeToTime(%d) = %v, want %v", tt.ft, got, tt.want)
		}
		if back := TimeToFiletime(got); back != tt.ft {
			t.Errorf("TimeToFiletime(%v) = %d, want %d", got, back, tt.ft)
		}
	}
	_ = FiletimeToTime(^uint64(0)) // must not panic or overflow
	if TimeToFiletime(time.Date(1500, 1, 1, 0, 0, 0, 0, time.UTC)) != 0 {
		t.Error("pre-1601 time not clamped")
	}
}
