package smb1

import (
	"bytes"
	"testing"

	"github.com/scan445/scan445/internal/testpeer"
	"github.com/scan445/scan445/smbprobe/ntstatus"
)

// Request headers as the scanner sends them: Flags 0x18, Flags2 0xC801 (docs/checks.md §1).
func goldenHeaders() (neg, sess, tree Header) {
	neg = Header{Flags: DefaultFlags, Flags2: DefaultFlags2, PIDLow: 0xFEFF, MID: 1}
	sess = neg
	sess.UID = 0x0800
	tree = sess
	tree.TID = 0x0801
	return
}

// hdr is the annotated header shared by the golden messages below, with the command byte,
// TID and UID spliced in by each case.
func hdr(cmd, tid, uid string) string {
	return `
		ff534d42            # Protocol
		` + cmd + `         # Command
		00000000            # Status
		18                  # Flags: CASE_INSENSITIVE | CANONICALIZED_PATHS
		01c8                # Flags2 0xC801: UNICODE | NT_STATUS | EXTENDED_SECURITY | LONG_NAMES
		0000                # PIDHigh
		0000000000000000    # SecurityFeatures
		0000                # Reserved
		` + tid + `         # TID
		fffe                # PIDLow 0xFEFF
		` + uid + `         # UID
		0100                # MID 1
	`
}

