package srvsvc

import "fmt"

// WERROR is the Win32 status srvsvc methods return.
type WERROR uint32

const (
	WerrOK                  WERROR = 0x00000000 // ERROR_SUCCESS / NERR_Success
	WerrFileNotFound        WERROR = 0x00000002 // ERROR_FILE_NOT_FOUND
	WerrPathNotFound        WERROR = 0x00000003 // ERROR_PATH_NOT_FOUND
	WerrAccessDenied        WERROR = 0x00000005 // ERROR_ACCESS_DENIED
	WerrNotEnoughMemory     WERROR = 0x00000008 // ERROR_NOT_ENOUGH_MEMORY
	WerrNotSupported        WERROR = 0x00000032 // ERROR_NOT_SUPPORTED
	WerrBadNetPath          WERROR = 0x00000035 // ERROR_BAD_NETPATH
	WerrInvalidParameter    WERROR = 0x00000057 // ERROR_INVALID_PARAMETER: Conficker's patched NetprPathCanonicalize
	WerrInsufficientBuf     WERROR = 0x0000007a // ERROR_INSUFFICIENT_BUFFER
	WerrInvalidName         WERROR = 0x0000007b // ERROR_INVALID_NAME: patched netapi32 on a `\..` collapse
	WerrInvalidLevel        WERROR = 0x0000007c // ERROR_INVALID_LEVEL
	WerrBadPathname         WERROR = 0x000000a1 // ERROR_BAD_PATHNAME
	WerrMoreData            WERROR = 0x000000ea // ERROR_MORE_DATA
	WerrNerrBufTooSmall     WERROR = 0x0000084b // NERR_BufTooSmall
	WerrNerrNetNameNotFound WERROR = 0x00000906 // NERR_NetNameNotFound
)

// Name returns the symbolic name, or "" when the code is not in the table.
func (w WERROR) Name() string {
	switch w {
	case WerrOK:
		return "WERR_OK"
	case WerrFileNotFound:
		return "WERR_FILE_NOT_FOUND"
	case WerrPathNotFound:
		return "WERR_PATH_NOT_FOUND"
	case WerrAccessDenied:
		return "WERR_ACCESS_DENIED"
	case WerrNotEnoughMemory:
		return "WERR_NOT_ENOUGH_MEMORY"
	case WerrNotSupported:
		return "WERR_NOT_SUPPORTED"
	case WerrBadNetPath:
		return "WERR_BAD_NETPATH"
	case WerrInvalidParameter:
		return "WERR_INVALID_PARAMETER"
	case WerrInsufficientBuf:
		return "WERR_INSUFFICIENT_BUFFER"
	case WerrInvalidName:
		return "WERR_INVALID_NAME"
	case WerrInvalidLevel:
		return "WERR_INVALID_LEVEL"
	case WerrBadPathname:
		return "WERR_BAD_PATHNAME"
	case WerrMoreData:
		return "WERR_MORE_DATA"
	case WerrNerrBufTooSmall:
		return "NERR_BufTooSmall"
	case WerrNerrNetNameNotFound:
		return "NERR_NetNameNotFound"
	}
	return ""
}

// String gives "0x0000007b (WERR_INVALID_NAME)", or the hex alone for unknown codes.
func (w WERROR) String() string {
	if n := w.Name(); n != "" {
		return fmt.Sprintf("0x%08x (%s)", uint32(w), n)
	}
	return fmt.Sprintf("0x%08x", uint32(w))
}
