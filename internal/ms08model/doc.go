// Package ms08model is a second, independent model of the netapi32 routine behind MS08-067:
// the in-place path canonicalisation that, on unpatched Windows, scans backwards past the
// start of its stack buffer (CHECKS.md §0).
//
// It exists as an oracle for the safety gate (srvsvc.PathReachesOverflow): the gate decides
// what scan445 may send, and a gate checked only against itself proves nothing. This package is
// written apart from the gate, as a literal transliteration of the published decompilation
// (Alexander Sotirov, "Decompiling MS08-067", 2008; the XP SP3 routine) over a simulated
// memory: the path sits in a buffer with guard cells on both sides, C pointers are indices into
// that memory, and wcscpy is an explicit cell-by-cell copy. Any access to a guard cell stops the
// routine and is reported: a read before the buffer is the out-of-bounds read that crashes
// unpatched hosts. Nothing here matches strings.
//
// The lab's crash detector uses it, the wire-level safety test checks every string scan445
// puts on the wire with it, and a differential fuzz test holds the gate to it (the gate may be
// more conservative, never less). A future sensor that watches traffic for exploit attempts
// can reuse it as is.
package ms08model
