package smb2

import (
	"bytes"
	"fmt"

	"github.com/scan445/scan445/smbprobe/ntstatus"
)

// HeaderSize is the fixed size of the SMB2 header (sync and async forms alike).
const HeaderSize = 64

// ProtocolID opens every SMB2 header.
var ProtocolID = [4]byte{0xFE, 'S', 'M', 'B'}

// Header is the SMB2 packet header. Whether the sync (ProcessID, TreeID) or async
// (AsyncID) form is on the wire follows from FlagAsyncCommand in Flags.
type Header struct {
	CreditCharge uint16
	// Status is NTSTATUS in responses; in 3.x requests the same four bytes carry
	// ChannelSequence/Reserved.
	Status      ntstatus.Status
	Command     Command
	Credits     uint16 // CreditRequest in requests, CreditResponse in responses
	Flags       uint32
	NextCommand uint32
	MessageID   uint64
	ProcessID   uint32 // sync form: Reserved (SMB2 clients put a process id here)
	TreeID      uint32 // sync form
	AsyncID     uint64 // async form
	SessionID   uint64
	Signature   [16]byte
}

// IsResponse reports SMB2_FLAGS_SERVER_TO_REDIR.
func (h *Header) IsResponse() bool { return h.Flags&FlagServerToRedir != 0 }

// IsAsync reports SMB2_FLAGS_ASYNC_COMMAND.
func (h *Header) IsAsync() bool { return h.Flags&FlagAsyncCommand != 0 }

// Encode writes the header into b[:HeaderSize].
func (h *Header) Encode(b []byte) {
	_ = b[HeaderSize-1]
	copy(b[0:4], ProtocolID[:])               // ProtocolId
	le.PutUint16(b[4:6], HeaderSize)          // StructureSize
	le.PutUint16(b[6:8], h.CreditCharge)      // CreditCharge
	le.PutUint32(b[8:12], uint32(h.Status))   // Status / ChannelSequence+Reserved
	le.PutUint16(b[12:14], uint16(h.Command)) // Command
	le.PutUint16(b[14:16], h.Credits)         // CreditRequest/CreditResponse
	le.PutUint32(b[16:20], h.Flags)           // Flags
	le.PutUint32(b[20:24], h.NextCommand)     // NextCommand
	le.PutUint64(b[24:32], h.MessageID)       // MessageId
	if h.IsAsync() {
		le.PutUint64(b[32:40], h.AsyncID) // AsyncId
	} else {
		le.PutUint32(b[32:36], h.ProcessID) // Reserved (ProcessId)
		le.PutUint32(b[36:40], h.TreeID)    // TreeId
	}
	le.PutUint64(b[40:48], h.SessionID) // SessionId
	copy(b[48:64], h.Signature[:])      // Signature
}

// DecodeHeader reads the header at the start of b.
func DecodeHeader(b []byte) (Header, error) {
	var h Header
	if len(b) < 4 || !bytes.Equal(b[0:4], ProtocolID[:]) {
		return h, ErrNotSMB2
	}
	if len(b) < HeaderSize {
		return h, fmt.Errorf("%w: header is %d bytes", ErrTruncated, len(b))
	}
	if s := le.Uint16(b[4:6]); s != HeaderSize {
		return h, fmt.Errorf("%w: header StructureSize %d", ErrMalformed, s)
	}
	h.CreditCharge = le.Uint16(b[6:8])
	h.Status = ntstatus.Status(le.Uint32(b[8:12]))
	h.Command = Command(le.Uint16(b[12:14]))
	h.Credits = le.Uint16(b[14:16])
	h.Flags = le.Uint32(b[16:20])
	h.NextCommand = le.Uint32(b[20:24])
	h.MessageID = le.Uint64(b[24:32])
	if h.IsAsync() {
		h.AsyncID = le.Uint64(b[32:40])
	} else {
		h.ProcessID = le.Uint32(b[32:36])
		h.TreeID = le.Uint32(b[36:40])
	}
	h.SessionID = le.Uint64(b[40:48])
	copy(h.Signature[:], b[48:64])
	return h, nil
}

// IsSMB2 reports whether b, a NetBIOS session message payload, is an (unencrypted)
// SMB2 message. Transform (0xFD) and compression (0xFC) headers are not.
func IsSMB2(b []byte) bool {
	return len(b) >= HeaderSize && bytes.Equal(b[0:4], ProtocolID[:]) && le.Uint16(b[4:6]) == HeaderSize
}
