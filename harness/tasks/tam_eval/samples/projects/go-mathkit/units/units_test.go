package units

import "testing"

func TestFormatBytes(t *testing.T) {
	cases := map[int64]string{
		0:                       "0 B",
		1023:                    "1023 B",
		1024:                    "1.0 KiB",
		1536:                    "1.5 KiB",
		5 * 1024 * 1024:         "5.0 MiB",
		-2048:                   "-2.0 KiB",
		3 << 40:                 "3.0 TiB",
		2048 * (int64(1) << 40): "2048.0 TiB",
	}
	for n, want := range cases {
		if got := FormatBytes(n); got != want {
			t.Errorf("FormatBytes(%d) = %q, want %q", n, got, want)
		}
	}
}
