package org.harness.textkit;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertThrows;

import org.junit.Test;

public class CaesarTest {
    @Test
    public void encodesLowerAndUpperCase() {
        assertEquals("Khoor, Zruog!", Caesar.encode("Hello, World!", 3));
    }

    @Test
    public void wrapsAroundTheAlphabet() {
        assertEquals("abc", Caesar.encode("xyz", 3));
        assertEquals("XYZ", Caesar.encode("ABC", -3));
        assertEquals("abc", Caesar.encode("abc", 26 * 4));
    }

    @Test
    public void decodeInvertsEncode() {
        assertEquals("attack at dawn", Caesar.decode(Caesar.encode("attack at dawn", 11), 11));
    }

    @Test
    public void keepsNonLetters() {
        assertEquals("123 _-", Caesar.encode("123 _-", 5));
    }

    @Test
    public void rejectsNull() {
        assertThrows(IllegalArgumentException.class, () -> Caesar.encode(null, 1));
    }
}
