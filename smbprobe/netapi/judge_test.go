package netapi

import "testing"

func TestJudge(t *testing.T) {
	v := func(a, b, c, d uint16) FileVersion { return FileVersion{a, b, c, d} }
	for _, tc := range []struct {
		in     FileVersion
		branch string
		fixed  FileVersion
		want   Status
	}{
		// 2000 SP4
		{v(5, 0, 2195, 7202), "2000 SP4", v(5, 0, 2195, 7203), Vulnerable},
		{v(5, 0, 2195, 7203), "2000 SP4", v(5, 0, 2195, 7203), Patched},
		{v(5, 0, 2195, 6601), "2000 SP4", v(5, 0, 2195, 7203), Vulnerable},
		// XP SP2 (and older): below the SP3 base build 5512
		{v(5, 1, 2600, 3461), "XP SP2", v(5, 1, 2600, 3462), Vulnerable},
		{v(5, 1, 2600, 3462), "XP SP2", v(5, 1, 2600, 3462), Patched},
		{v(5, 1, 2600, 2180), "XP SP2", v(5, 1, 2600, 3462), Vulnerable}, // SP2 RTM
		{v(5, 1, 2600, 5511), "XP SP2", v(5, 1, 2600, 3462), Patched},    // last SP2-range revision
		// XP SP3: the SP boundary 5512, whose base build is above the SP2 fix but unfixed
		{v(5, 1, 2600, 5512), "XP SP3", v(5, 1, 2600, 5694), Vulnerable},
		{v(5, 1, 2600, 5693), "XP SP3", v(5, 1, 2600, 5694), Vulnerable},
		{v(5, 1, 2600, 5694), "XP SP3", v(5, 1, 2600, 5694), Patched},
		{v(5, 1, 2600, 6260), "XP SP3", v(5, 1, 2600, 5694), Patched}, // MS12-054
		// 2003 SP1 / XP x64 RTM
		{v(5, 2, 3790, 3228), "2003 SP1/XP x64 RTM", v(5, 2, 3790, 3229), Vulnerable},
		{v(5, 2, 3790, 3229), "2003 SP1/XP x64 RTM", v(5, 2, 3790, 3229), Patched},
		{v(5, 2, 3790, 3958), "2003 SP1/XP x64 RTM", v(5, 2, 3790, 3229), Patched},
		// 2003 SP2: base build 3959 is above the SP1 fix, yet unfixed
		{v(5, 2, 3790, 3959), "2003 SP2/XP x64 SP2", v(5, 2, 3790, 4392), Vulnerable},
		{v(5, 2, 3790, 4391), "2003 SP2/XP x64 SP2", v(5, 2, 3790, 4392), Vulnerable},
		{v(5, 2, 3790, 4392), "2003 SP2/XP x64 SP2", v(5, 2, 3790, 4392), Patched},
		{v(5, 2, 3790, 5030), "2003 SP2/XP x64 SP2", v(5, 2, 3790, 4392), Patched}, // MS12-054
		// Vista RTM GDR / LDR
		{v(6, 0, 6000, 16763), "Vista RTM GDR", v(6, 0, 6000, 16764), Vulnerable},
		{v(6, 0, 6000, 16764), "Vista RTM GDR", v(6, 0, 6000, 16764), Patched},
		{v(6, 0, 6000, 19999), "Vista RTM GDR", v(6, 0, 6000, 16764), Patched},
		{v(6, 0, 6000, 20000), "Vista RTM LDR", v(6, 0, 6000, 20937), Vulnerable},
		{v(6, 0, 6000, 20936), "Vista RTM LDR", v(6, 0, 6000, 20937), Vulnerable},
		{v(6, 0, 6000, 20937), "Vista RTM LDR", v(6, 0, 6000, 20937), Patched},
		// Vista SP1 / 2008 RTM GDR / LDR: an unpatched LDR build is above the GDR fix
		{v(6, 0, 6001, 18156), "Vista SP1/2008 RTM GDR", v(6, 0, 6001, 18157), Vulnerable},
		{v(6, 0, 6001, 18157), "Vista SP1/2008 RTM GDR", v(6, 0, 6001, 18157), Patched},
		{v(6, 0, 6001, 18000), "Vista SP1/2008 RTM GDR", v(6, 0, 6001, 18157), Vulnerable}, // SP1 RTM
		{v(6, 0, 6001, 22000), "Vista SP1/2008 RTM LDR", v(6, 0, 6001, 22288), Vulnerable},
		{v(6, 0, 6001, 22287), "Vista SP1/2008 RTM LDR", v(6, 0, 6001, 22288), Vulnerable},
		{v(6, 0, 6001, 22288), "Vista SP1/2008 RTM LDR", v(6, 0, 6001, 22288), Patched},
		// Not affected
		{v(6, 0, 6002, 18005), "6.0.6002 and later", FileVersion{}, NotAffected},
		{v(6, 1, 7600, 16385), "6.0.6002 and later", FileVersion{}, NotAffected},
		{v(6, 1, 7601, 17514), "6.0.6002 and later", FileVersion{}, NotAffected},
		{v(6, 3, 9600, 16384), "6.0.6002 and later", FileVersion{}, NotAffected},
		{v(10, 0, 19041, 1), "6.0.6002 and later", FileVersion{}, NotAffected},
		// Outside every branch
		{v(6, 1, 6801, 0), "", FileVersion{}, Unknown}, // Windows 7 pre-beta (UNCONFIRMED affected)
		{v(6, 0, 5840, 0), "", FileVersion{}, Unknown}, // Vista beta
		{v(5, 1, 2505, 0), "", FileVersion{}, Unknown},
		{v(5, 2, 3718, 0), "", FileVersion{}, Unknown},
		{v(5, 0, 2194, 9999), "", FileVersion{}, Unknown},
		{v(4, 0, 1381, 0), "", FileVersion{}, Unknown},
		{v(0, 0, 0, 0), "", FileVersion{}, Unknown},
	} {
		j := Judge(tc.in)
		if j.Status != tc.want || j.Branch != tc.branch || j.FixedAt != tc.fixed || j.Version != tc.in {
			t.Errorf("Judge(%s) = %s %q fixed %s, want %s %q fixed %s", tc.in, j.Status, j.Branch, j.FixedAt, tc.want, tc.branch, tc.fixed)
		}
		if j.Rule == "" || j.Reason == "" {
			t.Errorf("Judge(%s): no rule/reason", tc.in)
		}
	}
}

