package org.harness.textkit;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import java.util.NoSuchElementException;
import org.junit.Test;

public class BoundedStackTest {
    @Test
    public void pushThenPopIsLastInFirstOut() {
        BoundedStack stack = new BoundedStack(3);
        stack.push(1);
        stack.push(2);
        assertEquals(2, stack.peek());
        assertEquals(2, stack.pop());
        assertEquals(1, stack.pop());
        assertTrue(stack.isEmpty());
    }

    @Test
    public void refusesToGrowPastCapacity() {
        BoundedStack stack = new BoundedStack(1);
        stack.push(7);
        assertTrue(stack.isFull());
        assertEquals(1, stack.size());
        assertThrows(IllegalStateException.class, () -> stack.push(8));
    }

    @Test
    public void emptyStackThrows() {
        BoundedStack stack = new BoundedStack(2);
        assertFalse(stack.isFull());
        assertThrows(NoSuchElementException.class, stack::pop);
        assertThrows(NoSuchElementException.class, stack::peek);
    }

    @Test
    public void capacityMustBePositive() {
        assertThrows(IllegalArgumentException.class, () -> new BoundedStack(0));
    }
}
