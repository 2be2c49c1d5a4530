// Package srvsvc marshals the NDR stubs of the srvsvc (MS-SRVS) calls scan445 makes and its lab
// server answers: NetrServerGetInfo, NetrRemoteTOD, NetprPathCanonicalize, NetprPathCompare and
// NetprNameCanonicalize, in both directions (request and response, encode and decode).
//
// Stubs are NDR 2.0, little-endian, aligned relative to the start of the stub (which the
// DCE/RPC request/response header leaves 8-aligned in the PDU). Package dcerpc carries them.
//
// PathReachesOverflow is the safety gate for every path this project sends: see its comment.
package srvsvc
