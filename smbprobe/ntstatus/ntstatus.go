// Package ntstatus names the NTSTATUS codes that SMB1, SMB2 and the lab server exchange.
//
// Status implements error so that a non-success reply can travel up a call chain as a Go error
// while the raw value stays available to verdict code (errors.As).
package ntstatus

import "fmt"

// Status is a 32-bit NTSTATUS value as carried in SMB headers (MS-ERREF 2.3).
type Status uint32

// Codes used by scan445. Values from MS-ERREF 2.3.1; the three 0x....0002 values are the
// SMB-specific codes of MS-CIFS 2.2.2.4 that Windows puts in the NT status field.
const (
	Success                          Status = 0x00000000
	Pending                          Status = 0x00000103
	NotifyEnumDir                    Status = 0x0000010C
	InvalidSMB                       Status = 0x00010002
	SMBBadTID                        Status = 0x00050002
	SMBBadCommand                    Status = 0x00160002
	SMBBadUID                        Status = 0x005B0002
	BufferOverflow                   Status = 0x80000005
	NoMoreFiles                      Status = 0x80000006
	NotImplemented                   Status = 0xC0000002
	InvalidInfoClass                 Status = 0xC0000003
	InfoLengthMismatch               Status = 0xC0000004
	InvalidHandle                    Status = 0xC0000008
	InvalidParameter                 Status = 0xC000000D
	NoSuchFile                       Status = 0xC000000F
	InvalidDeviceRequest             Status = 0xC0000010
	EndOfFile                        Status = 0xC0000011
	MoreProcessingRequired           Status = 0xC0000016
	NoMemory                         Status = 0xC0000017
	AccessDenied                     Status = 0xC0000022
	BufferTooSmall                   Status = 0xC0000023
	ObjectNameInvalid                Status = 0xC0000033
	ObjectNameNotFound               Status = 0xC0000034
	ObjectNameCollision              Status = 0xC0000035
	ObjectPathNotFound               Status = 0xC000003A
	ObjectPathSyntaxBad              Status = 0xC000003B
	SharingViolation                 Status = 0xC0000043
	DeletePending                    Status = 0xC0000056
	NoSuchUser                       Status = 0xC0000064
	WrongPassword                    Status = 0xC000006A
	LogonFailure                     Status = 0xC000006D
	AccountRestriction               Status = 0xC000006E
	PasswordExpired                  Status = 0xC0000071
	AccountDisabled                  Status = 0xC0000072
	InsufficientResources            Status = 0xC000009A
	PipeNotAvailable                 Status = 0xC00000AC
	InvalidPipeState                 Status = 0xC00000AD
	PipeBusy                         Status = 0xC00000AE
	PipeDisconnected                 Status = 0xC00000B0
	PipeClosing                      Status = 0xC00000B1
	PipeConnected                    Status = 0xC00000B2
	PipeListening                    Status = 0xC00000B3
	InvalidReadMode                  Status = 0xC00000B4
	IOTimeout                        Status = 0xC00000B5
	FileIsADirectory                 Status = 0xC00000BA
	NotSupported                     Status = 0xC00000BB
	BadNetworkPath                   Status = 0xC00000BE
	InvalidNetworkResponse           Status = 0xC00000C3
	NetworkNameDeleted               Status = 0xC00000C9
	NetworkAccessDenied              Status = 0xC00000CA
	BadDeviceType                    Status = 0xC00000CB
	BadNetworkName                   Status = 0xC00000CC
	RequestNotAccepted               Status = 0xC00000D0
	PipeEmpty                        Status = 0xC00000D9
	NotADirectory                    Status = 0xC0000103
	TooManyOpenedFiles               Status = 0xC000011F
	Cancelled                        Status = 0xC0000120
	FileClosed                       Status = 0xC0000128
	PipeBroken                       Status = 0xC000014B
	UserSessionDeleted               Status = 0xC0000203
	InsuffServerResources            Status = 0xC0000205
	PasswordMustChange               Status = 0xC0000224
	NotFound                         Status = 0xC0000225
	AccountLockedOut                 Status = 0xC0000234
	NetworkSessionExpired            Status = 0xC000035C
	SMBNoPreauthIntegrityHashOverlap Status = 0xC05D0000
)

