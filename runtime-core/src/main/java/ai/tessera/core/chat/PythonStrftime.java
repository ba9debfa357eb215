package ai.tessera.core.chat;

import java.time.DayOfWeek;
import java.time.LocalDateTime;
import java.time.Month;
import java.time.format.TextStyle;
import java.util.Locale;

/**
 * Python's {@code datetime.strftime} (C locale) for the directives templates use to print today's date
 * ({@code "%d %b %Y"}, {@code "%Y-%m-%d"}), with glibc's {@code %-d} (no padding). Unknown directives are kept
 * as written, as glibc does.
 */
final class PythonStrftime {
    private PythonStrftime() {
    }

    static String format(LocalDateTime time, String format) {
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < format.length(); i++) {
            char c = format.charAt(i);
            if (c != '%' || i + 1 == format.length()) {
                out.append(c);
                continue;
            }
            boolean unpadded = format.charAt(i + 1) == '-' && i + 2 < format.length();
            char directive = format.charAt(unpadded ? i + 2 : i + 1);
            String value = directive(time, directive, unpadded);
            if (value == null) {
                out.append(format, i, unpadded ? i + 3 : i + 2);
            } else {
                out.append(value);
            }
            i += unpadded ? 2 : 1;
        }
        return out.toString();
    }

    private static String directive(LocalDateTime time, char directive, boolean unpadded) {
        switch (directive) {
            case 'a': return day(time.getDayOfWeek(), TextStyle.SHORT);
            case 'A': return day(time.getDayOfWeek(), TextStyle.FULL);
            case 'b':
            case 'h': return month(time.getMonth(), TextStyle.SHORT);
            case 'B': return month(time.getMonth(), TextStyle.FULL);
            case 'd': return number(time.getDayOfMonth(), 2, unpadded);
            case 'e': return unpadded ? Integer.toString(time.getDayOfMonth()) : String.format("%2d", time.getDayOfMonth());
            case 'm': return number(time.getMonthValue(), 2, unpadded);
            case 'y': return number(time.getYear() % 100, 2, unpadded);
            case 'Y': return Integer.toString(time.getYear());
            case 'H': return number(time.getHour(), 2, unpadded);
            case 'I': return number(time.getHour() % 12 == 0 ? 12 : time.getHour() % 12, 2, unpadded);
            case 'p': return time.getHour() < 12 ? "AM" : "PM";
            case 'M': return number(time.getMinute(), 2, unpadded);
            case 'S': return number(time.getSecond(), 2, unpadded);
            case 'j': return number(time.getDayOfYear(), 3, unpadded);
            case 'w': return Integer.toString(time.getDayOfWeek().getValue() % 7);
            case 'u': return Integer.toString(time.getDayOfWeek().getValue());
            case 'f': return String.format("%06d", time.getNano() / 1000);
            case 'F': return format(time, "%Y-%m-%d");
            case 'T': return format(time, "%H:%M:%S");
            case 'D': return format(time, "%m/%d/%y");
            case 'c': return format(time, "%a %b %e %H:%M:%S %Y");
            case 'x': return format(time, "%m/%d/%y");
            case 'X': return format(time, "%H:%M:%S");
            case 'z':
            case 'Z': return "";
            case '%': return "%";
            default: return null;
        }
    }

    private static String number(int value, int width, boolean unpadded) {
        return unpadded ? Integer.toString(value) : String.format("%0" + width + "d", value);
    }

    private static String day(DayOfWeek day, TextStyle style) {
        return day.getDisplayName(style, Locale.ENGLISH);
    }

    private static String month(Month month, TextStyle style) {
        return month.getDisplayName(style, Locale.ENGLISH);
    }
}
