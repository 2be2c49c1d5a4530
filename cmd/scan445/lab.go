package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/netip"
	"os"
	"os/signal"
	"sort"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/scan445/scan445/smbprobe/smblab"
)

// labCommand serves the emulated Windows rack on loopback until SIGINT/SIGTERM.
func labCommand(env *environment) *cli.Command {
	return &cli.Command{
		Name:  "lab",
		Usage: "serve emulated Windows hosts (XP, 2000, 2003, Vista, 7, 2012 R2, infected, hostile) on loopback",
		Description: joinLines(
			"Host i listens on --listen + i (127.0.0.x on Linux: every 127/8 address is local).",
			"The map printed at start says, per address, the personality and what a correct",
			"scanner must conclude. Unpatched hosts \"crash\" on an MS08-067 overflow-reaching",
			"path: the lab logs CRASH <addr> <request> and the address refuses connections for",
			"--crash-downtime. Only loopback addresses are accepted.",
			"--scanners/--clients also run simulated Conficker scanners and ordinary clients",
			"(sensor/simulate) for the sensor, `scan445 watch`; see the README.",
		),
		Flags: append([]cli.Flag{
			&cli.StringFlag{Name: "listen", Value: "127.0.0.1", Usage: "first host's address (127.0.0.0/8)"},
			&cli.IntFlag{Name: "port", Value: 4445, Usage: "TCP port every host listens on"},
			&cli.IntFlag{Name: "netbios-port", Usage: "also serve SMB over the NetBIOS session service on this port (139 needs root); 0: off"},
			&cli.IntFlag{Name: "hosts", Usage: "number of hosts (default: one per personality)"},
			&cli.StringFlag{Name: "map-json", Usage: "also write the host map as JSON to `FILE`"},
			&cli.StringFlag{Name: "crash-log", Usage: "append CRASH lines to `FILE` (default: stderr)"},
			&cli.DurationFlag{Name: "crash-downtime", Value: 30 * time.Second, Usage: "how long a crashed host stays down"},
		}, simFlags()...),
		Action: func(c *cli.Context) error {
			first, err := netip.ParseAddr(c.String("listen"))
			if err != nil {
				return usagef("--listen: %v", err)
			}
			n := c.Int("hosts")
			if n < 0 {
				return usagef("--hosts must be positive")
			}
			if n == 0 {
				n = len(smblab.DefaultPersonalities())
			}
			if _, err := smblab.HostAddrs(first, n); err != nil {
				return usagef("--listen/--hosts: %v", err)
			}
			port := c.Int("port")
			if port < 1 || port > 65535 {
				return usagef("--port %d: want 1..65535", port)
			}
			nbPort := c.Int("netbios-port")
			if nbPort < 0 || nbPort > 65535 || nbPort == port {
				return usagef("--netbios-port %d: want 1..65535 and not --port, or 0", nbPort)
			}
			if c.Duration("crash-downtime") <= 0 {
				return usagef("--crash-downtime must be positive")
			}
			sim, err := planSimulation(c, first)
			if err != nil {
				return err
			}
			var crashLog io.Writer = env.stderr
			if name := c.String("crash-log"); name != "" {
				f, err := os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
				if err != nil {
					return usagef("--crash-log: %v", err)
				}
				defer f.Close()
				crashLog = f
			}
			ctx, stop := signal.NotifyContext(c.Context, os.Interrupt, syscall.SIGTERM)
			defer stop()
			if d := c.Duration("duration"); d > 0 {
				var cancel context.CancelFunc
				ctx, cancel = context.WithTimeout(ctx, d)
				defer cancel()
			}
			lab, err := smblab.Start(ctx, smblab.Options{
				First: first, Port: port, Hosts: n, NetBIOSPort: nbPort,
				CrashDowntime: c.Duration("crash-downtime"), CrashLog: crashLog,
			})
			if err != nil {
				return cli.Exit(fmt.Sprintf("lab: %v", err), exitIncomplete)
			}
			hosts := lab.Hosts()
			if name := c.String("map-json"); name != "" {
				b, err := json.MarshalIndent(hosts, "", "  ")
				if err == nil {
					err = os.WriteFile(name, append(b, '\n'), 0o644)
				}
				if err != nil {
					lab.Close()
					return cli.Exit(fmt.Sprintf("lab: --map-json: %v", err), exitIncomplete)
				}
			}
			printLabMap(env.stdout, hosts)
			fmt.Fprintf(env.stdout, "lab: %d hosts up; Ctrl-C to stop\n", len(hosts))
			waitSim := func() {}
			if sim != nil {
				waitSim = sim.start(ctx, env.stdout, hosts)
			}
			<-ctx.Done()
			waitSim() // the simulated hosts stop before the lab they may be talking to
			if err := lab.Close(); err != nil {
				fmt.Fprintf(env.stderr, "lab: %v\n", err)
			}
			fmt.Fprintf(env.stdout, "lab: stopped after %d crashes\n", len(lab.Crashes()))
			return nil
		},
	}
}

// printLabMap prints address → personality → expected verdicts, one host per line.
func printLabMap(w io.Writer, hosts []smblab.Host) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ADDRESS\tPERSONALITY\tEXPECTED VERDICTS")
	for _, h := range hosts {
		keys := make([]string, 0, len(h.Truth))
		for k := range h.Truth {
			keys = append(keys, k)
		}
		sort.Slice(keys, func(i, j int) bool { return checkOrder(keys[i]) < checkOrder(keys[j]) })
		parts := make([]string, 0, len(keys))
		for _, k := range keys {
			parts = append(parts, k+"="+string(h.Truth[k]))
		}
		extra := ""
		if len(h.P2PTCP) > 0 {
			extra = fmt.Sprintf(" (P2P tcp %v udp %v)", h.P2PTCP, h.P2PUDP)
		}
		if h.Account != nil {
			// What the credentialed checks conclude with the lab's account.
			var cred []string
			if h.CredTruth != "" {
				cred = append(cred, smblab.CheckMS08067+"="+string(h.CredTruth))
			}
			if h.RegTruth != "" {
				cred = append(cred, smblab.CheckAutorun+"="+string(h.RegTruth))
			}
			if len(cred) > 0 {
				extra += fmt.Sprintf(" (with --user %s: %s)", h.Account.User, strings.Join(cred, " "))
			}
		}
		fmt.Fprintf(tw, "%s\t%s\t%s%s\n", h.AddrPort(), h.Personality, strings.Join(parts, " "), extra)
	}
	tw.Flush()
}

func checkOrder(id string) int {
	for i, c := range smblab.Checks() {
		if c == id {
			return i
		}
	}
	return 99
}
