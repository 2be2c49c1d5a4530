//go:build unix

package scanner

import "syscall"

// RaiseFileLimit sets the soft RLIMIT_NOFILE to the hard limit (the Go runtime already does
// this at start on most Unix systems; doing it here does not depend on that) and returns the
// resulting soft limit: the descriptors the connect stage may size itself for.
func RaiseFileLimit() (int, error) {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		return 0, err
	}
	if lim.Cur < lim.Max {
		raised := lim
		raised.Cur = raised.Max
		if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &raised); err == nil {
			lim = raised
		}
	}
	const most = 1 << 30 // RLIM_INFINITY and other huge values: as good as unlimited
	if lim.Cur > most {
		return most, nil
	}
	return int(lim.Cur), nil
}
