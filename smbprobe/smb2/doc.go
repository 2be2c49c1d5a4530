// Package smb2 is the client side of SMB 2/3 (MS-SMB2): it encodes requests and decodes
// responses, for the scanner's SMB2 path (NEGOTIATE, SESSION_SETUP, IPC$, srvsvc); the lab
// uses only its signing functions. The server direction (request decoders, response
// encoders) exists only in the tests, as the round-trip oracle: the lab (package smblab)
// builds and parses its SMB2 messages with its own code on purpose, so that it stays an
// independent check of this package's encoders.
//
// A message is a 64-byte header followed by a command body. Request types expose
// EncodeBody (bytes after the header), responses a DecodeXxx function taking the body; the
// offsets SMB2 carries on the wire are relative to the start of the header, and since a
// body always begins HeaderSize bytes after its header both directions can work on the
// body alone. DecodeMessage splits a (possibly compound) message into PDUs; Build and Compound
// put them back together. Signing (HMAC-SHA256, AES-CMAC, the SP800-108 KDF and the
// 3.1.1 pre-authentication integrity hash) lives in sign.go and cmac.go.
//
// Nothing here reads from or writes to the network; NetBIOS framing is package netbios's.
package smb2
