// Package credcheck is the credentialed, definitive MS08-067 check (docs/checks.md §3b): with an
// administrator account it logs on with NTLMv2, reads the version resource of
// ADMIN$\system32\netapi32.dll (only the bytes the PE parser asks for) and judges the file
// version within its servicing branch with netapi.Judge.
//
// Two transports, both through package smbclient: [ReadNetapiVersionSMB2] drives go-smb2
// behind smbclient's frame guard (Vista/2008 and later, Samba), and [ReadNetapiVersionSMB1]
// uses smbclient's SMB1 client (the prober's) for XP/2000/2003, which speak nothing else; its
// steps are built from the client's exchange reports. Both return an [Outcome]: a verdict with evidence, or `unknown`
// with a typed [Reason] when the server refused (logon failure, access denied, no ADMIN$,
// file missing) or the file could not be parsed. Those refusals are data, not Go errors; the
// error result is non-nil only when the exchange itself failed (timeout, dropped connection,
// protocol violation, unusable credentials).
//
// [ReadNetapiVersionSession] is either read that leaves its logged-on session open (an
// smbclient.Session) for the prober's registry read, so one connection and one logon serve
// both; after a refused logon it hands back nothing, so no caller can try a second one.
//
// Secrets: [Credentials] formats, logs and marshals with the password and hash redacted, and
// no error of this package quotes them.
package credcheck
