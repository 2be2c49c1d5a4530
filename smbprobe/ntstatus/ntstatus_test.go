package ntstatus

import (
	"errors"
	"fmt"
	"testing"
)

func TestString(t *testing.T) {
	tests := []struct {
		s    Status
		want string
	}{
		{Success, "STATUS_SUCCESS (0x00000000)"},
		{AccessDenied, "STATUS_ACCESS_DENIED (0xC0000022)"},
		{MoreProcessingRequired, "STATUS_MORE_PROCESSING_REQUIRED (0xC0000016)"},
		{LogonFailure, "STATUS_LOGON_FAILURE (0xC000006D)"},
		{ObjectNameNotFound, "STATUS_OBJECT_NAME_NOT_FOUND (0xC0000034)"},
		{BadNetworkName, "STATUS_BAD_NETWORK_NAME (0xC00000CC)"},
		{InvalidHandle, "STATUS_INVALID_HANDLE (0xC0000008)"},
		{InsuffServerResources, "STATUS_INSUFF_SERVER_RESOURCES (0xC0000205)"},
		{NotSupported, "STATUS_NOT_SUPPORTED (0xC00000BB)"},
		{InvalidParameter, "STATUS_INVALID_PARAMETER (0xC000000D)"},
		{BufferOverflow, "STATUS_BUFFER_OVERFLOW (0x80000005)"},
		{InvalidSMB, "STATUS_INVALID_SMB (0x00010002)"},
		{NetworkAccessDenied, "STATUS_NETWORK_ACCESS_DENIED (0xC00000CA)"},
		{PipeBroken, "STATUS_PIPE_BROKEN (0xC000014B)"},
		{PipeDisconnected, "STATUS_PIPE_DISCONNECTED (0xC00000B0)"},
		{InvalidPipeState, "STATUS_INVALID_PIPE_STATE (0xC00000AD)"},
		{UserSessionDeleted, "STATUS_USER_SESSION_DELETED (0xC0000203)"},
		{FileClosed, "STATUS_FILE_CLOSED (0xC0000128)"},
		{NotFound, "STATUS_NOT_FOUND (0xC0000225)"},
		{EndOfFile, "STATUS_END_OF_FILE (0xC0000011)"},
		{Status(0xC0001234), "0xC0001234"},
		{Status(0x1c010002), "0x1C010002"},
	}
	for _, tt := range tests {
		if got := tt.s.String(); got != tt.want {
			t.Errorf("Status(%#x).String() = %q, want %q", uint32(tt.s), got, tt.want)
		}
		if got := tt.s.Error(); got != tt.want {
			t.Errorf("Status(%#x).Error() = %q, want %q", uint32(tt.s), got, tt.want)
		}
	}
}

// Every named constant must have a distinct name: a copy-paste slip in the switch would show
// up as two codes sharing one name.
func TestNamesUnique(t *testing.T) {
	all := []Status{Success, Pending, NotifyEnumDir, InvalidSMB, SMBBadTID, SMBBadCommand,
		SMBBadUID, BufferOverflow, NoMoreFiles, NotImplemented, InvalidInfoClass,
		InfoLengthMismatch, InvalidHandle, InvalidParameter, NoSuchFile, InvalidDeviceRequest,
		EndOfFile, MoreProcessingRequired, NoMemory, AccessDenied, BufferTooSmall,
		ObjectNameInvalid, ObjectNameNotFound, ObjectNameCollision, ObjectPathNotFound,
		ObjectPathSyntaxBad, SharingViolation, DeletePending, NoSuchUser, WrongPassword,
		LogonFailure, AccountRestriction, PasswordExpired, AccountDisabled, InsufficientResources,
		PipeNotAvailable, InvalidPipeState, PipeBusy, PipeDisconnected, PipeClosing, PipeConnected,
		PipeListening, InvalidReadMode, IOTimeout, FileIsADirectory, NotSupported, BadNetworkPath,
		InvalidNetworkResponse, NetworkNameDeleted, NetworkAccessDenied, BadDeviceType,
		BadNetworkName, RequestNotAccepted, PipeEmpty, NotADirectory, TooManyOpenedFiles,
		Cancelled, FileClosed, PipeBroken, UserSessionDeleted, InsuffServerResources,
		PasswordMustChange, NotFound, AccountLockedOut, NetworkSessionExpired,
		SMBNoPreauthIntegrityHashOverlap}
	seen := map[string]Status{}
	for _, s := range all {
		n, ok := s.Name()
		if !ok {
			t.Errorf("%#x has no name", uint32(s))
			continue
		}
		if prev, dup := seen[n]; dup {
			t.Errorf("%s used by %#x and %#x", n, uint32(prev), uint32(s))
		}
		seen[n] = s
	}
}

func TestSeverity(t *testing.T) {
	tests := []struct {
		s              Status
		sev            uint8
		isErr, success bool
	}{
		{Success, 0, false, true},
		{InvalidSMB, 0, false, false},
		{BufferOverflow, 2, false, false},
		{AccessDenied, 3, true, false},
	}
	for _, tt := range tests {
		if tt.s.Severity() != tt.sev || tt.s.IsError() != tt.isErr || tt.s.IsSuccess() != tt.success {
			t.Errorf("%v: severity %d error %v success %v", tt.s, tt.s.Severity(), tt.s.IsError(), tt.s.IsSuccess())
		}
	}
}

func TestErrorsAs(t *testing.T) {
	err := fmt.Errorf("tree connect: %w", BadNetworkName)
	var st Status
	if !errors.As(err, &st) || st != BadNetworkName {
		t.Fatalf("errors.As gave %v", st)
	}
	if !errors.Is(err, BadNetworkName) || errors.Is(err, AccessDenied) {
		t.Fatal("errors.Is does not compare by value")
	}
}
