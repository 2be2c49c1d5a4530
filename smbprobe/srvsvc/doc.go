// Package srvsvc marshals the NDR stubs of the srvsvc (MS-SRVS) calls scan445 makes and its lab
// server answers: NetrServerGetInfo, NetrRemoteTOD, NetprPathCanonicalize, NetprPathCompare and
// NetprNameCanonicalize, in both directions (request and response, encode and decode).
//
// Unlike smb1, smb2 and dcerpc, whose server direction lives only in their tests, both
// directions here have a production caller: the scanner encodes requests and decodes
// answers, the lab (package smblab) decodes requests and encodes answers. The lab sharing
// these stubs is checked from both sides by code we did not write or that shares nothing with
// this package: impacket's and nmap's srvsvc clients against the lab, and
// internal/ms08model/wirecheck's own NDR reader over every byte the prober sends.
//
// Stubs are NDR 2.0, little-endian, aligned relative to the start of the stub (which the
// DCE/RPC request/response header leaves 8-aligned in the PDU). Package dcerpc carries them.
//
// PathReachesOverflow is the safety gate for every path this project sends: see its comment.
package srvsvc
