package smbclient

import (
	"context"
	"fmt"
	"io"

	"github.com/scan445/scan445/smbprobe/ntstatus"
	"github.com/scan445/scan445/smbprobe/smb1"
)

// Access masks and options of NT_CREATE_ANDX.
const (
	// pipeAccess is what Windows clients ask for on an RPC pipe: read and write data and
	// attributes, EAs, READ_CONTROL and SYNCHRONIZE (0x0002019F).
	pipeAccess = 0x0002019F
	// fileGenericRead is FILE_GENERIC_READ: READ_CONTROL | SYNCHRONIZE | FILE_READ_DATA |
	// FILE_READ_EA | FILE_READ_ATTRIBUTES.
	fileGenericRead = 0x00120089
	// fileNonDirectory is FILE_NON_DIRECTORY_FILE in CreateOptions.
	fileNonDirectory = 0x00000040
)

// TreeConnect connects path (`\\host\IPC$`, `\\host\ADMIN$`) with the session's credentials.
// A refusal is a returned status other than STATUS_SUCCESS with a nil error; the service
// string is what the server announced (attacker controlled).
func (c *SMB1) TreeConnect(ctx context.Context, path string) (ntstatus.Status, string, error) {
	req := smb1.TreeConnectRequest{Password: []byte{0}, Path: path, Service: smb1.ServiceAny}
	m, err := c.exchange(ctx, "smb1.tree-connect", "TREE_CONNECT_ANDX "+path, smb1.CmdTreeConnectAndX, req.Encode)
	if err != nil {
		return 0, "", err
	}
	st := m.Header.Status
	if st != ntstatus.Success {
		return st, "", nil
	}
	c.tid = m.Header.TID
	svc := ""
	if resp, derr := smb1.DecodeTreeConnectResponse(m); derr == nil {
		svc = resp.Service
	}
	return st, svc, nil
}

// TreeDisconnect releases the connected tree (SMB_COM_TREE_DISCONNECT on the client's TID)
// and returns the reply's status. On STATUS_SUCCESS the client has no tree any more (TID 0):
// a later request needs a new TreeConnect. A refusal leaves the TID as it was, since the
// server may still hold the tree. It does nothing without a tree.
func (c *SMB1) TreeDisconnect(ctx context.Context) (ntstatus.Status, error) {
	if c.tid == 0 {
		return 0, nil
	}
	m, err := c.exchange(ctx, "smb1.tree-disconnect", fmt.Sprintf("TREE_DISCONNECT TID 0x%04x", c.tid), smb1.CmdTreeDisconnect, smb1.TreeDisconnectRequest{}.Encode)
	if err != nil {
		return 0, err
	}
	st := m.Header.Status
	if st == ntstatus.Success {
		c.tid = 0
	}
	return st, nil
}

// Opened is the server's answer to NT_CREATE_ANDX.
type Opened struct {
	Status ntstatus.Status
	Resp   smb1.NTCreateResponse // when Status is STATUS_SUCCESS
}

func (c *SMB1) create(ctx context.Context, req smb1.NTCreateRequest) (Opened, error) {
	m, err := c.exchange(ctx, "smb1.nt-create", "NT_CREATE_ANDX "+req.FileName, smb1.CmdNTCreateAndX, req.Encode)
	if err != nil {
		return Opened{}, err
	}
	o := Opened{Status: m.Header.Status}
	if o.Status != ntstatus.Success {
		return o, nil
	}
	if o.Resp, err = smb1.DecodeNTCreateResponse(m); err != nil {
		return o, fmt.Errorf("%w: %v", ErrProtocol, err)
	}
	return o, nil
}

