package benchns

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"slices"
	"strings"
	"syscall"
)

// Median is the middle value of v (the upper one of an even count), 0 for none.
func Median(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	s := slices.Clone(v)
	slices.Sort(s)
	return s[len(s)/2]
}

// Tail is the last 400 characters of a command's output, for an error message.
func Tail(s string) string {
	s = strings.TrimSpace(s)
	if len(s) > 400 {
		s = "…" + s[len(s)-400:]
	}
	return s
}

// AsRoot runs a namespace benchmark until SIGINT/SIGTERM, or writes skipped into md when not
// root: creating network namespaces needs it.
func AsRoot(md *strings.Builder, skipped string, run func(ctx context.Context) error) error {
	if os.Geteuid() != 0 {
		md.WriteString(skipped + "\n\n")
		return nil
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return run(ctx)
}

// Emit prints a benchmark's Markdown and, when out is set, writes it there too.
func Emit(md string, out string) error {
	fmt.Print(md)
	if out == "" {
		return nil
	}
	return os.WriteFile(out, []byte(md), 0o644)
}
