// Package captures holds no code: its test proves that the wire fixtures under the packages'
// testdata directories are bytes of the real captures in the repository's testdata/pcaps, at
// the frames their header lines name. The fixtures are cut from the captures by
// scripts/extract-fixture.sh; testdata/README.md lists where each capture comes from.
package captures