// Every row of the table, both sides of its threshold and both ends of its revision range.
func TestJudgeEveryRow(t *testing.T) {
	rows := branches()
	if len(rows) != 9 {
		t.Fatalf("%d rows", len(rows))
	}
	for _, b := range rows {
		at := func(rev uint16) FileVersion { return FileVersion{b.major, b.minor, b.build, rev} }
		for rev, want := range map[uint16]Status{b.fixed - 1: Vulnerable, b.fixed: Patched, b.fixed + 1: Patched, b.revTo: Patched} {
			if j := Judge(at(rev)); j.Branch != b.name || j.Status != want {
				t.Errorf("%s rev %d: %s %s, want %s", b.name, rev, j.Branch, j.Status, want)
			}
		}
		if b.revFrom < b.fixed {
			if j := Judge(at(b.revFrom)); j.Status != Vulnerable || j.Branch != b.name {
				t.Errorf("%s base rev %d: %s %s", b.name, b.revFrom, j.Branch, j.Status)
			}
		}
	}
}

func TestFileVersionCompare(t *testing.T) {
	a, b := FileVersion{6, 0, 6001, 22000}, FileVersion{6, 0, 6001, 18157}
	if a.Compare(b) != 1 || b.Compare(a) != -1 || a.Compare(a) != 0 {
		t.Error("Compare")
	}
	if (FileVersion{5, 2, 0, 0}).Compare(FileVersion{5, 1, 9999, 9999}) != 1 || a.String() != "6.0.6001.22000" {
		t.Error("Compare/String")
	}
}
