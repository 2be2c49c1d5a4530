// Package capture is the dark-address half of `scan445 watch`: it reads an interface with an
// AF_PACKET socket and reports every TCP connection attempt (SYN set, ACK clear) to the SMB
// ports, saying whether it was aimed at a dark address — one inside the prefixes the admin
// declared unused (--dark) that nobody has been seen answering for.
//
// Library: github.com/mdlayher/packet opens the AF_PACKET socket (pure Go over
// golang.org/x/sys/unix, no cgo, no libpcap) and attaches the kernel filter before bind(2), so
// not one unfiltered frame is queued; golang.org/x/net/bpf assembles that filter (filter.go)
// and runs it in tests on crafted frames. gopacket was not chosen: its pcap backend needs cgo
// and its layer decoders are far more than the four fixed headers read here. The filter keeps
// only what the sensor uses, so a busy mirror port costs the process almost nothing:
//
//   - IPv4 TCP (directly on Ethernet or behind one 802.1Q tag), not fragmented, with SYN
//     set and ACK clear to a watched port (a connection attempt) or SYN and ACK both set from
//     a watched port (an answer: that address is live);
//   - ARP replies (an address that answers ARP is live).
//
// Every frame is decoded again in Go with bounds-checked decoders (decode.go, fuzzed): the
// kernel filter is a cost cut, not a trust boundary.
//
// Dark addresses are the --dark prefixes minus the addresses seen answering: a SYN-ACK from a
// watched port, or an ARP reply, with that source address. The sensor's own answers do not
// count (a frame this host sends from an address it holds: the addresses `watch --listen`
// answers on are dark too), while answers it forwards as a router do. Because a live server's SYN-ACK
// follows the client's SYN, a SYN to a not-yet-answering address is held for Options.Grace
// (default 2 s) before it is called dark; an answer within that time makes it (and every later
// SYN to that address) not dark. Answers are only seen where the interface carries both
// directions (the sensor itself, a router's interface, a mirror port); on a one-way tap every
// unanswered address of the prefixes counts as dark. A TCP retransmission (same addresses,
// ports and initial sequence number within 30 s) is one attempt, not several.
//
// Opening the socket needs CAP_NET_RAW; without it Run returns ErrNeedCapNetRaw
// (= sensor.ErrNoCapability).
//
// Where to place it: on the interface the dark prefixes are routed to. Route an unused /24
// (or a few unused addresses) of each LAN to the sensor host and let it drop them (`ip route
// add blackhole 10.1.9.0/24` on the sensor; `ip route add 10.1.9.0/24 via SENSOR` on the
// router); the SYNs still cross the interface and are seen here. On a switch mirror port, set
// Promiscuous and give the LAN's unused prefixes: answers from live hosts cross the mirror too.
package capture
