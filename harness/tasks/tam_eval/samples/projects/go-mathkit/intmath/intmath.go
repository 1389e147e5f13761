// Package intmath holds small integer helpers.
package intmath

import "errors"

// ErrNegative is returned for negative inputs where they make no sense.
var ErrNegative = errors.New("intmath: negative input")

// GCD returns the greatest common divisor of a and b (always >= 0).
func GCD(a, b int) int {
	if a < 0 {
		a = -a
	}
	if b < 0 {
		b = -b
	}
	for b != 0 {
		a, b = b, a%b
	}
	return a
}

// LCM returns the least common multiple of a and b; LCM(0, x) is 0.
func LCM(a, b int) int {
	if a == 0 || b == 0 {
		return 0
	}
	l := a / GCD(a, b) * b
	if l < 0 {
		return -l
	}
	return l
}

// IsPrime reports whether n is a prime number.
func IsPrime(n int) bool {
	if n < 2 {
		return false
	}
	for d := 2; d*d <= n; d++ {
		if n%d == 0 {
			return false
		}
	}
	return true
}

// Factorial returns n! for 0 <= n <= 20.
func Factorial(n int) (int64, error) {
	if n < 0 {
		return 0, ErrNegative
	}
	if n > 20 {
		return 0, errors.New("intmath: factorial overflows int64")
	}
	var f int64 = 1
	for i := 2; i <= n; i++ {
		f *= int64(i)
	}
	return f, nil
}
