// Package smbprobe fingerprints one SMB host and runs the scan445 checks on it, safely: one
// connection for the whole SMB1 path (NEGOTIATE, null session, IPC$, a pipe, srvsvc, the
// MS17-010 PeekNamedPipe, LOGOFF), a second only to tell an SMB2-preferring host's SMBv1
// support, and an explicit plan of every srvsvc request with a single chokepoint that refuses
// anything outside it (the intrusive MS08-067 probe unless Options.Intrusive).
//
// Each check ends in one Finding whose verdict comes from a pure rule over the facts the
// exchanges established (verdict.go), with the Exchange indexes and the rule id as evidence.
// A check that could not run is unknown with the reason, or error when the host broke the
// probe; never patched.
//
// The checks are one table (checks.go): each row is a check's metadata, what it needs from
// the session (SMB1, IPC$, a srvsvc pipe, credentials), the exchange steps it asks for, and
// its judge. The flow asks the table what to do; docs/checks.md is the reference the rules
// cite.
//
// SMB itself is spoken by package smbclient, the one SMB client of the project (the prober's
// SMB1 steps and the credentialed check share it): it reports each exchange to a callback, and
// this package builds its Exchange evidence from those reports. The srvsvc requests go through
// the plan and the chokepoint here, over the client's pipe transactions; smbclient's generic
// DCE/RPC layer refuses srvsvc.
//
// The wire packages below name their codecs one way: Encode (EncodeBody for SMB2 bodies)
// for what goes on the wire, Decode… for what comes off it; Parse… is for text a person
// typed (ParseChecks, dcerpc.ParseUUID, ntlmssp.ParseNTHash).
package smbprobe
