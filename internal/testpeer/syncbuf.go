package testpeer

import (
	"strings"
	"sync"
)

// SyncBuffer is an io.Writer that many goroutines may write to at once, e.g. a lab's CrashLog
// while parallel scans run against it.
type SyncBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *SyncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

// String returns everything written so far.
func (s *SyncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
