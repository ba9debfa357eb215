package ai.tessera.core.server;

/** Times one API request for the metrics: first token, tokens after it, and the end. */
interface RequestTimer {
    /** {@code count} tokens arrived now. */
    void tokens(int count);

    /** The request ended with {@code status} ({@code ok}, {@code aborted}). */
    void finished(String status);
}
