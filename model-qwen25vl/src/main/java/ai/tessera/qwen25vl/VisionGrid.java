package ai.tessera.qwen25vl;

/**
 * The patch grid of one image or video, as the processor's {@code image_grid_thw} / {@code video_grid_thw} give it:
 * {@code t} temporal patches (2 frames each), {@code h} × {@code w} patches of 14 px.
 */
record VisionGrid(int t, int h, int w) {
    VisionGrid {
        if (t <= 0 || h <= 0 || w <= 0) {
            throw new IllegalArgumentException("a vision grid needs positive t, h, w, got [" + t + ", " + h + ", " + w
                    + "]");
        }
    }

    int patches() {
        return t * h * w;
    }

    /** Tokens in the language model: one per {@code merge × merge} patches. */
    int mergedTokens(int merge) {
        return patches() / (merge * merge);
    }

    @Override
    public String toString() {
        return "[" + t + ", " + h + ", " + w + "]";
    }
}
