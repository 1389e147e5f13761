// Package units formats byte counts for humans.
package units

import "fmt"

var iec = []string{"B", "KiB", "MiB", "GiB", "TiB"}

// FormatBytes renders n with binary (IEC) prefixes and one decimal, e.g. 1536 -> "1.5 KiB".
// Negative counts keep their sign; counts under 1024 are printed as whole bytes.
func FormatBytes(n int64) string {
	sign := ""
	if n < 0 {
		sign = "-"
		n = -n
	}
	if n < 1024 {
		return fmt.Sprintf("%s%d B", sign, n)
	}
	value := float64(n)
	unit := 0
	for value >= 1024 && unit < len(iec)-1 {
		value /= 1024
		unit++
	}
	return fmt.Sprintf("%s%.1f %s", sign, value, iec[unit])
}
