package org.harness.textkit;

import java.util.ArrayList;
import java.util.List;
import java.util.NoSuchElementException;

/** A stack of integers that refuses to grow past its capacity. */
public class BoundedStack {
    private final int capacity;
    private final List<Integer> items = new ArrayList<>();

    public BoundedStack(int capacity) {
        if (capacity <= 0) {
            throw new IllegalArgumentException("capacity must be positive");
        }
        this.capacity = capacity;
    }

    public void push(int value) {
        if (isFull()) {
            throw new IllegalStateException("stack is full");
        }
        items.add(value);
    }

    public int pop() {
        if (isEmpty()) {
            throw new NoSuchElementException("stack is empty");
        }
        return items.remove(items.size() - 1);
    }

    public int peek() {
        if (isEmpty()) {
            throw new NoSuchElementException("stack is empty");
        }
        return items.get(items.size() - 1);
    }

    public int size() {
        return items.size();
    }

    public boolean isEmpty() {
        return items.isEmpty();
    }

    public boolean isFull() {
        return items.size() == capacity;
    }
}
