package smbclient

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"sync"
	"sync/atomic"
)

// smb2MaxFrame bounds an SMB2 frame handed to go-smb2: the largest reply we provoke is a
// 64 KiB READ plus headers.
const smb2MaxFrame = 256 << 10

// smb2HeaderLen is the SMB2 sync/async header size.
const smb2HeaderLen = 64

// Guard sits between the TCP conn and go-smb2 and passes on only frames whose SMB2 headers
// are sound. go-smb2 v1.1.0's receiver goroutine slices packets by their NextCommand field and
// reads header fields before checking the length, so one hostile reply (a short frame, a
// NextCommand past the end) panics in a goroutine nobody can recover, killing the scanner.
// Frames are checked here instead: NetBIOS type and length, then for every packet of a
// compound chain the 0xFE 'SMB' magic, StructureSize 64 and a NextCommand that is 8-aligned
// and inside the frame. SMB3 transform (encrypted) frames are refused: the check never asks
// for encryption.
type Guard struct {
	net.Conn
	buf bytes.Buffer // validated bytes not yet read; only go-smb2's receiver goroutine reads

	// mu guards err alone: the receiver holds no lock while it blocks on the network, so the
	// check's goroutine can ask for the violation at any time.
	mu  sync.Mutex
	err error // the first violation, reported as ErrProtocol

	// unsignedInterim: the server sent an unsigned interim (STATUS_PENDING) response, which
	// go-smb2 v1.1.0 refuses on a signing-required session; ClassifySMB2 then says so.
	unsignedInterim atomic.Bool
}

// NewGuard wraps conn for go-smb2; the Guard owns conn from now on.
func NewGuard(conn net.Conn) *Guard { return &Guard{Conn: conn} }

// Read hands go-smb2 only bytes of frames that passed the checks.
func (g *Guard) Read(p []byte) (int, error) {
	for g.buf.Len() == 0 {
		if err := g.Violation(); err != nil {
			return 0, err
		}
		if err := g.fill(); err != nil {
			return 0, err
		}
	}
	return g.buf.Read(p)
}

func (g *Guard) refuse(err error) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.err == nil {
		g.err = err
	}
	return err
}

// Violation reports the first protocol violation seen (wrapping ErrProtocol), or nil. go-smb2
// wraps transport errors without Unwrap, so this is how a caller learns why a call failed.
func (g *Guard) Violation() error {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.err
}

func (g *Guard) fill() error {
	var hdr [4]byte
	if _, err := io.ReadFull(g.Conn, hdr[:]); err != nil {
		return err
	}
	n := int(binary.BigEndian.Uint32(hdr[:]) & 0x00FFFFFF) // 24-bit NetBIOS length
	if hdr[0] != 0 {
		return g.refuse(fmt.Errorf("%w: NetBIOS packet type 0x%02x", ErrProtocol, hdr[0]))
	}
	if n > smb2MaxFrame {
		return g.refuse(fmt.Errorf("%w: %d-byte frame (limit %d)", ErrProtocol, n, smb2MaxFrame))
	}
	body := make([]byte, n)
	if _, err := io.ReadFull(g.Conn, body); err != nil {
		return err
	}
	if err := CheckSMB2Frame(body); err != nil {
		return g.refuse(err)
	}
	if isUnsignedInterim(body) {
		g.unsignedInterim.Store(true)
	}
	g.buf.Write(hdr[:])
	g.buf.Write(body)
	return nil
}

// SMB2 header values isUnsignedInterim reads (MS-SMB2 2.2.1).
const (
	smb2StatusPending = 0x00000103
	smb2FlagsAsync    = 0x00000002
	smb2FlagsSigned   = 0x00000008
)

// isUnsignedInterim reports whether b (a checked frame) starts with an unsigned async
// STATUS_PENDING response. MS-SMB2 has servers leave interim responses unsigned (Samba sends
// one for a pipe READ whose answer is not ready); go-smb2 v1.1.0 nevertheless refuses it on a
// signing-required session ("signing required") and fails the call. The guard cannot help (it
// has no key, and go-smb2 needs the interim's AsyncId), but it can say why the call failed.
func isUnsignedInterim(b []byte) bool {
	flags := binary.LittleEndian.Uint32(b[16:20])
	return binary.LittleEndian.Uint32(b[8:12]) == smb2StatusPending && flags&smb2FlagsAsync != 0 && flags&smb2FlagsSigned == 0
}

// CheckSMB2Frame validates the headers of every packet in a (possibly compound) SMB2 frame.
func CheckSMB2Frame(b []byte) error {
	for off := 0; ; {
		rest := b[off:]
		if len(rest) < smb2HeaderLen {
			return fmt.Errorf("%w: SMB2 packet of %d bytes at offset %d", ErrProtocol, len(rest), off)
		}
		if !bytes.Equal(rest[0:4], []byte("\xfeSMB")) { // ProtocolId
			return fmt.Errorf("%w: not an SMB2 packet (% x)", ErrProtocol, rest[0:4])
		}
		if binary.LittleEndian.Uint16(rest[4:6]) != smb2HeaderLen { // StructureSize
			return fmt.Errorf("%w: SMB2 header StructureSize %d", ErrProtocol, binary.LittleEndian.Uint16(rest[4:6]))
		}
		next := int(binary.LittleEndian.Uint32(rest[20:24])) // NextCommand
		if next == 0 {
			return nil
		}
		if next%8 != 0 || next < smb2HeaderLen || next >= len(rest) {
			return fmt.Errorf("%w: NextCommand %d in a %d-byte packet", ErrProtocol, next, len(rest))
		}
		off += next
	}
}
