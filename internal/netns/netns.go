// Package netns holds the two network-namespace operations the tests (internal/testns) and the
// benchmarks (bench/internal/benchns) share: deleting namespaces they made, with whatever they
// left running inside, and running Go code inside one.
package netns

import (
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// Delete ends the processes left in each named namespace (all started by the caller: the
// namespaces are its own) with SIGTERM, then SIGKILL, and deletes the namespaces; a process
// would otherwise keep a deleted namespace alive.
func Delete(names ...string) {
	for _, ns := range names {
		for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGKILL} {
			out, err := exec.Command("ip", "netns", "pids", ns).Output()
			if err != nil || len(strings.TrimSpace(string(out))) == 0 {
				break
			}
			for _, f := range strings.Fields(string(out)) {
				if pid, err := strconv.Atoi(f); err == nil && pid > 1 && pid != os.Getpid() {
					syscall.Kill(pid, sig)
				}
			}
			time.Sleep(300 * time.Millisecond)
		}
		exec.Command("ip", "netns", "del", ns).Run()
	}
}

// Do runs fn on an OS thread switched into the named namespace (/run/netns/NAME). Sockets fn
// opens belong to that namespace and keep working after Do returns; the thread is thrown away
// afterwards rather than returned to the Go scheduler in the wrong namespace.
func Do(name string, fn func() error) error {
	f, err := os.Open("/run/netns/" + name)
	if err != nil {
		return err
	}
	defer f.Close()
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread() // never unlocked: the thread exits with the goroutine
		if err := unix.Setns(int(f.Fd()), unix.CLONE_NEWNET); err != nil {
			errc <- fmt.Errorf("setns %s: %w", name, err)
			return
		}
		errc <- fn()
	}()
	return <-errc
}
