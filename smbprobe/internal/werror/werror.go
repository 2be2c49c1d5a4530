// Package werror is the Win32 status (WERROR, error_status_t) the DCE/RPC interfaces scan445
// calls return, with the one table of names the stub packages share: srvsvc and winreg
// re-export the type and the codes they tell apart.
package werror

import "fmt"

// WERROR is a Win32 status returned as an RPC method's result (MS-ERREF 2.2).
type WERROR uint32

// The statuses the checks tell apart (MS-ERREF 2.2, and the LAN Manager NERR_* codes srvsvc
// returns).
const (
	OK                  WERROR = 0x00000000 // ERROR_SUCCESS / NERR_Success
	FileNotFound        WERROR = 0x00000002 // ERROR_FILE_NOT_FOUND: no such file, key or value
	PathNotFound        WERROR = 0x00000003 // ERROR_PATH_NOT_FOUND
	AccessDenied        WERROR = 0x00000005 // ERROR_ACCESS_DENIED
	InvalidHandle       WERROR = 0x00000006 // ERROR_INVALID_HANDLE
	NotEnoughMemory     WERROR = 0x00000008 // ERROR_NOT_ENOUGH_MEMORY
	NotSupported        WERROR = 0x00000032 // ERROR_NOT_SUPPORTED
	BadNetPath          WERROR = 0x00000035 // ERROR_BAD_NETPATH
	InvalidParameter    WERROR = 0x00000057 // ERROR_INVALID_PARAMETER: Conficker's patched NetprPathCanonicalize
	CallNotImpl         WERROR = 0x00000078 // ERROR_CALL_NOT_IMPLEMENTED
	InsufficientBuf     WERROR = 0x0000007a // ERROR_INSUFFICIENT_BUFFER
	InvalidName         WERROR = 0x0000007b // ERROR_INVALID_NAME: patched netapi32 on a `\..` collapse
	InvalidLevel        WERROR = 0x0000007c // ERROR_INVALID_LEVEL
	BadPathname         WERROR = 0x000000a1 // ERROR_BAD_PATHNAME
	MoreData            WERROR = 0x000000ea // ERROR_MORE_DATA: the answer is larger than the buffer offered
	NoSystemResources   WERROR = 0x000005aa // ERROR_NO_SYSTEM_RESOURCES
	NerrBufTooSmall     WERROR = 0x0000084b // NERR_BufTooSmall
	NerrNetNameNotFound WERROR = 0x00000906 // NERR_NetNameNotFound
)

// Name returns the symbolic name, or "" when the code is not in the table.
func (w WERROR) Name() string {
	switch w {
	case OK:
		return "WERR_OK"
	case FileNotFound:
		return "WERR_FILE_NOT_FOUND"
	case PathNotFound:
		return "WERR_PATH_NOT_FOUND"
	case AccessDenied:
		return "WERR_ACCESS_DENIED"
	case InvalidHandle:
		return "WERR_INVALID_HANDLE"
	case NotEnoughMemory:
		return "WERR_NOT_ENOUGH_MEMORY"
	case NotSupported:
		return "WERR_NOT_SUPPORTED"
	case BadNetPath:
		return "WERR_BAD_NETPATH"
	case InvalidParameter:
		return "WERR_INVALID_PARAMETER"
	case CallNotImpl:
		return "WERR_CALL_NOT_IMPLEMENTED"
	case InsufficientBuf:
		return "WERR_INSUFFICIENT_BUFFER"
	case InvalidName:
		return "WERR_INVALID_NAME"
	case InvalidLevel:
		return "WERR_INVALID_LEVEL"
	case BadPathname:
		return "WERR_BAD_PATHNAME"
	case MoreData:
		return "WERR_MORE_DATA"
	case NoSystemResources:
		return "WERR_NO_SYSTEM_RESOURCES"
	case NerrBufTooSmall:
		return "NERR_BufTooSmall"
	case NerrNetNameNotFound:
		return "NERR_NetNameNotFound"
	}
	return ""
}

// String gives the code, then the name: "0x0000007b (WERR_INVALID_NAME)", or the hex alone
// for a code not in the table. srvsvc's evidence ("WERROR " + String) reads this way.
func (w WERROR) String() string {
	if n := w.Name(); n != "" {
		return fmt.Sprintf("0x%08x (%s)", uint32(w), n)
	}
	return fmt.Sprintf("0x%08x", uint32(w))
}

// NameFirst gives the name, then the code: "WERR_FILE_NOT_FOUND (0x00000002)", or the hex
// alone. winreg's transcript and errors read this way; both spellings stay so that no report
// changes wording.
func (w WERROR) NameFirst() string {
	if n := w.Name(); n != "" {
		return fmt.Sprintf("%s (0x%08x)", n, uint32(w))
	}
	return fmt.Sprintf("0x%08x", uint32(w))
}
