package winreg

import "fmt"

// WERROR is the Win32 status MS-RRP methods return (error_status_t).
type WERROR uint32

// The statuses the registry checks tell apart (MS-ERREF 2.2).
const (
	WerrOK             WERROR = 0x00000000 // ERROR_SUCCESS
	WerrFileNotFound   WERROR = 0x00000002 // ERROR_FILE_NOT_FOUND: no such key or value
	WerrAccessDenied   WERROR = 0x00000005 // ERROR_ACCESS_DENIED
	WerrInvalidHandle  WERROR = 0x00000006 // ERROR_INVALID_HANDLE
	WerrInvalidParam   WERROR = 0x00000057 // ERROR_INVALID_PARAMETER
	WerrMoreData       WERROR = 0x000000ea // ERROR_MORE_DATA: the value is larger than the buffer offered
	WerrBadPathname    WERROR = 0x000000a1 // ERROR_BAD_PATHNAME
	WerrCallNotImpl    WERROR = 0x00000078 // ERROR_CALL_NOT_IMPLEMENTED
	WerrNoSystemResrcs WERROR = 0x000005aa // ERROR_NO_SYSTEM_RESOURCES
)

// Name returns the symbolic name, or "" when the code is not in the table.
func (w WERROR) Name() string {
	switch w {
	case WerrOK:
		return "WERR_OK"
	case WerrFileNotFound:
		return "WERR_FILE_NOT_FOUND"
	case WerrAccessDenied:
		return "WERR_ACCESS_DENIED"
	case WerrInvalidHandle:
		return "WERR_INVALID_HANDLE"
	case WerrInvalidParam:
		return "WERR_INVALID_PARAMETER"
	case WerrMoreData:
		return "WERR_MORE_DATA"
	case WerrBadPathname:
		return "WERR_BAD_PATHNAME"
	case WerrCallNotImpl:
		return "WERR_CALL_NOT_IMPLEMENTED"
	case WerrNoSystemResrcs:
		return "WERR_NO_SYSTEM_RESOURCES"
	}
	return ""
}

// String is the name and the code, e.g. "WERR_FILE_NOT_FOUND (0x00000002)".
func (w WERROR) String() string {
	if n := w.Name(); n != "" {
		return fmt.Sprintf("%s (0x%08x)", n, uint32(w))
	}
	return fmt.Sprintf("0x%08x", uint32(w))
}
