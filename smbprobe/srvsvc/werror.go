package srvsvc

import "github.com/scan445/scan445/smbprobe/internal/werror"

// WERROR is the Win32 status srvsvc methods return; its names are package werror's table,
// shared with winreg. String gives "0x0000007b (WERR_INVALID_NAME)".
type WERROR = werror.WERROR

// The statuses srvsvc's checks and the lab tell apart.
const (
	WerrOK                  = werror.OK                  // ERROR_SUCCESS / NERR_Success
	WerrFileNotFound        = werror.FileNotFound        // ERROR_FILE_NOT_FOUND
	WerrPathNotFound        = werror.PathNotFound        // ERROR_PATH_NOT_FOUND
	WerrAccessDenied        = werror.AccessDenied        // ERROR_ACCESS_DENIED
	WerrNotEnoughMemory     = werror.NotEnoughMemory     // ERROR_NOT_ENOUGH_MEMORY
	WerrNotSupported        = werror.NotSupported        // ERROR_NOT_SUPPORTED
	WerrBadNetPath          = werror.BadNetPath          // ERROR_BAD_NETPATH
	WerrInvalidParameter    = werror.InvalidParameter    // ERROR_INVALID_PARAMETER: Conficker's patched NetprPathCanonicalize
	WerrInsufficientBuf     = werror.InsufficientBuf     // ERROR_INSUFFICIENT_BUFFER
	WerrInvalidName         = werror.InvalidName         // ERROR_INVALID_NAME: patched netapi32 on a `\..` collapse
	WerrInvalidLevel        = werror.InvalidLevel        // ERROR_INVALID_LEVEL
	WerrBadPathname         = werror.BadPathname         // ERROR_BAD_PATHNAME
	WerrMoreData            = werror.MoreData            // ERROR_MORE_DATA
	WerrNerrBufTooSmall     = werror.NerrBufTooSmall     // NERR_BufTooSmall
	WerrNerrNetNameNotFound = werror.NerrNetNameNotFound // NERR_NetNameNotFound
)
