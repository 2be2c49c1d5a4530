package scanner

import (
	"fmt"
	"math"
)

// Plan is the sizing of a sweep's two stages, derived from the configured rate and timeouts
// and from the number of file descriptors the process may hold.
//
// A dead address (dropped SYN) holds its connect slot for Timeout × (1+Retries) — on each port
// it is dialled on, see deadPorts — while it costs only 1+Retries attempts, so a fixed number
// of hosts in flight caps the rate at
// slots ÷ (Timeout × (1+Retries)): 64 hosts at 3 s and one retry is ~11 attempts/s, whatever
// --rate says. The connect stage therefore gets Rate × Timeout × (1+Retries) slots (plus 10%) —
// every host the pacer can start while the oldest is still waiting out its retries — and only
// hosts that answered move on to the probe stage, which keeps --concurrency SMB sessions.
type Plan struct {
	Rate         int // effective attempts per second (0: unlimited); below the configured one only when descriptors run short
	ConnectSlots int // hosts in the connect stage at once (dialing, or open and waiting for a probe slot)
	ProbeSlots   int // hosts being probed at once (--concurrency)
	FileLimit    int // RLIMIT_NOFILE the plan was sized for (0: unknown, not limited)
	// Limited says why Rate is below the configured rate ("" when it is not).
	Limited string
}

const (
	// unpacedSlots bounds the connect stage when no rate is set (--rate 0): without a rate
	// nothing else would, and every slot is a goroutine and a socket.
	unpacedSlots = 4096
	// fdReserve is kept for everything but sockets: the binary, reports, the journal, logs.
	fdReserve = 64
	// fdsPerProbe: a probed host holds its SMB connection plus at most a redial (second SMB
	// connection, credentialed read or a Conficker P2P hello) at a time, rounded up.
	fdsPerProbe = 3
	minSlots    = 16
)

// NewPlan sizes the stages for cfg (defaults applied) with fileLimit descriptors (0: unknown,
// treated as unlimited). If the descriptors cannot hold the slots the configured rate needs,
// the rate is lowered to what they can sustain, and Limited says so.
func NewPlan(config Config, fileLimit int) Plan {
	cfg := config.withDefaults()
	p := Plan{Rate: cfg.Rate, ProbeSlots: cfg.Concurrency, FileLimit: fileLimit}
	// Longest a dead host holds its slot: every connect timeout it waits out. With the default
	// fallback (on closed only) that is one port's: a host that refuses 445 is dialled on 139
	// at once, and even a 139 that then times out holds the slot one timeout plus a round trip,
	// which the 10% headroom covers. With FallbackFiltered a dead host waits on every port.
	hold := cfg.Timeout.Seconds() * float64(1+cfg.Retries) * float64(cfg.deadPorts())
	if cfg.Rate > 0 {
		// 10% headroom: a slot also spends the timer's slack and the wait for the next host's
		// token, and without it the rate would settle just below the configured one.
		base := math.Ceil(float64(cfg.Rate) * hold)
		p.ConnectSlots = int(base + math.Ceil(base/10))
	} else {
		p.ConnectSlots = unpacedSlots
	}
	p.ConnectSlots = max(p.ConnectSlots, cfg.Concurrency, minSlots)
	if cfg.ConnectSlots > 0 {
		p.ConnectSlots = cfg.ConnectSlots
	}
	if fileLimit <= 0 {
		return p
	}
	probeFDs := 0
	if cfg.Prober != nil { // without a prober (--checks none) an open host is closed at once
		probeFDs = fdsPerProbe * cfg.Concurrency
	}
	avail := fileLimit - fdReserve - probeFDs
	if p.ConnectSlots <= avail {
		return p
	}
	p.ConnectSlots = max(avail, minSlots)
	if cfg.Rate > 0 {
		// The rate these slots sustain when every address is dead; never above the configured.
		p.Rate = min(cfg.Rate, max(1, int(float64(p.ConnectSlots)/hold)))
	}
	p.Limited = fmt.Sprintf("only %d file descriptors (RLIMIT_NOFILE hard limit): %d connect slots, enough for %d attempts/s with --timeout %s and --retries %d; raise the limit (ulimit -Hn) or lower --timeout, --retries or --concurrency for --rate %d",
		fileLimit, p.ConnectSlots, p.Rate, cfg.Timeout, cfg.Retries, cfg.Rate)
	if cfg.Rate == 0 {
		p.Limited = fmt.Sprintf("only %d file descriptors (RLIMIT_NOFILE hard limit): %d connect slots", fileLimit, p.ConnectSlots)
	}
	return p
}

// Describe writes the plan into a report's options map.
func (p Plan) Describe(o map[string]string) {
	o["rate"] = fmt.Sprint(p.Rate)
	o["connect_slots"] = fmt.Sprint(p.ConnectSlots)
	o["concurrency"] = fmt.Sprint(p.ProbeSlots)
	if p.FileLimit > 0 {
		o["file_limit"] = fmt.Sprint(p.FileLimit)
	}
}

// Apply returns cfg with the plan's effective rate and slots.
func (p Plan) Apply(cfg Config) Config {
	cfg.Rate = p.Rate
	cfg.ConnectSlots = p.ConnectSlots
	return cfg
}
