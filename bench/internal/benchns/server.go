package benchns

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/netip"
	"os"
	"os/exec"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/scan445/scan445/smbprobe/smblab"
)

// Server is a process a bench started inside one of its namespaces.
type Server struct {
	Cmd   *exec.Cmd
	Stdin io.WriteCloser // the lifeline of servers started with StartSelf
}

// Stop ends the server: its lifeline closed, then SIGTERM, then SIGKILL after 3 s.
func (s *Server) Stop() {
	if s == nil || s.Cmd.Process == nil {
		return
	}
	if s.Stdin != nil {
		s.Stdin.Close() // our own servers exit on EOF
	}
	s.Cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan struct{})
	go func() { s.Cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(3 * time.Second):
		s.Cmd.Process.Kill()
		<-done
	}
}

// StartSelf re-executes the running bench binary inside namespace ns in a server mode (args)
// and waits for its first stdout line, the readiness signal (for the lab: its host map).
func StartSelf(ctx context.Context, ns string, args ...string) (*Server, string, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, "", err
	}
	cmd := exec.CommandContext(ctx, "ip", append([]string{"netns", "exec", ns, self}, args...)...)
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, "", err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, "", err
	}
	if err := cmd.Start(); err != nil {
		return nil, "", err
	}
	s := &Server{Cmd: cmd, Stdin: stdin}
	line := make(chan string, 1)
	go func() {
		r := bufio.NewReaderSize(stdout, 1<<20)
		l, _ := r.ReadString('\n')
		line <- l
		io.Copy(io.Discard, r)
	}()
	select {
	case l := <-line:
		if l == "" {
			s.Stop()
			return nil, "", fmt.Errorf("%s: exited before it was ready", strings.Join(args, " "))
		}
		return s, l, nil
	case <-time.After(30 * time.Second):
		s.Stop()
		return nil, "", fmt.Errorf("%s: not ready after 30 s", strings.Join(args, " "))
	}
}

// ServeLab runs the emulated rack from first (a 127/8 address) on port, non-hostile
// personalities only (hostile hosts measure time-outs, not tools), prints its host map as one
// JSON line and serves until WaitLifeline returns.
func ServeLab(first string, port, hosts int) error {
	a, err := netip.ParseAddr(first)
	if err != nil {
		return err
	}
	var ps []smblab.Personality
	for _, p := range smblab.DefaultPersonalities() {
		if p.Hostile == smblab.HostileNone && !p.Nmap.Unreliable {
			ps = append(ps, p)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	lab, err := smblab.Start(ctx, smblab.Options{First: a, Port: port, Hosts: hosts, Personalities: ps})
	if err != nil {
		return err
	}
	defer lab.Close()
	b, err := json.Marshal(lab.Hosts())
	if err != nil {
		return err
	}
	fmt.Println(string(b))
	WaitLifeline()
	return nil
}

// WaitLifeline returns when the parent closes our stdin (or dies) or on SIGTERM/SIGINT.
func WaitLifeline() {
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGTERM, syscall.SIGINT)
	eof := make(chan struct{})
	go func() { io.Copy(io.Discard, os.Stdin); close(eof) }()
	select {
	case <-sig:
	case <-eof:
	}
}
