package ai.tessera.qwen25vl;

import java.util.ArrayList;
import java.util.List;

/**
 * Where the patches of a batch of images and videos go in the vision tower, computed from their grids alone as
 * transformers' {@code vision_utils} computes it:
 * <ul>
 * <li>{@link #heightPositions()} / {@link #widthPositions()}: each patch's row and column for the 2-D rotary
 * embedding, in the processor's patch order (merge blocks of {@code m × m} patches, row-major over blocks);</li>
 * <li>{@link #windowIndex()}: the order of merged tokens (units of {@code m²} patches) that groups them by attention
 * window ({@code get_vision_window_index}), windows of {@code mergedWindowSide²} tokens row-major over each frame,
 * the last row and column of windows cut short by the frame's edge;</li>
 * <li>{@link #windowSeqlens()}: cumulative patch counts of the windows in that order, empty windows dropped;</li>
 * <li>{@link #frameSeqlens()}: cumulative patch counts of the frames, for the full-attention blocks
 * ({@code get_vision_cu_seqlens}: each temporal patch of a video attends within itself).</li>
 * </ul>
 */
final class VisionLayout {
    private final long[] heightPositions;
    private final long[] widthPositions;
    private final long[] windowIndex;
    private final int[] windowSeqlens;
    private final int[] frameSeqlens;

    private VisionLayout(long[] heightPositions, long[] widthPositions, long[] windowIndex, int[] windowSeqlens,
                         int[] frameSeqlens) {
        this.heightPositions = heightPositions;
        this.widthPositions = widthPositions;
        this.windowIndex = windowIndex;
        this.windowSeqlens = windowSeqlens;
        this.frameSeqlens = frameSeqlens;
    }

    static VisionLayout of(List<VisionGrid> grids, int merge, int windowSide) {
        int patches = grids.stream().mapToInt(VisionGrid::patches).sum();
        long[] hPos = new long[patches];
        long[] wPos = new long[patches];
        long[] windows = new long[patches / (merge * merge)];
        List<Integer> windowCu = new ArrayList<>(List.of(0));
        List<Integer> frameCu = new ArrayList<>(List.of(0));
        int patch = 0;
        int unit = 0;
        int unitOffset = 0;
        for (VisionGrid grid : grids) {
            if (grid.h() % merge != 0 || grid.w() % merge != 0) {
                throw new IllegalArgumentException("grid " + grid + ": h and w must be multiples of spatial_merge_size "
                        + merge);
            }
            int blocksH = grid.h() / merge;
            int blocksW = grid.w() / merge;
            for (int t = 0; t < grid.t(); t++) {
                for (int bh = 0; bh < blocksH; bh++) {
                    for (int bw = 0; bw < blocksW; bw++) {
                        for (int ih = 0; ih < merge; ih++) {
                            for (int iw = 0; iw < merge; iw++) {
                                hPos[patch] = (long) bh * merge + ih;
                                wPos[patch] = (long) bw * merge + iw;
                                patch++;
                            }
                        }
                    }
                }
                frameCu.add(frameCu.get(frameCu.size() - 1) + grid.h() * grid.w());
            }
            // transformers pads each side up to the next multiple of the window, a whole extra window when already a
            // multiple; those windows are empty and their repeated boundaries are dropped (unique_consecutive).
            int windowsH = (blocksH + windowSide - blocksH % windowSide) / windowSide;
            int windowsW = (blocksW + windowSide - blocksW % windowSide) / windowSide;
            for (int t = 0; t < grid.t(); t++) {
                for (int wh = 0; wh < windowsH; wh++) {
                    for (int ww = 0; ww < windowsW; ww++) {
                        int count = 0;
                        for (int i = 0; i < windowSide; i++) {
                            int row = wh * windowSide + i;
                            for (int j = 0; j < windowSide; j++) {
                                int col = ww * windowSide + j;
                                if (row < blocksH && col < blocksW) {
                                    windows[unit++] = unitOffset + ((long) t * blocksH + row) * blocksW + col;
                                    count++;
                                }
                            }
                        }
                        if (count > 0) {
                            windowCu.add(windowCu.get(windowCu.size() - 1) + count * merge * merge);
                        }
                    }
                }
            }
            unitOffset += grid.t() * blocksH * blocksW;
        }
        return new VisionLayout(hPos, wPos, windows, ints(windowCu), ints(frameCu));
    }

    long[] heightPositions() {
        return heightPositions.clone();
    }

    long[] widthPositions() {
        return widthPositions.clone();
    }

    /** Merged-token indices in window order. */
    long[] windowIndex() {
        return windowIndex.clone();
    }

    /** The patch-level form of {@link #windowIndex()}: every unit's {@code m²} patches, in their order. */
    long[] patchWindowOrder(int merge) {
        int unit = merge * merge;
        long[] order = new long[windowIndex.length * unit];
        for (int k = 0; k < windowIndex.length; k++) {
            for (int u = 0; u < unit; u++) {
                order[k * unit + u] = windowIndex[k] * unit + u;
            }
        }
        return order;
    }

    /** The inverse of {@link #windowIndex()} ({@code argsort}): back from window order to token order. */
    long[] reverseWindowIndex() {
        long[] reverse = new long[windowIndex.length];
        for (int k = 0; k < windowIndex.length; k++) {
            reverse[(int) windowIndex[k]] = k;
        }
        return reverse;
    }

    int[] windowSeqlens() {
        return windowSeqlens.clone();
    }

    int[] frameSeqlens() {
        return frameSeqlens.clone();
    }

    private static int[] ints(List<Integer> values) {
        return values.stream().mapToInt(Integer::intValue).toArray();
    }
}
