// Package simulate plays the two kinds of host a Conficker sensor must tell apart, for tests,
// benchmarks and the demo (`scan445 lab --scanners N --clients M`):
//
//   - scanners, which behave like Conficker: connect to random addresses of a range on TCP/445
//     a few times a second and, on every address that answers, set up an SMB1 null session,
//     connect IPC$, open \browser (then \srvsvc), bind srvsvc and call NetprPathCanonicalize
//     with a path that reaches the MS08-067 overflow;
//   - ordinary clients, each of which keeps using one server: one SMB session, IPC$, a srvsvc
//     bind and a benign NetrServerGetInfo, again every ClientInterval.
//
// Safety. The exploit path crashes an unpatched Windows host (a filler path, no shellcode: the
// bytes are 'A's, but the overflow itself is the damage), so CheckTargets refuses any run whose
// range or servers reach beyond 127.0.0.0/8 unless the process runs in a network namespace
// other than PID 1's — one a test or a bench made, whose only links it built. The exploit stub
// has its own encoder (exploit.go), apart from package srvsvc's: the scanner's safety gate
// (srvsvc.PathReachesOverflow) keeps refusing this path, and a test says so.
//
// The SMB side is built from the scanner's wire encoders (smb1, dcerpc, srvsvc, netbios).
// Each scanner binds its own source address (Options.Sources), so a sensor sees N sources.
package simulate
