// Package smbclient is the one SMB client of scan445: the connection (Link: NetBIOS framing,
// a deadline on every exchange, ErrNotSent when a request was not completely written), our
// SMB1 client (SMB1: negotiate, anonymous / NTLMv2 / basic-security null logon, tree connect,
// pipe and file open, read, write, pipe transact, PeekNamedPipe, close, logoff, MS-CIFS
// signing), go-smb2 behind a frame guard for SMB2/3 (Guard), and DCE/RPC over a named pipe
// on an authenticated session of either family (OpenSession, Session.OpenPipe, Bind,
// RPC.Call).
//
// The prober (package smbprobe) and the credentialed netapi32.dll check (package credcheck)
// both speak SMB1 through it. The client records nothing itself: every exchange is reported
// to the caller's OnExchange callback (step, request in words, bytes sent and received,
// status, error, time), from which the prober builds its evidence and credcheck its steps.
//
// Refusals by the server are data: a status in a result, or an error that is (or wraps) the
// ntstatus.Status, a *RefusedError naming the stage. Failures of the exchange itself wrap
// ErrTimeout, ErrDropped, ErrProtocol or ErrNotSent.
//
// Safety: the authenticated-session API refuses to open the pipes that carry srvsvc (\srvsvc,
// \browser) and to bind srvsvc, before anything is sent. Every srvsvc request this project
// sends goes through the prober's plan and safety gate (smbprobe/rpc.go), which uses the SMB1
// client's low-level pipe operations, never Session.OpenPipe or Bind.
package smbclient
