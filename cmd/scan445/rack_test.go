package main

import (
	"context"
	"net"
	"net/netip"
	"testing"
	"time"

	"github.com/scan445/scan445/smbprobe/smblab"
)

// startRack serves the whole default lab from first on a port that is free on first (the lab
// binds that port on each of its addresses), and stops it when the test ends. Each test
// passes its own 127.x block so that parallel packages never collide.
func startRack(t *testing.T, first string) (*smblab.Lab, int) {
	t.Helper()
	ln, err := net.Listen("tcp", net.JoinHostPort(first, "0"))
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	ctx, cancel := context.WithCancel(context.Background())
	lab, err := smblab.Start(ctx, smblab.Options{First: netip.MustParseAddr(first), Port: port, IdleTimeout: 10 * time.Second})
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	t.Cleanup(func() { lab.Close(); cancel() })
	return lab, port
}
