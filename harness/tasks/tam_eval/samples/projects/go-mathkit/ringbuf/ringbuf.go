// Package ringbuf is a fixed-size ring buffer of ints that overwrites its oldest element when full.
package ringbuf

import "errors"

// ErrEmpty is returned by Pop on an empty buffer.
var ErrEmpty = errors.New("ringbuf: empty")

// Ring holds up to Cap() values.
type Ring struct {
	data  []int
	start int
	n     int
}

// New returns a ring of the given capacity; it panics when size < 1.
func New(size int) *Ring {
	if size < 1 {
		panic("ringbuf: size must be at least 1")
	}
	return &Ring{data: make([]int, size)}
}

// Cap is the capacity.
func (r *Ring) Cap() int { return len(r.data) }

// Len is the number of values held.
func (r *Ring) Len() int { return r.n }

// Push appends v, dropping the oldest value when the ring is full. It reports whether a value was dropped.
func (r *Ring) Push(v int) bool {
	end := (r.start + r.n) % len(r.data)
	r.data[end] = v
	if r.n == len(r.data) {
		r.start = (r.start + 1) % len(r.data)
		return true
	}
	r.n++
	return false
}

// Pop removes and returns the oldest value.
func (r *Ring) Pop() (int, error) {
	if r.n == 0 {
		return 0, ErrEmpty
	}
	v := r.data[r.start]
	r.start = (r.start + 1) % len(r.data)
	r.n--
	return v, nil
}

// Values returns the held values, oldest first.
func (r *Ring) Values() []int {
	out := make([]int, 0, r.n)
	for i := 0; i < r.n; i++ {
		out = append(out, r.data[(r.start+i)%len(r.data)])
	}
	return out
}
