// Package sensor finds Conficker-infected hosts by their own TCP/445 traffic, the way the
// monitoring sensors behind JPCERT/CC alert AT-2009-0002 did: every connection attempt a source
// makes to the sensor (Listener) or, from sensor/capture, every SYN it sends to an address
// nobody holds, is an Observation; the Tracker keeps per-source numbers in bounded memory and
// turns them into findings (conficker-scanning, ms08-067-exploit-attempt) in the report
// package's format.
//
// Data flows one way: cmd → sensor → smbprobe/smblab (the listener answers SMB with the lab's
// server code), results → report. The sensor never sends anything to a source: it only
// answers what the source sent it.
//
//	go test ./sensor/
//	go test -run '^$' -fuzz FuzzListener -fuzztime 20s ./sensor/
package sensor
