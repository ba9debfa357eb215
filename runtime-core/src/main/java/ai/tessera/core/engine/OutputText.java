package ai.tessera.core.engine;

import java.util.List;

/**
 * A request's generated text: decodes new tokens, finds stop strings (also when one is split across tokens)
 * and says which part may be streamed. While a request runs, the last {@code longest stop string - 1}
 * characters are held back, since they could be the start of a stop string that the next token completes.
 */
final class OutputText {
    private final TextDecoder.Session decoder;
    private final List<String> stops;
    private final boolean keepStop;
    private final int holdBack;
    private final StringBuilder text = new StringBuilder();
    private int emitted;

    OutputText(TextDecoder.Session decoder, List<String> stops) {
        this(decoder, stops, false);
    }

    /** @param keepStop whether the text ends with the stop string found ({@code include_stop_str_in_output}) */
    OutputText(TextDecoder.Session decoder, List<String> stops, boolean keepStop) {
        this.decoder = decoder;
        this.stops = stops;
        this.keepStop = keepStop;
        int longest = 0;
        for (String s : stops) {
            longest = Math.max(longest, s.length());
        }
        this.holdBack = Math.max(0, longest - 1);
    }

    /**
     * Decodes new tokens and looks for a stop string in the text they complete.
     *
     * @return the stop string found (the text is then cut before it, or after it when kept), or null
     */
    String append(int[] newTokenIds) {
        int before = text.length();
        text.append(decoder.next(newTokenIds));
        if (stops.isEmpty() || text.length() == before) {
            return null;
        }
        int from = Math.max(0, before - holdBack);
        int bestAt = -1;
        String best = null;
        for (String stop : stops) {
            int at = text.indexOf(stop, from);
            if (at >= 0 && (bestAt < 0 || at < bestAt)) {
                bestAt = at;
                best = stop;
            }
        }
        if (best != null) {
            text.setLength(keepStop ? bestAt + best.length() : bestAt);
        }
        return best;
    }

    /** Text not yet streamed that may be streamed now: all of it once the request is finished. */
    String takeDelta(boolean finished) {
        int end = finished ? text.length() : Math.max(emitted, text.length() - holdBack);
        if (!finished && end > emitted && end < text.length() && Character.isHighSurrogate(text.charAt(end - 1))) {
            end--; // never split a surrogate pair between two deltas
        }
        String delta = text.substring(emitted, end);
        emitted = end;
        return delta;
    }

    String text() {
        return text.toString();
    }
}
