package ringbuf

import (
	"reflect"
	"testing"
)

func TestPushPopInOrder(t *testing.T) {
	r := New(3)
	r.Push(1)
	r.Push(2)
	if r.Len() != 2 || r.Cap() != 3 {
		t.Fatalf("Len/Cap = %d/%d, want 2/3", r.Len(), r.Cap())
	}
	for _, want := range []int{1, 2} {
		got, err := r.Pop()
		if err != nil || got != want {
			t.Fatalf("Pop() = %d, %v; want %d", got, err, want)
		}
	}
	if _, err := r.Pop(); err != ErrEmpty {
		t.Fatalf("Pop() on empty = %v, want ErrEmpty", err)
	}
}

func TestPushOverwritesOldest(t *testing.T) {
	r := New(2)
	if r.Push(1) || r.Push(2) {
		t.Fatal("no value should be dropped before the ring is full")
	}
	if !r.Push(3) {
		t.Fatal("Push on a full ring should drop a value")
	}
	if got := r.Values(); !reflect.DeepEqual(got, []int{2, 3}) {
		t.Fatalf("Values() = %v, want [2 3]", got)
	}
}

func TestNewPanicsOnBadSize(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Fatal("New(0) should panic")
		}
	}()
	New(0)
}