func TestGoldenRequests(t *testing.T) {
	hn, hs, ht := goldenHeaders()
	tests := []struct {
		name string
		got  []byte
		want string
	}{
		{"NEGOTIATE NT LM 0.12 + SMB 2.002 + SMB 2.???",
			NegotiateRequest{Dialects: []string{DialectNTLM012, DialectSMB2002, DialectSMB2Wild}}.Encode(hn),
			hdr("72", "0000", "0000") + `
			00      # WordCount
			2200    # ByteCount 34
			02 4e54204c4d20302e3132 00   # BufferFormat, "NT LM 0.12", NUL
			02 534d4220322e303032 00     # BufferFormat, "SMB 2.002", NUL
			02 534d4220322e3f3f3f 00     # BufferFormat, "SMB 2.???", NUL
			`},
		{"SESSION_SETUP_ANDX extended security",
			SessionSetupRequest{Extended: true, MaxBufferSize: 4356, MaxMpxCount: 10,
				Capabilities: CapUnicode | CapNTSMBs | CapStatus32 | CapExtendedSecurity,
				SecurityBlob: []byte("NTLMSSP\x00\x01\x00\x00\x00"), NativeOS: "Unix", NativeLanMan: "scan445"}.Encode(hn),
			hdr("73", "0000", "0000") + `
			0c          # WordCount 12
			ff 00 6200  # AndXCommand none, AndXReserved, AndXOffset 98 (end of message)
			0411        # MaxBufferSize 4356
			0a00        # MaxMpxCount 10
			0000        # VcNumber
			00000000    # SessionKey
			0c00        # SecurityBlobLength 12
			00000000    # Reserved
			54000080    # Capabilities: UNICODE|NT_SMBS|STATUS32|EXTENDED_SECURITY
			2700        # ByteCount 39
			4e544c4d5353500001000000   # SecurityBlob (ends at offset 71)
			00                         # Pad to even offset 72
			55006e0069007800 0000      # NativeOS "Unix"
			7300630061006e003400340035000000  # NativeLanMan "scan445"
			`},
		{"SESSION_SETUP_ANDX basic null session",
			SessionSetupRequest{MaxBufferSize: 4356, MaxMpxCount: 10,
				Capabilities: CapUnicode | CapNTSMBs | CapStatus32, NativeOS: "Unix", NativeLanMan: "scan445"}.Encode(hn),
			hdr("73", "0000", "0000") + `
			0d          # WordCount 13
			ff 00 5c00  # AndX, AndXOffset 92
			0411 0a00 0000 00000000  # MaxBufferSize, MaxMpxCount, VcNumber, SessionKey
			0000        # OEMPasswordLen 0
			0000        # UnicodePasswordLen 0
			00000000    # Reserved
			54000000    # Capabilities
			1f00        # ByteCount 31
			00          # Pad (bytes start at odd offset 61)
			0000        # AccountName ""
			0000        # PrimaryDomain ""
			55006e0069007800 0000             # NativeOS "Unix"
			7300630061006e003400340035000000  # NativeLanMan "scan445"
			`},
		{"TREE_CONNECT_ANDX IPC$",
			TreeConnectRequest{Password: []byte{0}, Path: `\\127.0.0.1\IPC$`, Service: ServiceAny}.Encode(hs),
			hdr("75", "0000", "0008") + `
			04          # WordCount 4
			ff 00 5400  # AndX, AndXOffset 84
			0000        # Flags
			0100        # PasswordLength 1
			2900        # ByteCount 41
			00          # Password (offset 43; Path then starts even, no pad)
			5c005c003100320037002e0030002e0030002e0031005c004900500043002400 0000  # Path
			3f3f3f3f3f 00   # Service "?????" (OEM)
			`},
		{`NT_CREATE_ANDX \browser`,
			NTCreateRequest{DesiredAccess: AccessGenericRead | AccessGenericWrite, ExtFileAttributes: AttrNormal,
				ShareAccess: ShareRead | ShareWrite, CreateDisposition: DispositionOpen,
				ImpersonationLevel: ImpersonationImpersonation, FileName: `\browser`}.Encode(ht),
			hdr("a2", "0108", "0008") + `
			18          # WordCount 24
			ff 00 6600  # AndX, AndXOffset 102
			00          # Reserved
			1000        # NameLength 16 (NUL not counted, as Windows)
			00000000    # Flags
			00000000    # RootDirectoryFID
			000000c0    # DesiredAccess GENERIC_READ|GENERIC_WRITE
			0000000000000000  # AllocationSize
			80000000    # ExtFileAttributes NORMAL
			03000000    # ShareAccess READ|WRITE
			01000000    # CreateDisposition FILE_OPEN
			00000000    # CreateOptions
			02000000    # ImpersonationLevel Impersonation
			00          # SecurityFlags
			1300        # ByteCount 19
			00          # Pad (offset 83 -> 84)
			5c00620072006f007700730065007200 0000  # FileName "\browser" + NUL
			`},
		{"TRANSACTION PeekNamedPipe FID 0 (MS17-010, docs/checks.md §5)",
			PeekNamedPipeRequest(0).Encode(ht),
			hdr("25", "0108", "0008") + `
			10          # WordCount 16 (14 + SetupCount 2)
			0000        # TotalParameterCount 0
			0000        # TotalDataCount 0
			ffff        # MaxParameterCount 0xFFFF
			ffff        # MaxDataCount 0xFFFF
			00 00       # MaxSetupCount, Reserved1
			0000        # Flags
			00000000    # Timeout
			0000        # Reserved2
			0000        # ParameterCount 0
			5400        # ParameterOffset 84
			0000        # DataCount 0
			5400        # DataOffset 84
			02 00       # SetupCount 2, Reserved3
			2300        # Setup[0] PeekNamedPipe 0x0023
			0000        # Setup[1] FID 0
			1100        # ByteCount 17
			00          # Pad (offset 67 -> 68)
			5c0050004900500045005c00 0000  # Name "\PIPE\"
			0000        # Pad1 to 4-byte offset 84
			`},
		{"TRANSACTION TransactNmPipe",
			TransactNmPipeRequest(0x4000, []byte{1, 2, 3, 4, 5}, 4280).Encode(ht),
			hdr("25", "0108", "0008") + `
			10          # WordCount 16
			0000 0500   # TotalParameterCount 0, TotalDataCount 5
			0000 b810   # MaxParameterCount 0, MaxDataCount 4280
			00 00 0000 00000000 0000  # MaxSetupCount, Reserved1, Flags, Timeout, Reserved2
			0000 5400   # ParameterCount 0, ParameterOffset 84
			0500 5400   # DataCount 5, DataOffset 84
			02 00       # SetupCount 2, Reserved3
			2600 0040   # Setup: TransactNmPipe 0x0026, FID 0x4000
			1600        # ByteCount 22
			00 5c0050004900500045005c00 0000 0000  # Pad, Name "\PIPE\", Pad1
			0102030405  # Trans_Data
			`},
		{"WRITE_ANDX",
			WriteRequest{FID: 0x4000, WriteMode: WriteMsgStart, Remaining: 3, Data: []byte{1, 2, 3}}.Encode(ht),
			hdr("2f", "0108", "0008") + `
			0e          # WordCount 14
			ff 00 4300  # AndX, AndXOffset 67
			0040        # FID
			00000000    # Offset
			00000000    # Timeout
			0800        # WriteMode MSG_START
			0300        # Remaining
			0000        # DataLengthHigh
			0300        # DataLength 3
			4000        # DataOffset 64
			00000000    # OffsetHigh
			0400        # ByteCount 4
			00 010203   # Pad, Data
			`},
		{"READ_ANDX",
			ReadRequest{FID: 0x4000, MaxCount: 4280, MinCount: 4280, Timeout: 0xFFFFFFFF}.Encode(ht),
			hdr("2e", "0108", "0008") + `
			0c          # WordCount 12
			ff 00 3b00  # AndX, AndXOffset 59
			0040        # FID
			00000000    # Offset
			b810 b810   # MaxCountOfBytesToReturn, MinCountOfBytesToReturn 4280
			ffffffff    # Timeout
			0000        # Remaining
			00000000    # OffsetHigh
			0000        # ByteCount
			`},
		{"CLOSE",
			CloseRequest{FID: 0x4000, LastTimeModified: 0xFFFFFFFF}.Encode(ht),
			hdr("04", "0108", "0008") + `03 0040 ffffffff 0000  # WordCount 3, FID, LastTimeModified, ByteCount`},
		{"TREE_DISCONNECT", TreeDisconnectRequest{}.Encode(ht),
			hdr("71", "0108", "0008") + `00 0000  # WordCount, ByteCount`},
		{"LOGOFF_ANDX", LogoffRequest{}.Encode(hs),
			hdr("74", "0000", "0008") + `02 ff 00 2700 0000  # WordCount 2, AndX (offset 39), ByteCount`},
		{"ECHO", EchoRequest{EchoCount: 1, Data: []byte("hi")}.Encode(hn),
			hdr("2b", "0000", "0000") + `01 0100 0200 6869  # WordCount 1, EchoCount 1, ByteCount 2, "hi"`},
		{"TRANSACTION2 (lab-side encoder)",
			TransactionRequest{MaxParameterCount: 1, Setup: []uint16{0x000e}, Parameters: make([]byte, 12)}.EncodeTrans2(ht),
			hdr("32", "0108", "0008") + `
			0f          # WordCount 15 (14 + SetupCount 1)
			0c00 0000 0100 0000 00 00 0000 00000000 0000  # Totals 12/0, Max 1/0, ...
			0c00 4400   # ParameterCount 12, ParameterOffset 68
			0000 5000   # DataCount 0, DataOffset 80
			01 00 0e00  # SetupCount 1, Reserved3, Setup[0]
			0f00        # ByteCount 15
			00 0000     # Pad, Name "" (unused in TRANSACTION2)
			000000000000000000000000  # Trans2_Parameters
			`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			want := testpeer.Unhex(t, tt.want)
			if !bytes.Equal(tt.got, want) {
				t.Fatalf("encoding differs\n got %x\nwant %x", tt.got, want)
			}
			// And the result must parse and decode as what it claims to be.
			if _, err := decodeAny(mustParse(t, tt.got)); err != nil {
				t.Fatalf("decode of own encoding: %v", err)
			}
		})
	}
}

func TestGoldenErrorResponse(t *testing.T) {
	_, _, req := goldenHeaders()
	req.Command = CmdNTCreateAndX
	req.Signature = [8]byte{1, 2, 3, 4, 5, 6, 7, 8} // must not be echoed
	got := ErrorResponse(req, ntstatus.ObjectNameNotFound)
	want := testpeer.Unhex(t, `
		ff534d42 a2        # Protocol, Command NT_CREATE_ANDX
		340000c0           # Status OBJECT_NAME_NOT_FOUND
		98                 # Flags: request flags | REPLY
		01c8 0000          # Flags2, PIDHigh
		0000000000000000   # SecurityFeatures cleared
		0000 0108 fffe 0008 0100  # Reserved, TID, PIDLow, UID, MID echoed
		00 0000            # WordCount 0, ByteCount 0
	`)
	if !bytes.Equal(got, want) {
		t.Fatalf("got %x\nwant %x", got, want)
	}
	m := mustParse(t, got)
	if !m.IsErrorResponse() || m.Header.Status != ntstatus.ObjectNameNotFound || !m.Header.IsReply() {
		t.Fatalf("parsed back as %+v", m.Header)
	}
}
