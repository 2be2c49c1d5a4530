// Package smb2 encodes and decodes SMB 2/3 messages (MS-SMB2) in both directions: the
// scanner's client side (NEGOTIATE and SESSION_SETUP for fingerprinting) and the lab's
// emulated Windows server (enough of every command for nmap, impacket and go-smb2).
//
// A message is a 64-byte header followed by a command body. Body types expose
// MarshalBody (bytes after the header) and a DecodeXxx function taking the body; the
// offsets SMB2 carries on the wire are relative to the start of the header, and since a
// body always begins HeaderSize bytes after its header both directions can work on the
// body alone. Parse splits a (possibly compound) message into PDUs; Build and Compound
// put them back together. Signing (HMAC-SHA256, AES-CMAC, the SP800-108 KDF and the
// 3.1.1 pre-authentication integrity hash) lives in sign.go and cmac.go.
//
// Nothing here reads from or writes to the network; NetBIOS framing is package netbios's.
package smb2