// OpenPipe opens the named pipe name (`srvsvc`, `winreg`, without `\PIPE\`) on the connected
// IPC$ tree. A refusal is an Opened with an error status and a nil error.
func (c *SMB1) OpenPipe(ctx context.Context, name string) (Opened, error) {
	return c.create(ctx, smb1.NTCreateRequest{
		DesiredAccess: pipeAccess, ShareAccess: smb1.ShareRead | smb1.ShareWrite,
		CreateDisposition: smb1.DispositionOpen, ImpersonationLevel: smb1.ImpersonationImpersonation,
		FileName: `\` + name,
	})
}

// OpenRead opens an existing file (path relative to the tree, e.g. `system32\netapi32.dll`)
// for reading only, sharing read, write and delete with other openers.
func (c *SMB1) OpenRead(ctx context.Context, path string) (Opened, error) {
	return c.create(ctx, smb1.NTCreateRequest{
		DesiredAccess: fileGenericRead, ExtFileAttributes: smb1.AttrNormal,
		ShareAccess:       smb1.ShareRead | smb1.ShareWrite | smb1.ShareDelete,
		CreateDisposition: smb1.DispositionOpen, CreateOptions: fileNonDirectory,
		ImpersonationLevel: smb1.ImpersonationImpersonation,
		FileName:           `\` + path,
	})
}

// ReadAt reads up to len(p) bytes (at most 0xFFFF) of fid at off with one READ_ANDX.
// STATUS_END_OF_FILE is io.EOF; another refusal is returned as the ntstatus.Status error.
func (c *SMB1) ReadAt(ctx context.Context, fid uint16, p []byte, off int64) (int, error) {
	if len(p) > 0xFFFF {
		p = p[:0xFFFF]
	}
	data, st, err := c.read(ctx, fid, uint64(off), uint16(len(p)))
	if err != nil {
		return 0, err
	}
	switch st {
	case ntstatus.Success:
	case ntstatus.EndOfFile:
		return 0, io.EOF
	default:
		return 0, st
	}
	if len(data) > len(p) {
		return 0, fmt.Errorf("%w: READ_ANDX returned %d bytes for %d", ErrProtocol, len(data), len(p))
	}
	return copy(p, data), nil
}

// read is one READ_ANDX; the data is decoded for STATUS_SUCCESS and STATUS_BUFFER_OVERFLOW.
func (c *SMB1) read(ctx context.Context, fid uint16, off uint64, n uint16) ([]byte, ntstatus.Status, error) {
	req := smb1.ReadRequest{FID: fid, Offset: off, MaxCount: n, MinCount: n}
	m, err := c.exchange(ctx, "smb1.read", fmt.Sprintf("READ_ANDX FID 0x%04x, offset %d, %d bytes", fid, off, n), smb1.CmdReadAndX, req.Encode)
	if err != nil {
		return nil, 0, err
	}
	st := m.Header.Status
	if st != ntstatus.Success && st != ntstatus.BufferOverflow {
		return nil, st, nil
	}
	resp, err := smb1.DecodeReadResponse(m)
	if err != nil {
		return nil, st, fmt.Errorf("%w: %v", ErrProtocol, err)
	}
	return append([]byte(nil), resp.Data...), st, nil
}

// Write writes data to fid at off with one WRITE_ANDX and returns the count the server
// says it wrote; a refusal is returned as the ntstatus.Status error.
func (c *SMB1) Write(ctx context.Context, fid uint16, data []byte, off int64) (int, error) {
	req := smb1.WriteRequest{FID: fid, Offset: uint64(off), Data: data}
	m, err := c.exchange(ctx, "smb1.write", fmt.Sprintf("WRITE_ANDX FID 0x%04x, offset %d, %d bytes", fid, off, len(data)), smb1.CmdWriteAndX, req.Encode)
	if err != nil {
		return 0, err
	}
	if st := m.Header.Status; st != ntstatus.Success {
		return 0, st
	}
	resp, err := smb1.DecodeWriteResponse(m)
	if err != nil {
		return 0, fmt.Errorf("%w: %v", ErrProtocol, err)
	}
	if int(resp.Count) > len(data) {
		return 0, fmt.Errorf("%w: WRITE_ANDX wrote %d bytes of %d", ErrProtocol, resp.Count, len(data))
	}
	return int(resp.Count), nil
}

// Transact writes one message to the pipe fid and returns the whole reply message
// (TransactNmPipe, then READ_ANDX while the server says STATUS_BUFFER_OVERFLOW). A refusal is
// returned as the ntstatus.Status error.
func (c *SMB1) Transact(ctx context.Context, fid uint16, msg []byte) ([]byte, error) {
	req := smb1.TransactNmPipeRequest(fid, msg, c.PipeMaxData())
	m, err := c.exchange(ctx, "smb1.transaction", fmt.Sprintf("TRANSACTION TransactNmPipe FID 0x%04x, %d bytes", fid, len(msg)), smb1.CmdTransaction, req.Encode)
	if err != nil {
		return nil, err
	}
	st := m.Header.Status
	if st != ntstatus.Success && st != ntstatus.BufferOverflow {
		return nil, st
	}
	resp, err := smb1.DecodeTransactionResponse(m)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrProtocol, err)
	}
	out := append([]byte(nil), resp.Data...)
	if st == ntstatus.BufferOverflow {
		more, err := c.ReadPipe(ctx, fid)
		if err != nil {
			return nil, err
		}
		out = append(out, more...)
	}
	if len(out) > MaxFrame {
		return nil, fmt.Errorf("%w: pipe message over %d bytes", ErrProtocol, MaxFrame)
	}
	return out, nil
}

// ReadPipe reads the next message of the pipe fid (the next fragment of a multi-fragment
// reply), in as many READ_ANDX as the server answers STATUS_BUFFER_OVERFLOW to.
func (c *SMB1) ReadPipe(ctx context.Context, fid uint16) ([]byte, error) {
	var out []byte
	for {
		b, st, err := c.read(ctx, fid, 0, c.PipeMaxData())
		if err != nil {
			return nil, err
		}
		if st != ntstatus.Success && st != ntstatus.BufferOverflow {
			return nil, st
		}
		if len(b) == 0 {
			return nil, fmt.Errorf("%w: empty pipe read", ErrProtocol)
		}
		out = append(out, b...)
		if len(out) > MaxFrame {
			return nil, fmt.Errorf("%w: pipe message over %d bytes", ErrProtocol, MaxFrame)
		}
		if st != ntstatus.BufferOverflow {
			return out, nil
		}
	}
}

// PeekNamedPipe is the MS17-010 probe (docs/checks.md §5): TRANSACTION PeekNamedPipe on fid
// with every count 0 and MaxParameter/MaxData 0xFFFF. It returns the reply's status.
func (c *SMB1) PeekNamedPipe(ctx context.Context, fid uint16) (ntstatus.Status, error) {
	m, err := c.exchange(ctx, "smb1.peek-named-pipe",
		fmt.Sprintf(`TRANSACTION PeekNamedPipe (setup 0x0023) FID %d, all counts 0, MaxParameter/MaxData 0xFFFF, name \PIPE\`, fid),
		smb1.CmdTransaction, smb1.PeekNamedPipeRequest(fid).Encode)
	if err != nil {
		return 0, err
	}
	return m.Header.Status, nil
}

// Close closes fid and returns the reply's status.
func (c *SMB1) Close(ctx context.Context, fid uint16) (ntstatus.Status, error) {
	m, err := c.exchange(ctx, "smb1.close", fmt.Sprintf("CLOSE FID 0x%04x", fid), smb1.CmdClose,
		smb1.CloseRequest{FID: fid, LastTimeModified: 0xFFFFFFFF}.Encode)
	if err != nil {
		return 0, err
	}
	return m.Header.Status, nil
}

// Logoff ends the session, which also releases its trees and files (no TREE_DISCONNECT or
// CLOSE needed). It does nothing without a session.
func (c *SMB1) Logoff(ctx context.Context) (ntstatus.Status, error) {
	if c.uid == 0 {
		return 0, nil
	}
	m, err := c.exchange(ctx, "smb1.logoff", "LOGOFF_ANDX", smb1.CmdLogoffAndX, smb1.LogoffRequest{}.Encode)
	if err != nil {
		return 0, err
	}
	c.uid = 0
	return m.Header.Status, nil
}
