package ai.tessera.core.engine;

import java.util.List;

/**
 * What one engine step computes: for each request, in packing order, how many of its next tokens.
 *
 * @param preempted requests sent back to waiting to make room in this step
 */
record ScheduledStep(List<Entry> entries, List<RequestState> preempted) {
    ScheduledStep {
        entries = List.copyOf(entries);
        preempted = List.copyOf(preempted);
    }

    /** One request's part of the step: tokens {@code numComputed .. numComputed + numNewTokens - 1}. */
    record Entry(RequestState request, int numNewTokens) {
        /** Whether the step reaches the request's last token, so that it samples (not a partial prefill chunk). */
        boolean samples() {
            return request.samplesAfter(numNewTokens);
        }
    }

    boolean isEmpty() {
        return entries.isEmpty();
    }

    int totalTokens() {
        int n = 0;
        for (Entry e : entries) {
            n += e.numNewTokens();
        }
        return n;
    }
}
