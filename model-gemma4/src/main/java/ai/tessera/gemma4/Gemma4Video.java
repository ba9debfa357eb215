package ai.tessera.gemma4;

import java.util.List;
import java.util.Locale;

import ai.tessera.api.MediaInput;
import ai.tessera.media.RgbImage;
import ai.tessera.media.VideoDecoding;

/**
 * One video as Gemma 4 takes it: the sampled frames and when each was shown. transformers'
 * {@code Gemma4VideoProcessor} samples {@code num_frames} (32) frames of a longer video at
 * {@code arange(0, total, total / 32).int()} (its {@code sample_frames}; all frames of a video with at most 32), and
 * {@code Gemma4Processor.replace_video_token} stamps each with {@code mm:ss} of {@code frame_index / fps}, the fps of
 * the source (24 when unknown, as for a video given as a list of frame images).
 *
 * @param frames     the sampled frames, decoded
 * @param indices    each frame's index in the source video
 * @param fps        the source's frame rate used for the timestamps
 */
record Gemma4Video(List<RgbImage> frames, int[] indices, double fps) {
    /** transformers' {@code Gemma4VideoProcessor.num_frames}. */
    static final int NUM_FRAMES = 32;
    /** The frame rate {@code Gemma4Processor} (and vLLM) assume when the video's is unknown. */
    static final double UNKNOWN_FPS = 24;

    /**
     * Decodes a video file (FFmpeg) or a list of frame images, decoding only the sampled frames.
     *
     * @param listFps the frame rate of a video given as frame images (they carry none)
     */
    static Gemma4Video decode(MediaInput input, long maxPixelsPerFrame, double listFps) {
        VideoDecoding.Selection sample = header -> sampledIndices(header.frames());
        if (input.data().size() > 1) {
            VideoDecoding.Decoded d = VideoDecoding.decodeFrames(input.data(), input.source(), maxPixelsPerFrame,
                    sample);
            return new Gemma4Video(d.frames(), d.indices(), listFps);
        }
        VideoDecoding.Decoded d = VideoDecoding.decode(input.data().get(0), input.source(), maxPixelsPerFrame,
                sample);
        return new Gemma4Video(d.frames(), d.indices(), d.header().fps());
    }

    /**
     * {@code sample_frames} with {@code num_frames} 32: torch's float {@code arange} (start + i · step in double,
     * stored as float32, truncated by {@code .int()}); every frame of a shorter video.
     */
    static int[] sampledIndices(int total) {
        if (total <= NUM_FRAMES) {
            return java.util.stream.IntStream.range(0, total).toArray();
        }
        double step = (double) total / NUM_FRAMES;
        int count = (int) Math.ceil(total / step);
        int[] indices = new int[count];
        for (int i = 0; i < count; i++) {
            indices[i] = (int) (float) (step * i);
        }
        return indices;
    }

    /** Frame {@code k}'s timestamp as {@code replace_video_token} writes it: {@code mm:ss}, both truncated. */
    String timestamp(int k) {
        return mmss(indices[k] / fps);
    }

    static String mmss(double seconds) {
        return String.format(Locale.ROOT, "%02d:%02d", (long) Math.floor(seconds / 60), (long) (seconds % 60));
    }
}
