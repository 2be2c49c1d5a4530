package smb2

import (
	"encoding/binary"
	"fmt"
	"time"
)

var le = binary.LittleEndian

// Command is the SMB2 header's Command field.
type Command uint16

// Commands (MS-SMB2 2.2.1.2).
const (
	CmdNegotiate      Command = 0x0000
	CmdSessionSetup   Command = 0x0001
	CmdLogoff         Command = 0x0002
	CmdTreeConnect    Command = 0x0003
	CmdTreeDisconnect Command = 0x0004
	CmdCreate         Command = 0x0005
	CmdClose          Command = 0x0006
	CmdFlush          Command = 0x0007
	CmdRead           Command = 0x0008
	CmdWrite          Command = 0x0009
	CmdLock           Command = 0x000A
	CmdIoctl          Command = 0x000B
	CmdCancel         Command = 0x000C
	CmdEcho           Command = 0x000D
	CmdQueryDirectory Command = 0x000E
	CmdChangeNotify   Command = 0x000F
	CmdQueryInfo      Command = 0x0010
	CmdSetInfo        Command = 0x0011
	CmdOplockBreak    Command = 0x0012
)

var commandNames = [...]string{
	"NEGOTIATE", "SESSION_SETUP", "LOGOFF", "TREE_CONNECT", "TREE_DISCONNECT", "CREATE",
	"CLOSE", "FLUSH", "READ", "WRITE", "LOCK", "IOCTL", "CANCEL", "ECHO", "QUERY_DIRECTORY",
	"CHANGE_NOTIFY", "QUERY_INFO", "SET_INFO", "OPLOCK_BREAK",
}

// String names the command as MS-SMB2 does.
func (c Command) String() string {
	if int(c) < len(commandNames) {
		return commandNames[c]
	}
	return fmt.Sprintf("COMMAND_0x%04X", uint16(c))
}

// Dialect is a DialectRevision.
type Dialect uint16

// Dialects (MS-SMB2 2.2.3).
const (
	Dialect202      Dialect = 0x0202
	Dialect210      Dialect = 0x0210
	Dialect300      Dialect = 0x0300
	Dialect302      Dialect = 0x0302
	Dialect311      Dialect = 0x0311
	DialectWildcard Dialect = 0x02FF // answer to an SMB1 NEGOTIATE offering "SMB 2.???"
)

// String is the dialect revision in dotted form ("2.0.2", "3.1.1").
func (d Dialect) String() string {
	switch d {
	case Dialect202:
		return "2.0.2"
	case Dialect210:
		return "2.1"
	case Dialect300:
		return "3.0"
	case Dialect302:
		return "3.0.2"
	case Dialect311:
		return "3.1.1"
	case DialectWildcard:
		return "2.???"
	}
	return fmt.Sprintf("0x%04X", uint16(d))
}

// Header Flags (MS-SMB2 2.2.1.2).
const (
	FlagServerToRedir     uint32 = 0x00000001
	FlagAsyncCommand      uint32 = 0x00000002
	FlagRelatedOperations uint32 = 0x00000004
	FlagSigned            uint32 = 0x00000008
	FlagPriorityMask      uint32 = 0x00000070
	FlagDFSOperations     uint32 = 0x10000000
	FlagReplayOperation   uint32 = 0x20000000
)

// SecurityMode bits of NEGOTIATE (16-bit) and SESSION_SETUP request (8-bit).
const (
	SigningEnabled  uint16 = 0x0001
	SigningRequired uint16 = 0x0002
)

// Global capabilities (NEGOTIATE Capabilities).
const (
	CapDFS               uint32 = 0x00000001
	CapLeasing           uint32 = 0x00000002
	CapLargeMTU          uint32 = 0x00000004
	CapMultiChannel      uint32 = 0x00000008
	CapPersistentHandles uint32 = 0x00000010
	CapDirectoryLeasing  uint32 = 0x00000020
	CapEncryption        uint32 = 0x00000040
)

// GUID is 16 bytes in wire order (Data1..Data3 little-endian, Data4 as bytes).
type GUID [16]byte

// String is the GUID in its usual dashed form.
func (g GUID) String() string {
	return fmt.Sprintf("%08x-%04x-%04x-%x-%x",
		le.Uint32(g[0:4]), le.Uint16(g[4:6]), le.Uint16(g[6:8]), g[8:10], g[10:16])
}

// FileID is SMB2_FILEID.
type FileID struct {
	Persistent uint64
	Volatile   uint64
}

func (f FileID) put(b []byte) {
	le.PutUint64(b[0:8], f.Persistent)
	le.PutUint64(b[8:16], f.Volatile)
}

func getFileID(b []byte) FileID {
	return FileID{Persistent: le.Uint64(b[0:8]), Volatile: le.Uint64(b[8:16])}
}

// AnyFileID (all ones) addresses "no file" in IOCTLs such as FSCTL_VALIDATE_NEGOTIATE_INFO.
var AnyFileID = FileID{Persistent: ^uint64(0), Volatile: ^uint64(0)}

// Filetime is a Windows FILETIME: 100 ns ticks since 1601-01-01 UTC. Kept raw so that
// decode/encode round-trips exactly; Time converts.
type Filetime uint64

// filetimeEpochDelta is the number of 100 ns ticks between 1601-01-01 and 1970-01-01.
const filetimeEpochDelta = 116444736000000000

// Time returns the instant, or the zero time.Time for a zero FILETIME (servers that do not
// track a boot time send 0).
func (t Filetime) Time() time.Time {
	if t == 0 {
		return time.Time{}
	}
	ticks := int64(t) - filetimeEpochDelta
	return time.Unix(ticks/1e7, (ticks%1e7)*100).UTC()
}

// FiletimeOf converts a time; the zero time.Time maps to 0.
func FiletimeOf(t time.Time) Filetime {
	if t.IsZero() {
		return 0
	}
	return Filetime(t.UnixNano()/100 + filetimeEpochDelta)
}

// align8 rounds n up to a multiple of 8, the alignment of compound PDUs and of
// negotiate/create contexts.
func align8(n int) int { return (n + 7) &^ 7 }

// bodyField returns the slice of body described by an offset (relative to the SMB2 header,
// as on the wire) and a length. A zero length yields nil whatever the offset, since
// implementations disagree on the offset they send with empty buffers.
func bodyField(body []byte, off, n uint32, what string) ([]byte, error) {
	if n == 0 {
		return nil, nil
	}
	if off < HeaderSize {
		return nil, fmt.Errorf("%w: %s offset %d inside the header", ErrMalformed, what, off)
	}
	start := uint64(off) - HeaderSize
	end := start + uint64(n)
	if end > uint64(len(body)) {
		return nil, fmt.Errorf("%w: %s wants bytes %d..%d of a %d-byte body", ErrTruncated, what, start, end, len(body))
	}
	return body[start:end], nil
}

// checkFixed verifies the body is at least fixed bytes and carries the expected
// StructureSize.
func checkFixed(body []byte, fixed int, structureSize uint16, what string) error {
	if len(body) < fixed {
		return fmt.Errorf("%w: %s body is %d bytes, need %d", ErrTruncated, what, len(body), fixed)
	}
	if s := le.Uint16(body[0:2]); s != structureSize {
		return fmt.Errorf("%w: %s StructureSize %d, want %d", ErrMalformed, what, s, structureSize)
	}
	return nil
}
