package smblab

import (
	"encoding/hex"
	"testing"

	"github.com/scan445/scan445/smbprobe/internal/utf16le"
	"github.com/scan445/scan445/smbprobe/ntstatus"
)

// TestSMB1TreeDisconnect: TREE_DISCONNECT ends the tree and every open on it, as Windows
// does. Afterwards the TID is refused for every use (STATUS_SMB_BAD_TID, a second disconnect
// included) and the file opened on it is gone, while the session itself still connects a new
// tree. The steps run in order on one session.
func TestSMB1TreeDisconnect(t *testing.T) {
	p := personality(t, "xp-sp3-patched")
	s := adminSession(&p)
	treeReq, _ := hex.DecodeString(xpAdminTreeReq)
	const tid, fid = 0x0801, 0x0802 // the first ids the session grants: the tree, then the file
	name := `system32\netapi32.dll`
	create := smb1TestRequest(smbNTCreateAndX, tid, createWords(name), append([]byte{0}, utf16le.EncodeZ(name)...))
	read := smb1TestRequest(smbReadAndX, tid, readWords(fid, 0, 64), nil)
	disconnect := smb1TestRequest(smbTreeDisconnect, tid, nil, nil)
	for _, step := range []struct {
		name   string
		msg    []byte
		status ntstatus.Status
		trees  int // trees held after the step
		files  int // opens held after the step
	}{
		{"connect ADMIN$", treeReq, ntstatus.Success, 1, 0},
		{"open netapi32.dll", create, ntstatus.Success, 1, 1},
		{"read", read, ntstatus.Success, 1, 1},
		{"disconnect", disconnect, ntstatus.Success, 0, 0},
		{"read on the released tree", read, ntstatus.SMBBadTID, 0, 0},
		{"open on the released tree", create, ntstatus.SMBBadTID, 0, 0},
		{"disconnect again", disconnect, ntstatus.SMBBadTID, 0, 0},
		{"connect ADMIN$ anew", treeReq, ntstatus.Success, 1, 0},
	} {
		replies, act := s.handle(step.msg)
		if len(replies) != 1 || act.close || act.crash != "" {
			t.Fatalf("%s: %d replies, action %+v", step.name, len(replies), act)
		}
		r := replies[0]
		if st := ntstatus.Status(le.Uint32(r[5:])); st != step.status {
			t.Errorf("%s: %v, want %v", step.name, st, step.status)
		}
		if r[4] != step.msg[4] {
			t.Errorf("%s: reply command 0x%02x", step.name, r[4])
		}
		if len(s.trees) != step.trees || len(s.files) != step.files {
			t.Errorf("%s: %d trees and %d opens held, want %d and %d", step.name, len(s.trees), len(s.files), step.trees, step.files)
		}
	}
	if len(s.trees) == 1 {
		for id := range s.trees {
			if id == tid {
				t.Errorf("the new tree reuses the released TID 0x%04x", id)
			}
		}
	}
}
