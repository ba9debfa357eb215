package ai.tessera.qwen25vl.processor;

/**
 * Which frames of a decoded video file are kept, as transformers' {@code Qwen2VLVideoProcessor.sample_frames} picks
 * them for a target {@code fps}: {@code total / video_fps * fps} frames, clamped to {@code [min_frames, max_frames]}
 * and to the video, rounded down to a multiple of the temporal patch size, spread evenly from the first frame
 * ({@code torch.arange(0, total, total / n).int()}).
 */
final class FrameSampler {
    private FrameSampler() {
    }

    /**
     * @param totalFrames the frames of the video
     * @param videoFps    its frame rate
     * @param fps         the frames per second wanted
     * @return the indices of the kept frames, ascending
     * @throws IllegalArgumentException when no frame can be kept (a video shorter than one temporal patch)
     */
    static int[] indices(int totalFrames, double videoFps, double fps, int temporalPatchSize, int minFrames,
                         int maxFrames, String source) {
        int maxKept = Math.min(maxFrames, totalFrames) / temporalPatchSize * temporalPatchSize;
        double wanted = totalFrames / videoFps * fps;
        double clamped = Math.min(Math.min(Math.max(wanted, minFrames), maxKept), totalFrames);
        long n = (long) (Math.floor(clamped / temporalPatchSize) * temporalPatchSize);
        if (n <= 0) {
            throw new IllegalArgumentException("the video from " + source + " has " + totalFrames + " frame(s);"
                    + " sampling at " + fps + " fps needs at least " + temporalPatchSize);
        }
        // torch.arange with a float step: ceil((end - start) / step) values start + i * step, computed in double and
        // stored as float32, then truncated by .int()
        double step = (double) totalFrames / n;
        int count = (int) Math.ceil(totalFrames / step);
        int[] indices = new int[count];
        for (int i = 0; i < count; i++) {
            indices[i] = (int) (float) (step * i);
        }
        return indices;
    }

    /** The frame rate of the kept frames, as transformers' {@code VideoMetadata.sampled_fps} reports it. */
    static double sampledFps(int kept, int totalFrames, double videoFps) {
        return (double) kept / totalFrames * videoFps;
    }
}
