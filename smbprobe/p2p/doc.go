// Package p2p speaks just enough of Conficker's (variant C and later) peer-to-peer protocol to
// tell an infected host from a clean one without touching its SMB service (docs/checks.md §4b).
//
// An infected host listens on two TCP and two UDP ports derived from its IPv4 address and the
// current week ([Ports]). [Probe] sends each port an encrypted hello and verifies the reply's
// checksum; [Responder] is the other side, for the lab and for tests.
package p2p
