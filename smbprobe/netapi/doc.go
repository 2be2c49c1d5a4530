// Package netapi judges MS08-067 from the file version of %SystemRoot%\system32\netapi32.dll
// (docs/checks.md §3b): [ParseVersion] reads the version resource of a PE file through an
// io.ReaderAt, fetching only the headers and the resource bytes it needs, and [Judge] compares
// the version with the fix of its own servicing branch.
package netapi
