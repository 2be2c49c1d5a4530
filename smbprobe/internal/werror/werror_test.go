package werror

import "testing"

func TestSpellings(t *testing.T) {
	tests := []struct {
		w                    WERROR
		name, str, nameFirst string
	}{
		{InvalidName, "WERR_INVALID_NAME", "0x0000007b (WERR_INVALID_NAME)", "WERR_INVALID_NAME (0x0000007b)"},
		{FileNotFound, "WERR_FILE_NOT_FOUND", "0x00000002 (WERR_FILE_NOT_FOUND)", "WERR_FILE_NOT_FOUND (0x00000002)"},
		{NerrBufTooSmall, "NERR_BufTooSmall", "0x0000084b (NERR_BufTooSmall)", "NERR_BufTooSmall (0x0000084b)"},
		{NoSystemResources, "WERR_NO_SYSTEM_RESOURCES", "0x000005aa (WERR_NO_SYSTEM_RESOURCES)", "WERR_NO_SYSTEM_RESOURCES (0x000005aa)"},
		{WERROR(0x1234), "", "0x00001234", "0x00001234"},
	}
	for _, tt := range tests {
		if got := tt.w.Name(); got != tt.name {
			t.Errorf("%#x Name() = %q, want %q", uint32(tt.w), got, tt.name)
		}
		if got := tt.w.String(); got != tt.str {
			t.Errorf("%#x String() = %q, want %q", uint32(tt.w), got, tt.str)
		}
		if got := tt.w.NameFirst(); got != tt.nameFirst {
			t.Errorf("%#x NameFirst() = %q, want %q", uint32(tt.w), got, tt.nameFirst)
		}
	}
}
