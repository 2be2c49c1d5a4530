// Package dcerpc encodes and decodes connection-oriented DCE/RPC PDUs (C706 chapter 12 and
// MS-RPCE section 2.2) as carried over an SMB named pipe: bind, alter_context, their acks and
// naks, request, response and fault, plus fragmentation in both directions.
//
// Only the little-endian, ASCII, IEEE data representation (drep 10 00 00 00) is spoken: every
// Windows and Samba peer uses it, and the NDR stubs in package srvsvc assume it.
//
// Decoders never trust a length from the wire: the header is validated once (frag_length within
// the buffer, auth_length within the fragment) before any body field is read.
package dcerpc
