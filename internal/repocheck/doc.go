// Package repocheck holds no code: its tests hold the repository to its own rules. The wire
// fixtures under the packages' testdata directories must be bytes of the real captures in
// testdata/pcaps, at the frames their header lines name (they are cut out by
// scripts/extract-fixture.sh; testdata/README.md says where each capture comes from), and every
// exported name of a non-main package must have a doc comment.
package repocheck
