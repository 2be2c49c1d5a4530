// Package samr marshals the read-only MS-SAMR calls the weak-password audit makes and the lab
// answers: SamrConnect, SamrConnect2, SamrConnect5, SamrCloseHandle,
// SamrEnumerateDomainsInSamServer, SamrLookupDomainInSamServer, SamrOpenDomain,
// SamrQueryInformationDomain (password and lockout classes) and SamrEnumerateUsersInDomain,
// in both directions (request and response, encode and decode).
//
// Nothing here can change a SAM database. Request is a sealed interface: only the types of
// this file set implement it, every one of them has an opnum in ReadOnlyOpnums, and the
// access masks they ask for are read rights (see ServerWriteAccess, DomainWriteAccess). A test holds all three.
//
// Stubs are NDR 2.0, little-endian, aligned relative to the start of the stub; package dcerpc
// carries them. The encodings are held byte for byte against what impacket 0.10 sent to and
// Samba 4 answered on the \samr pipe (testdata/*.hex).
package samr
