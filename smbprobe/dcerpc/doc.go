// Package dcerpc is the client side of connection-oriented DCE/RPC (C706 chapter 12 and
// MS-RPCE section 2.2) as carried over an SMB named pipe: it encodes bind, alter_context and
// request PDUs (fragmenting large requests) and decodes bind_ack, bind_nak, response and fault
// PDUs (reassembling fragmented responses). The server direction exists only in the tests, as
// the round-trip oracle: the lab (package smblab) parses and builds its PDUs with its own code
// on purpose, so that it stays an independent check of this package's encoders.
//
// Only the little-endian, ASCII, IEEE data representation (drep 10 00 00 00) is spoken: every
// Windows and Samba peer uses it, and the NDR stubs in package srvsvc assume it.
//
// Decoders never trust a length from the wire: the header is validated once (frag_length within
// the buffer, auth_length within the fragment) before any body field is read.
package dcerpc
