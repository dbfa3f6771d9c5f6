package io.iotmonitor.flink;

import java.io.Serializable;
import java.util.regex.Pattern;

/**
 * A shell-style glob ({@code *}, {@code ?}, {@code [...]} with {@code !} or {@code ^} to
 * negate), case-sensitive, matched against a whole device id.
 */
public final class Glob implements Serializable {
    private static final long serialVersionUID = 1L;

    public final String text;
    /** The literal characters before the first wildcard: every id it matches starts so. */
    public final String prefix;

    /** Null when it is its prefix and one {@code *}, as most are: no regex to run. */
    private final Pattern regex;

    private Glob(String text, String prefix, Pattern regex) {
        this.text = text;
        this.prefix = prefix;
        this.regex = regex;
    }

    public boolean matches(String deviceId) {
        return deviceId.startsWith(prefix) && (regex == null || regex.matcher(deviceId).matches());
    }

    /** The glob, or an {@link IllegalArgumentException} saying why it is none that can match. */
    public static Glob of(String text) {
        if (text.isEmpty()) {
            throw new IllegalArgumentException("the pattern is empty");
        }
        StringBuilder regex = new StringBuilder();
        int prefixEnd = -1;
        int shortest = 0;
        int i = 0;
        while (i < text.length()) {
            char c = text.charAt(i);
            if (c < 0x20 || Character.isSurrogate(c) && !validPair(text, i)) {
                throw new IllegalArgumentException(
                        "the pattern holds a character no device id can (control or lone surrogate)");
            }
            if (c == '*' || c == '?' || c == '[') {
                prefixEnd = prefixEnd < 0 ? i : prefixEnd;
            }
            if (c == '*') {
                regex.append(".*");
                i++;
            } else if (c == '?') {
                regex.append('.');
                shortest++;
                i++;
            } else if (c == '[') {
                int close = classEnd(text, i);
                String body = text.substring(i + 1, close);
                boolean negated = body.startsWith("!") || body.startsWith("^");
                String members = negated ? body.substring(1) : body;
                if (members.isEmpty()) {
                    throw new IllegalArgumentException("the pattern has an empty [] class");
                }
                regex.append(negated ? "[^" : "[");
                for (int m = 0; m < members.length(); m++) {
                    char member = members.charAt(m);
                    boolean range = member == '-' && m > 0 && m < members.length() - 1;
                    // A backslash before any ASCII sign makes it literal in a Java class.
                    if (!range && member < 0x80 && !Character.isLetterOrDigit(member)) {
                        regex.append('\\');
                    }
                    regex.append(member);
                }
                regex.append(']');
                shortest++;
                i = close + 1;
            } else {
                regex.append(Pattern.quote(String.valueOf(c)));
                shortest++;
                i++;
            }
        }
        if (shortest > EventValidation.MAX_DEVICE_ID_CHARS) {
            throw new IllegalArgumentException(
                    "the pattern matches only ids longer than "
                            + EventValidation.MAX_DEVICE_ID_CHARS
                            + " characters, which no device has");
        }
        String prefix = prefixEnd < 0 ? text : text.substring(0, prefixEnd);
        if (text.length() == prefix.length() + 1 && text.endsWith("*")) {
            return new Glob(text, prefix, null);
        }
        try {
            return new Glob(text, prefix, Pattern.compile(regex.toString(), Pattern.DOTALL));
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("the pattern's [] class is not valid: " + e.getMessage());
        }
    }

    /** Where the class opened at {@code open} closes; a {@code ]} first in it is a member. */
    private static int classEnd(String text, int open) {
        int i = open + 1;
        if (i < text.length() && (text.charAt(i) == '!' || text.charAt(i) == '^')) {
            i++;
        }
        if (i < text.length() && text.charAt(i) == ']') {
            i++;
        }
        int close = text.indexOf(']', i);
        if (close < 0) {
            throw new IllegalArgumentException("the pattern has a [ that is never closed");
        }
        return close;
    }

    private static boolean validPair(String text, int i) {
        char c = text.charAt(i);
        if (Character.isHighSurrogate(c)) {
            return i + 1 < text.length() && Character.isLowSurrogate(text.charAt(i + 1));
        }
        return i > 0 && Character.isHighSurrogate(text.charAt(i - 1));
    }

    @Override
    public String toString() {
        return text;
    }
}
