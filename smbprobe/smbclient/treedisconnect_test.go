package smbclient

import (
	"bytes"
	"context"
	"errors"
	"net"
	"path/filepath"
	"testing"
	"time"

	"github.com/scan445/scan445/internal/testpeer"
	"github.com/scan445/scan445/smbprobe/netbios"
	"github.com/scan445/scan445/smbprobe/ntstatus"
	"github.com/scan445/scan445/smbprobe/smb1"
)

// scriptedSMB1 answers each request read from srv with reply(request) (nil: hang up) and
// sends every request it read to got.
func scriptedSMB1(srv net.Conn, got chan<- []byte, reply func(req []byte) []byte) {
	defer srv.Close()
	for {
		_, req, err := netbios.ReadFrame(srv, 1<<16)
		if err != nil {
			return
		}
		got <- req
		b := reply(req)
		if b == nil {
			return
		}
		if netbios.WriteFrame(srv, b) != nil {
			return
		}
	}
}

// TestSMB1TreeDisconnect: TreeDisconnect sends exactly the golden TREE_DISCONNECT (the
// message Windows XP sends, with our header ids) on the client's TID; a success leaves the
// client without a tree, a refusal keeps the TID (the server may still hold the tree), a
// reply that does not answer the request is ErrProtocol, and without a tree nothing is sent.
func TestSMB1TreeDisconnect(t *testing.T) {
	golden := testpeer.ReadHex(t, filepath.Join("testdata", "golden-smb1-tree-disconnect-request.hex"))
	xp := testpeer.ReadHex(t, filepath.Join("..", "smb1", "testdata", "xp_treedisconnect_req.hex"))[4:] // without the NetBIOS header
	if !bytes.Equal(golden[smb1.HeaderLen:], xp[smb1.HeaderLen:]) || golden[4] != xp[4] {
		t.Fatalf("the golden request's command and body differ from XP's:\n%x\n%x", golden, xp)
	}
	answer := func(st ntstatus.Status, cmd byte) func([]byte) []byte {
		return func(req []byte) []byte {
			h, err := smb1.DecodeHeader(req)
			if err != nil {
				return nil
			}
			return smb1.NewMessage(smb1.Header{Command: cmd, Status: st, Flags: smb1.FlagsReply, TID: h.TID, UID: h.UID, MID: h.MID}, nil, nil).Encode()
		}
	}
	for _, tc := range []struct {
		name    string
		tid     uint16
		reply   func([]byte) []byte
		status  ntstatus.Status
		err     error
		sent    bool
		tidNext uint16
	}{
		{"released", 0x0802, answer(ntstatus.Success, smb1.CmdTreeDisconnect), ntstatus.Success, nil, true, 0},
		{"bad-tid", 0x0802, answer(ntstatus.SMBBadTID, smb1.CmdTreeDisconnect), ntstatus.SMBBadTID, nil, true, 0x0802},
		{"other-command", 0x0802, answer(ntstatus.Success, smb1.CmdClose), 0, ErrProtocol, true, 0x0802},
		{"hang-up", 0x0802, func([]byte) []byte { return nil }, 0, ErrDropped, true, 0x0802},
		{"no-tree", 0, answer(ntstatus.Success, smb1.CmdTreeDisconnect), 0, nil, false, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cli, srv := net.Pipe()
			got := make(chan []byte, 4)
			go scriptedSMB1(srv, got, tc.reply)
			l := NewLink(context.Background(), cli, 2*time.Second)
			defer l.Close()
			var steps []Exchange
			c := NewSMB1(l, func(x Exchange) { steps = append(steps, x) })
			c.uid, c.tid = 0x0800, tc.tid
			st, err := c.TreeDisconnect(context.Background())
			if st != tc.status || !errors.Is(err, tc.err) || (tc.err == nil) != (err == nil) {
				t.Fatalf("status %v err %v, want %v %v", st, err, tc.status, tc.err)
			}
			if c.TID() != tc.tidNext {
				t.Errorf("TID after: 0x%04x, want 0x%04x", c.TID(), tc.tidNext)
			}
			l.Close()
			var reqs [][]byte
			for done := false; !done; {
				select {
				case r := <-got:
					reqs = append(reqs, r)
				case <-time.After(200 * time.Millisecond):
					done = true
				}
			}
			if !tc.sent {
				if len(reqs) != 0 || len(steps) != 0 {
					t.Errorf("without a tree: sent %x, reported %v", reqs, steps)
				}
				return
			}
			if len(reqs) != 1 || !bytes.Equal(reqs[0], golden) {
				t.Errorf("sent %x\nwant %x", reqs, golden)
			}
			if len(steps) != 1 || steps[0].Step != "smb1.tree-disconnect" || steps[0].Request != "TREE_DISCONNECT TID 0x0802" {
				t.Errorf("reported %+v", steps)
			}
		})
	}
}
