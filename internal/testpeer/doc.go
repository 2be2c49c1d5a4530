// Package testpeer is shared test scaffolding: gating on external peers (Samba, nmap,
// impacket, ...), a private loopback smbd per test, an impacket SimpleSMBServer per test with
// srvsvc answers chosen by mode (impacket_smbserver.py, embedded), an nmap runner that parses
// -oX output, and annotated-hex fixtures.
//
// It is imported only from _test.go files; nothing in the scanner links it.
package testpeer
