package org.harness.textkit;

/** Caesar cipher over ASCII letters; everything else is kept as it is. */
public class Caesar {
    private Caesar() {
    }

    public static String encode(String text, int shift) {
        if (text == null) {
            throw new IllegalArgumentException("text must not be null");
        }
        int k = Math.floorMod(shift, 26);
        StringBuilder out = new StringBuilder(text.length());
        for (char c : text.toCharArray()) {
            if (c >= 'a' && c <= 'z') {
                out.append((char) ('a' + (c - 'a' + k) % 26));
            } else if (c >= 'A' && c <= 'Z') {
                out.append((char) ('A' + (c - 'A' + k) % 26));
            } else {
                out.append(c);
            }
        }
        return out.toString();
    }

    public static String decode(String text, int shift) {
        return encode(text, -shift);
    }
}
