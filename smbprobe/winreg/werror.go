package winreg

import "github.com/scan445/scan445/smbprobe/internal/werror"

// WERROR is the Win32 status MS-RRP methods return (error_status_t); its names are package
// werror's table, shared with srvsvc. This package's transcript and errors spell it name
// first (NameFirst): "WERR_FILE_NOT_FOUND (0x00000002)".
type WERROR = werror.WERROR

// The statuses the registry checks tell apart (MS-ERREF 2.2).
const (
	WerrOK             = werror.OK                // ERROR_SUCCESS
	WerrFileNotFound   = werror.FileNotFound      // ERROR_FILE_NOT_FOUND: no such key or value
	WerrAccessDenied   = werror.AccessDenied      // ERROR_ACCESS_DENIED
	WerrInvalidHandle  = werror.InvalidHandle     // ERROR_INVALID_HANDLE
	WerrInvalidParam   = werror.InvalidParameter  // ERROR_INVALID_PARAMETER
	WerrMoreData       = werror.MoreData          // ERROR_MORE_DATA: the value is larger than the buffer offered
	WerrBadPathname    = werror.BadPathname       // ERROR_BAD_PATHNAME
	WerrCallNotImpl    = werror.CallNotImpl       // ERROR_CALL_NOT_IMPLEMENTED
	WerrNoSystemResrcs = werror.NoSystemResources // ERROR_NO_SYSTEM_RESOURCES
)
