package smbclient

import (
	"time"

	"github.com/scan445/scan445/smbprobe/ntstatus"
)

// Exchange is one request and its reply, as the client reports it to its OnExchange callback.
// Callers build their evidence and transcripts from these reports; the client keeps no record
// of its own.
type Exchange struct {
	// Step names the operation: "smb1.negotiate", "smb1.session-setup", "smb1.tree-connect",
	// "smb1.nt-create", "smb1.transaction", "smb1.read", "smb1.write", "smb1.close",
	// "smb1.logoff", "smb1.peek-named-pipe".
	Step string
	// Request says in words what was sent (dialects, leg of the logon, path, FID).
	Request string
	// Sent is the SMB message as written (signed when signing is active), without the
	// NetBIOS header; nil when the request could not be built.
	Sent []byte
	// Received is the reply message, nil when none came.
	Received []byte
	// Status is the reply header's NTSTATUS; meaningful only when Received is set and the
	// reply is SMB1.
	Status ntstatus.Status
	// Err is the failure of the exchange: a transport error (ErrTimeout, ErrDropped, wrapped
	// in ErrNotSent when nothing was written) or ErrProtocol. Refusals by status are not errors.
	Err error
	// Elapsed is the time from writing the request to the end of the reply.
	Elapsed time.Duration
}
