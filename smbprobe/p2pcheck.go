package smbprobe

import (
	"fmt"
	"strings"

	"github.com/scan445/scan445/smbprobe/p2p"
)

// The conficker-p2p check (docs/checks.md §4b): the P2P hello on the derived ports.

// p2pRow is the CheckConfickerP2P row of the check table.
func p2pRow() checkDef {
	return checkDef{
		CheckInfo: CheckInfo{ID: CheckConfickerP2P, Title: "Conficker C+ peer-to-peer responder", Class: ClassSafe, Category: CategoryInfection},
		needs:     0, // no SMB at all: its own UDP and TCP hellos
		steps:     stepP2P,
		judge:     (*run).judgeP2P,
	}
}

// recordP2P turns the P2P probe's result into an Exchange.
func (r *run) recordP2P(pr *p2p.Result) {
	r.f.p2p = pr
	var parts []string
	for _, p := range pr.Ports {
		parts = append(parts, fmt.Sprintf("%+v", p))
	}
	x := r.begin("p2p.hello", ClassSafe, fmt.Sprintf("Conficker P2P hello to TCP %d,%d and UDP %d,%d (week %d)", pr.TCP[0], pr.TCP[1], pr.UDP[0], pr.UDP[1], pr.Week))
	r.f.p2pIdx = x.done("signal "+string(pr.Signal), firstNonEmpty(pr.Error, strings.Join(parts, "; ")))
}

func (r *run) judgeP2P() Finding {
	pr := r.f.p2p
	ev := []int{r.f.p2pIdx}
	if pr == nil {
		return r.finding(CheckConfickerP2P, Unknown, "", "4b.not-run", "the P2P probe needs an IPv4 address", nil)
	}
	switch pr.Signal {
	case p2p.SignalInfected:
		return r.finding(CheckConfickerP2P, Infected, SeverityCritical, "4b.valid-checksum", "a Conficker P2P reply with a valid checksum came from a derived port", ev,
			RemedyConfickerClean, RemedyKB958644, RemedyBlock445, RemedyPasswords, RemedyAutoRun)
	case p2p.SignalPossible:
		return r.finding(CheckConfickerP2P, Unknown, "", "4b.bad-checksum", "a reply parsed as a Conficker P2P packet but its checksum failed: possibly infected", ev, RemedyVerifyManually)
	case p2p.SignalNone:
		// Silence is not a clean bill of health (a firewall, a NAT or a wrong clock hides a
		// peer), nor an unknown that needs a person: its own word.
		return r.finding(CheckConfickerP2P, NotDetected, "", "4b.no-signal", "no signal: no Conficker P2P peer answered on the derived ports (clean, or the ports are filtered, the address is NATed or the host's clock is off)", ev)
	}
	return r.finding(CheckConfickerP2P, Error, "", "4b.error", "the P2P probe failed: "+pr.Error, ev)
}
