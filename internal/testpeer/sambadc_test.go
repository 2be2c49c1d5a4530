package testpeer

import (
	"fmt"
	"testing"
)

func TestWithProtocol(t *testing.T) {
	const conf = "# Global parameters\n[global]\n\tserver max protocol = SMB3\n\tworkgroup = S3D\n\tserver min protocol = SMB2_02\n[sysvol]\n\tpath = /x\n"
	tests := []struct {
		mode SMB1Mode
		want string
	}{
		{SMB1Off, "# Global parameters\n[global]\n\tworkgroup = S3D\n[sysvol]\n\tpath = /x\n"},
		{SMB1On, "# Global parameters\n[global]\n\tserver min protocol = NT1\n\tworkgroup = S3D\n[sysvol]\n\tpath = /x\n"},
		{SMB1Only, "# Global parameters\n[global]\n\tserver min protocol = NT1\n\tserver max protocol = NT1\n\tworkgroup = S3D\n[sysvol]\n\tpath = /x\n"},
	}
	for _, tt := range tests {
		if got := withProtocol(conf, tt.mode); got != tt.want {
			t.Errorf("mode %d:\n%q\nwant\n%q", tt.mode, got, tt.want)
		}
		// Switching back and forth leaves the same text.
		if got := withProtocol(withProtocol(conf, SMB1Only), tt.mode); got != tt.want {
			t.Errorf("mode %d after SMB1Only:\n%q", tt.mode, got)
		}
	}
}

func TestParseDCAccounts(t *testing.T) {
	tests := []struct {
		in      string
		want    string
		wantErr bool
	}{
		{"Administrator 0 0\ns3dstrong 2 0\n\nlocked 4 134090000000000000\n", "map[Administrator:{0 0} locked:{4 134090000000000000} s3dstrong:{2 0}]", false},
		{"", "", true},
		{"a 1\n", "", true},
		{"a x 0\n", "", true},
	}
	for _, tt := range tests {
		got, err := parseDCAccounts([]byte(tt.in))
		if (err != nil) != tt.wantErr || (err == nil && fmt.Sprint(got) != tt.want) {
			t.Errorf("%q: %v, %v; want %s (error %v)", tt.in, got, err, tt.want, tt.wantErr)
		}
	}
}
