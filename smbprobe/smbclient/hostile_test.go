package smbclient

import (
	"context"
	"errors"
	"io"
	"net"
	"testing"
	"time"

	"github.com/scan445/scan445/internal/testpeer"
	"github.com/scan445/scan445/smbprobe/netbios"
	"github.com/scan445/scan445/smbprobe/smb1"
)

// TestHostileServers: a server that stalls, trickles, resets or talks nonsense ends an
// exchange within the link's deadline with an error of the right kind; after a failure of the
// connection itself the link refuses to send more (ErrNotSent: the host never saw it).
func TestHostileServers(t *testing.T) {
	reply := func(c net.Conn, b []byte) {
		netbios.ReadFrame(c, 1<<16)
		netbios.WriteFrame(c, b)
		io.Copy(io.Discard, c)
	}
	otherMID := smb1.NewMessage(smb1.Header{Command: smb1.CmdTreeConnectAndX, Flags: smb1.FlagsReply, MID: 99}, nil, nil).Encode()
	type hostile struct {
		name  string
		serve func(net.Conn)
		want  error
		// frame-level failures break the link; a well-framed wrong reply does not (the
		// connection still carries messages, as the probe relies on)
		alive bool
	}
	want := map[string]error{"silent": ErrTimeout, "trickle": ErrTimeout, "hangup": ErrDropped, "huge-length": ErrProtocol, "garbage": ErrProtocol}
	var cases []hostile
	for _, h := range testpeer.HostileServers() {
		cases = append(cases, hostile{h.Name, h.Serve, want[h.Name], h.Name == "garbage"})
	}
	cases = append(cases, []hostile{
		{"other-mid", func(c net.Conn) { reply(c, otherMID) }, ErrProtocol, true},
		{"smb2-to-smb1", func(c net.Conn) { reply(c, append([]byte("\xfeSMB"), make([]byte, 60)...)) }, ErrProtocol, true},
		{"netbios-type", func(c net.Conn) {
			netbios.ReadFrame(c, 1<<16)
			c.Write([]byte{0x82, 0, 0, 0})
			io.Copy(io.Discard, c)
		}, ErrProtocol, false},
	}...)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cli, srv := net.Pipe()
			defer srv.Close()
			go tc.serve(srv)
			l := NewLink(context.Background(), cli, 500*time.Millisecond)
			defer l.Close()
			var got []Exchange
			c := NewSMB1(l, func(x Exchange) { got = append(got, x) })
			start := time.Now()
			_, _, err := c.TreeConnect(context.Background(), `\\127.0.0.1\IPC$`)
			if el := time.Since(start); el > 3*time.Second {
				t.Errorf("took %v with a 500 ms deadline", el)
			}
			if !errors.Is(err, tc.want) {
				t.Fatalf("err %v, want %v", err, tc.want)
			}
			if len(got) != 1 || got[0].Step != "smb1.tree-connect" || got[0].Err == nil || got[0].Sent == nil {
				t.Errorf("reported %+v", got)
			}
			if c.Usable(context.Background()) != tc.alive {
				t.Errorf("link usable %t, want %t", !tc.alive, tc.alive)
			}
			if tc.alive {
				return
			}
			if _, err := c.Logoff(context.Background()); err != nil {
				t.Errorf("logoff without a session sent something: %v", err)
			}
			c.uid = 1
			if _, err := c.Logoff(context.Background()); !errors.Is(err, ErrNotSent) {
				t.Errorf("request after the failure: %v, want ErrNotSent", err)
			}
		})
	}
}

// TestContextEndsExchange: cancelling the link's context ends a blocked read at once.
func TestContextEndsExchange(t *testing.T) {
	cli, srv := net.Pipe()
	defer srv.Close()
	go io.Copy(io.Discard, srv)
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(100*time.Millisecond, cancel)
	l := NewLink(ctx, cli, time.Hour)
	defer l.Close()
	start := time.Now()
	_, err := NewSMB1(l, nil).Negotiate(ctx, []string{smb1.DialectNTLM012})
	if !errors.Is(err, ErrTimeout) || time.Since(start) > 3*time.Second {
		t.Fatalf("err %v after %v", err, time.Since(start))
	}
	if _, err := NewSMB1(l, nil).Negotiate(ctx, []string{smb1.DialectNTLM012}); !errors.Is(err, ErrNotSent) {
		t.Fatalf("second request: %v", err)
	}
}
