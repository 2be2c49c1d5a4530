// Package repocheck holds no code: its tests hold the repository to its own rules. The wire
// fixtures under the packages' testdata directories are bytes of the real captures in
// testdata/pcaps, at the frames their header lines name (scripts/extract-fixture.sh cuts them
// out; testdata/README.md says where each capture comes from); every exported name of a
// non-main package has a doc comment; the wire packages say Encode/Decode; the README's check
// table names exactly smbprobe's checks and its layout table matches the tree; and every
// "docs/checks.md §N" citation names a section that exists.
package repocheck
