package main

import (
	"slices"
	"testing"

	"github.com/scan445/scan445/smbprobe"
)

// TestUserAddsCredentialedChecks: with --user, the default selection gains autorun-enabled;
// an explicit list is taken as written.
func TestUserAddsCredentialedChecks(t *testing.T) {
	for _, tc := range []struct {
		spec string
		def  bool
	}{{"", true}, {"safe", true}, {" ALL ", true}, {"default", true}, {"ms08-067", false}, {"autorun-enabled", false}, {"none", false}} {
		if got := defaultSelection(tc.spec); got != tc.def {
			t.Errorf("defaultSelection(%q) = %v", tc.spec, got)
		}
	}
	got := smbprobe.WithCredentialed(smbprobe.DefaultChecks())
	if !slices.Contains(got, smbprobe.CheckAutorun) || len(got) != len(smbprobe.DefaultChecks())+1 || slices.Contains(smbprobe.DefaultChecks(), smbprobe.CheckAutorun) {
		t.Errorf("WithCredentialed(defaults) = %v", got)
	}
	if got := smbprobe.WithCredentialed([]string{smbprobe.CheckMS17010}); !slices.Equal(got, []string{smbprobe.CheckMS17010, smbprobe.CheckAutorun}) {
		t.Errorf("WithCredentialed(ms17-010) = %v", got)
	}
}
