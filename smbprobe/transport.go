package smbprobe

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"time"

	"github.com/scan445/scan445/smbprobe/netbios"
	"github.com/scan445/scan445/smbprobe/smbclient"
)

// PortDirect and PortNetBIOS are the two SMB ports: direct TCP (MS-SMB2 2.1) and the NetBIOS
// session service (RFC 1001/1002), which Windows 2000-2003 hosts behind a host firewall often
// leave open when 445 is closed.
const (
	PortDirect  uint16 = 445
	PortNetBIOS uint16 = 139
)

// ErrSessionRefused means every NetBIOS called name was refused on port 139, or the server
// retargeted us somewhere we do not follow.
var ErrSessionRefused = errors.New("smbprobe: NetBIOS session refused")

// Transport readies a freshly dialled connection to carry SMB session messages. Both
// transports frame SMB identically afterwards; they differ in what happens before the first
// SMB message.
type Transport interface {
	// Name says which transport carried the probe, for the report.
	Name() string
	// Open returns a connection ready for SMB messages. It owns conn: on error conn is closed.
	// dial (may be nil) opens a new connection to the same host and port, for a retry.
	Open(ctx context.Context, conn net.Conn, addr netip.AddrPort, dial DialFunc, timeout time.Duration) (net.Conn, error)
}

// Direct is SMB over TCP port 445: the first packet is already an SMB message.
type Direct struct{}

// Name implements Transport.
func (Direct) Name() string { return "direct TCP" }

// Open implements Transport: nothing to do.
func (Direct) Open(_ context.Context, conn net.Conn, _ netip.AddrPort, _ DialFunc, _ time.Duration) (net.Conn, error) {
	return conn, nil
}

// maxNBSSAttempts bounds the SESSION REQUESTs one Open sends (names times retargets), so a
// server answering retarget after retarget cannot keep a worker.
const maxNBSSAttempts = 4

// NBSS is SMB over the NetBIOS session service (TCP 139): a SESSION REQUEST names the server
// before any SMB message. It tries Names in order (a negative response closes the connection,
// so each further name costs a new one) and follows a RETARGET only to the same address:
// going elsewhere would probe a host the user did not list.
type NBSS struct {
	// Names are the called names to try; empty means *SMBSERVER only.
	Names []string
	// Calling is our name; empty means "SCAN445".
	Calling string
	// OnAttempt, if set, is told about each SESSION REQUEST (called name) and its outcome.
	OnAttempt func(called, outcome string, d time.Duration)
}

// Name implements Transport.
func (NBSS) Name() string { return "NetBIOS session service" }

// Open implements Transport.
func (t NBSS) Open(ctx context.Context, conn net.Conn, addr netip.AddrPort, dial DialFunc, timeout time.Duration) (net.Conn, error) {
	names := t.Names
	if len(names) == 0 {
		names = []string{netbios.SMBServerName}
	}
	calling := t.Calling
	if calling == "" {
		calling = "SCAN445"
	}
	var why []string
	target := addr
	for attempt, i := 0, 0; i < len(names); attempt++ {
		if attempt == maxNBSSAttempts {
			break
		}
		if conn == nil {
			if dial == nil {
				break
			}
			c, err := dial(ctx, "tcp", target.String())
			if err != nil {
				return nil, fmt.Errorf("%w: %v", ErrNotSent, err)
			}
			conn = c
		}
		t0 := time.Now()
		resp, err := sessionRequest(ctx, conn, names[i], calling, timeout)
		if err != nil {
			conn.Close()
			t.report(names[i], err.Error(), t0)
			return nil, err
		}
		switch resp.Type {
		case netbios.TypePositiveResponse:
			t.report(names[i], "positive session response", t0)
			return conn, nil
		case netbios.TypeNegativeResponse:
			conn.Close()
			conn = nil
			msg := fmt.Sprintf("%s: %s", names[i], netbios.CodeText(resp.Code))
			t.report(names[i], "negative session response: "+netbios.CodeText(resp.Code), t0)
			why = append(why, msg)
			i++
		case netbios.TypeRetargetResponse:
			conn.Close()
			conn = nil
			t.report(names[i], "retarget to "+resp.Retarget.String(), t0)
			if resp.Retarget.Addr() != addr.Addr().Unmap() {
				return nil, fmt.Errorf("%w: %s retargets to %s, another host; not followed", ErrSessionRefused, addr, resp.Retarget)
			}
			target = resp.Retarget
			why = append(why, fmt.Sprintf("%s: retarget to %s", names[i], resp.Retarget))
		}
	}
	if conn != nil {
		conn.Close()
	}
	return nil, fmt.Errorf("%w: %v", ErrSessionRefused, why)
}

func (t NBSS) report(called, outcome string, t0 time.Time) {
	if t.OnAttempt != nil {
		t.OnAttempt(called, outcome, time.Since(t0))
	}
}

// sessionRequest sends one SESSION REQUEST and reads the answer under one deadline.
func sessionRequest(ctx context.Context, conn net.Conn, called, calling string, timeout time.Duration) (netbios.SessionResponse, error) {
	req, err := netbios.SessionRequest(called, calling)
	if err != nil {
		return netbios.SessionResponse{}, fmt.Errorf("%w: %v", ErrNotSent, err)
	}
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()
	d := time.Now().Add(timeout)
	if cd, ok := ctx.Deadline(); ok && cd.Before(d) {
		d = cd
	}
	if err := conn.SetDeadline(d); err != nil {
		return netbios.SessionResponse{}, fmt.Errorf("%w: %w", ErrNotSent, smbclient.Classify(ctx, err))
	}
	if _, err := conn.Write(req); err != nil {
		return netbios.SessionResponse{}, fmt.Errorf("%w: %w", ErrNotSent, smbclient.Classify(ctx, err))
	}
	for {
		typ, payload, err := netbios.ReadFrame(conn, 64)
		if err != nil {
			return netbios.SessionResponse{}, smbclient.Classify(ctx, err)
		}
		if typ == netbios.TypeKeepAlive {
			continue
		}
		resp, err := netbios.DecodeSessionResponse(typ, payload)
		if err != nil {
			return resp, fmt.Errorf("%w: %v", ErrProtocol, err)
		}
		return resp, nil
	}
}

// TransportFor is the transport a port implies: the NetBIOS session service on 139, direct
// TCP anywhere else (445 and the lab's test ports).
func TransportFor(port uint16) Transport {
	if port == PortNetBIOS {
		return NBSS{}
	}
	return Direct{}
}

// open readies a fresh connection with the probe's transport, recording each NetBIOS session
// request as an Exchange (direct TCP records nothing: it sends nothing). Further connections
// for another called name go through the engine's dialer and count as connections.
func (r *run) open(ctx context.Context, conn net.Conn) (net.Conn, error) {
	t, ok := r.tr.(NBSS)
	if !ok {
		return r.tr.Open(ctx, conn, r.addr, r.redial, r.opts.ReadTimeout)
	}
	t.OnAttempt = func(called, outcome string, d time.Duration) {
		r.res.Exchanges = append(r.res.Exchanges, Exchange{Step: "nbss.session-request", Class: ClassSafe,
			Request: clean("NetBIOS SESSION REQUEST for called name " + called), Status: clean(outcome), Millis: d.Milliseconds()})
	}
	var dial DialFunc
	if r.redial != nil {
		dial = func(ctx context.Context, network, address string) (net.Conn, error) {
			c, err := r.redial(ctx, network, address)
			if err == nil {
				r.res.Connections++
			}
			return c, err
		}
	}
	return t.Open(ctx, conn, r.addr, dial, r.opts.ReadTimeout)
}
