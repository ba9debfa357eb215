package ai.tessera.qwen25vl.processor;

import java.util.List;

/**
 * The three-section rotary positions (temporal, height, width) of a prompt, as transformers 5's
 * {@code Qwen2_5_VLModel.get_rope_index} computes them: text tokens count up by one in all sections; the tokens of
 * an image or video take {@code start + t * interval}, {@code start + h}, {@code start + w} over its merged grid,
 * where {@code interval} is {@code tokens_per_second * int(second_per_grid_t)} for videos and 1 for images, and the
 * text after it goes on from {@code start + max(grid_h, grid_w) / merge}. The rope delta is what decoding adds to a
 * token's index: {@code max position + 1 - prompt length}.
 */
final class MropePositions {
    /** One image or video of the prompt: its token range, grid, and for videos the seconds per temporal patch. */
    record Span(int offset, int length, int gridT, int gridH, int gridW, boolean video, float secondPerGridT) {
    }

    /** {@code positions[section][token]} and the rope delta. */
    record Result(long[][] positions, long delta) {
    }

    private MropePositions() {
    }

    static Result compute(int promptLength, List<Span> spans, int spatialMergeSize, int tokensPerSecond) {
        long[][] pos = new long[3][promptLength];
        long current = 0;
        long max = -1;
        int cursor = 0;
        for (Span span : spans) {
            for (; cursor < span.offset(); cursor++, current++) {
                pos[0][cursor] = pos[1][cursor] = pos[2][cursor] = current;
            }
            int h = span.gridH() / spatialMergeSize;
            int w = span.gridW() / spatialMergeSize;
            // int() truncates: a video sampled at more than temporal_patch_size fps gets interval 0
            long interval = span.video() ? (long) tokensPerSecond * (long) span.secondPerGridT() : 1;
            int i = span.offset();
            for (int t = 0; t < span.gridT(); t++) {
                for (int y = 0; y < h; y++) {
                    for (int x = 0; x < w; x++, i++) {
                        pos[0][i] = current + t * interval;
                        pos[1][i] = current + y;
                        pos[2][i] = current + x;
                    }
                }
            }
            if (i != span.offset() + span.length()) {
                throw new IllegalStateException("a grid of " + span.gridT() + "x" + span.gridH() + "x" + span.gridW()
                        + " with merge " + spatialMergeSize + " gives " + (i - span.offset()) + " tokens, but the prompt"
                        + " holds " + span.length() + " for it");
            }
            current += Math.max(span.gridH(), span.gridW()) / spatialMergeSize;
            cursor = i;
        }
        for (; cursor < promptLength; cursor++, current++) {
            pos[0][cursor] = pos[1][cursor] = pos[2][cursor] = current;
        }
        for (long[] section : pos) {
            for (long p : section) {
                max = Math.max(max, p);
            }
        }
        return new Result(pos, max + 1 - promptLength);
    }
}