// Name returns the symbolic name (e.g. "STATUS_ACCESS_DENIED") and whether the value is known.
// A switch rather than a map keeps the table immutable without a package variable.
func (s Status) Name() (string, bool) {
	var n string
	switch s {
	case Success:
		n = "SUCCESS"
	case Pending:
		n = "PENDING"
	case NotifyEnumDir:
		n = "NOTIFY_ENUM_DIR"
	case InvalidSMB:
		n = "INVALID_SMB"
	case SMBBadTID:
		n = "SMB_BAD_TID"
	case SMBBadCommand:
		n = "SMB_BAD_COMMAND"
	case SMBBadUID:
		n = "SMB_BAD_UID"
	case BufferOverflow:
		n = "BUFFER_OVERFLOW"
	case NoMoreFiles:
		n = "NO_MORE_FILES"
	case NotImplemented:
		n = "NOT_IMPLEMENTED"
	case InvalidInfoClass:
		n = "INVALID_INFO_CLASS"
	case InfoLengthMismatch:
		n = "INFO_LENGTH_MISMATCH"
	case InvalidHandle:
		n = "INVALID_HANDLE"
	case InvalidParameter:
		n = "INVALID_PARAMETER"
	case NoSuchFile:
		n = "NO_SUCH_FILE"
	case InvalidDeviceRequest:
		n = "INVALID_DEVICE_REQUEST"
	case EndOfFile:
		n = "END_OF_FILE"
	case MoreProcessingRequired:
		n = "MORE_PROCESSING_REQUIRED"
	case NoMemory:
		n = "NO_MEMORY"
	case AccessDenied:
		n = "ACCESS_DENIED"
	case BufferTooSmall:
		n = "BUFFER_TOO_SMALL"
	case ObjectNameInvalid:
		n = "OBJECT_NAME_INVALID"
	case ObjectNameNotFound:
		n = "OBJECT_NAME_NOT_FOUND"
	case ObjectNameCollision:
		n = "OBJECT_NAME_COLLISION"
	case ObjectPathNotFound:
		n = "OBJECT_PATH_NOT_FOUND"
	case ObjectPathSyntaxBad:
		n = "OBJECT_PATH_SYNTAX_BAD"
	case SharingViolation:
		n = "SHARING_VIOLATION"
	case DeletePending:
		n = "DELETE_PENDING"
	case NoSuchUser:
		n = "NO_SUCH_USER"
	case WrongPassword:
		n = "WRONG_PASSWORD"
	case LogonFailure:
		n = "LOGON_FAILURE"
	case AccountRestriction:
		n = "ACCOUNT_RESTRICTION"
	case PasswordExpired:
		n = "PASSWORD_EXPIRED"
	case AccountDisabled:
		n = "ACCOUNT_DISABLED"
	case InsufficientResources:
		n = "INSUFFICIENT_RESOURCES"
	case PipeNotAvailable:
		n = "PIPE_NOT_AVAILABLE"
	case InvalidPipeState:
		n = "INVALID_PIPE_STATE"
	case PipeBusy:
		n = "PIPE_BUSY"
	case PipeDisconnected:
		n = "PIPE_DISCONNECTED"
	case PipeClosing:
		n = "PIPE_CLOSING"
	case PipeConnected:
		n = "PIPE_CONNECTED"
	case PipeListening:
		n = "PIPE_LISTENING"
	case InvalidReadMode:
		n = "INVALID_READ_MODE"
	case IOTimeout:
		n = "IO_TIMEOUT"
	case FileIsADirectory:
		n = "FILE_IS_A_DIRECTORY"
	case NotSupported:
		n = "NOT_SUPPORTED"
	case BadNetworkPath:
		n = "BAD_NETWORK_PATH"
	case InvalidNetworkResponse:
		n = "INVALID_NETWORK_RESPONSE"
	case NetworkNameDeleted:
		n = "NETWORK_NAME_DELETED"
	case NetworkAccessDenied:
		n = "NETWORK_ACCESS_DENIED"
	case BadDeviceType:
		n = "BAD_DEVICE_TYPE"
	case BadNetworkName:
		n = "BAD_NETWORK_NAME"
	case RequestNotAccepted:
		n = "REQUEST_NOT_ACCEPTED"
	case PipeEmpty:
		n = "PIPE_EMPTY"
	case NotADirectory:
		n = "NOT_A_DIRECTORY"
	case TooManyOpenedFiles:
		n = "TOO_MANY_OPENED_FILES"
	case Cancelled:
		n = "CANCELLED"
	case FileClosed:
		n = "FILE_CLOSED"
	case PipeBroken:
		n = "PIPE_BROKEN"
	case UserSessionDeleted:
		n = "USER_SESSION_DELETED"
	case InsuffServerResources:
		n = "INSUFF_SERVER_RESOURCES"
	case PasswordMustChange:
		n = "PASSWORD_MUST_CHANGE"
	case NotFound:
		n = "NOT_FOUND"
	case AccountLockedOut:
		n = "ACCOUNT_LOCKED_OUT"
	case NetworkSessionExpired:
		n = "NETWORK_SESSION_EXPIRED"
	case SMBNoPreauthIntegrityHashOverlap:
		n = "SMB_NO_PREAUTH_INTEGRITY_HASH_OVERLAP"
	default:
		return "", false
	}
	return "STATUS_" + n, true
}

// String gives "STATUS_ACCESS_DENIED (0xC0000022)", or just the hex for an unknown value, so
// that reports always carry the raw code.
func (s Status) String() string {
	if n, ok := s.Name(); ok {
		return fmt.Sprintf("%s (0x%08X)", n, uint32(s))
	}
	return fmt.Sprintf("0x%08X", uint32(s))
}

// Error makes a Status usable as an error value.
func (s Status) Error() string { return s.String() }

// Severity is the top two bits: 0 success, 1 informational, 2 warning, 3 error (MS-ERREF 2.3).
func (s Status) Severity() uint8 { return uint8(uint32(s) >> 30) }

// IsError reports the error severity. Warnings such as BUFFER_OVERFLOW still carry data.
func (s Status) IsError() bool { return s.Severity() == 3 }

// IsSuccess reports STATUS_SUCCESS exactly.
func (s Status) IsSuccess() bool { return s == Success }
