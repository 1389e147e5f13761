package intmath

import "testing"

func TestGCD(t *testing.T) {
	cases := []struct{ a, b, want int }{{12, 18, 6}, {-4, 6, 2}, {4, -6, 2}, {7, 0, 7}, {0, 0, 0}}
	for _, c := range cases {
		if got := GCD(c.a, c.b); got != c.want {
			t.Errorf("GCD(%d, %d) = %d, want %d", c.a, c.b, got, c.want)
		}
	}
}

func TestLCM(t *testing.T) {
	if got := LCM(4, 6); got != 12 {
		t.Errorf("LCM(4, 6) = %d, want 12", got)
	}
	if got := LCM(-3, 5); got != 15 {
		t.Errorf("LCM(-3, 5) = %d, want 15", got)
	}
	if got := LCM(0, 9); got != 0 {
		t.Errorf("LCM(0, 9) = %d, want 0", got)
	}
}

func TestIsPrime(t *testing.T) {
	primes := map[int]bool{-7: false, 0: false, 1: false, 2: true, 9: false, 13: true, 25: false, 97: true}
	for n, want := range primes {
		if got := IsPrime(n); got != want {
			t.Errorf("IsPrime(%d) = %v, want %v", n, got, want)
		}
	}
}

func TestFactorial(t *testing.T) {
	if f, err := Factorial(5); err != nil || f != 120 {
		t.Errorf("Factorial(5) = %d, %v", f, err)
	}
	if f, err := Factorial(0); err != nil || f != 1 {
		t.Errorf("Factorial(0) = %d, %v", f, err)
	}
	if _, err := Factorial(-1); err != ErrNegative {
		t.Errorf("Factorial(-1) error = %v, want ErrNegative", err)
	}
	if _, err := Factorial(21); err == nil {
		t.Error("Factorial(21) should overflow")
	}
}
