package ai.tessera.qwen25vl.processor;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.stream.IntStream;

import ai.tessera.media.ImageDecoding;
import ai.tessera.media.RgbImage;
import ai.tessera.media.VideoDecoding;
import org.junit.jupiter.api.Test;

/**
 * {@link VideoDecoding} (shared in runtime-core) on the reference clip (10 frames of 84x56 at 2.5 fps, made from the {@code seq_*.png} frames):
 * losslessly coded (FFV1 in Matroska) it must give back the PNG frames exactly; as H.264 in MP4 it must give the
 * frames back close to them (lossy).
 */
class VideoFileDecoderTest {
    private static final VideoDecoding.Selection ALL = h -> IntStream.range(0, h.frames()).toArray();

    @Test
    void losslessFileGivesBackItsFrames() {
        VideoDecoding.Decoded d = VideoDecoding.decode(ProcessorFixture.input("seq.mkv"), "seq.mkv", Long.MAX_VALUE,
                ALL);
        assertEquals(new VideoDecoding.Header(84, 56, 10, 2.5), d.header());
        assertEquals(10, d.frames().size());
        for (int i = 0; i < 10; i++) {
            assertArrayEquals(png(i).rgb(), d.frames().get(i).rgb(), "frame " + i);
        }
    }

    @Test
    void decodesOnlyTheSelectedFrames() {
        int[] pick = {0, 2, 5, 7};
        VideoDecoding.Decoded d = VideoDecoding.decode(ProcessorFixture.input("seq.mkv"), "seq.mkv", Long.MAX_VALUE,
                h -> pick);
        assertArrayEquals(pick, d.indices());
        for (int k = 0; k < pick.length; k++) {
            assertArrayEquals(png(pick[k]).rgb(), d.frames().get(k).rgb(), "frame " + pick[k]);
        }
    }

    /**
     * H.264 with 4:2:0 chroma: every frame back at its size and close to the original in red and green; blue, a
     * one-pixel checkerboard in these frames, loses most to chroma subsampling (the ffmpeg command line's own decode
     * is as far off).
     */
    @Test
    void lossyMp4DecodesCloseToItsFrames() {
        VideoDecoding.Decoded d = VideoDecoding.decode(ProcessorFixture.input("seq.mp4"), "seq.mp4", Long.MAX_VALUE,
                ALL);
        assertEquals(new VideoDecoding.Header(84, 56, 10, 2.5), d.header());
        for (int i = 0; i < 10; i++) {
            byte[] expected = png(i).rgb();
            byte[] actual = d.frames().get(i).rgb();
            double[] mean = new double[3];
            for (int j = 0; j < expected.length; j++) {
                mean[j % 3] += Math.abs((expected[j] & 0xFF) - (actual[j] & 0xFF)) / (expected.length / 3.0);
            }
            assertTrue(mean[0] < 12 && mean[1] < 12 && mean[2] < 45, "frame " + i + ": mean |delta| per channel "
                    + Arrays.toString(mean));
        }
    }

    @Test
    void framesAboveThePixelLimitAreRefusedBeforeDecoding() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> VideoDecoding.decode(ProcessorFixture.input("seq.mkv"), "clip.mkv", 4000, ALL));
        assertTrue(e.getMessage().contains("clip.mkv is 84x56 = 4704 pixels per frame; at most 4000"), e.getMessage());
    }

    @Test
    void bytesThatAreNoVideoAreRefusedNamingTheSource() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> VideoDecoding.decode("not a video at all".getBytes(), "upload.bin", Long.MAX_VALUE, ALL));
        assertTrue(e.getMessage().contains("upload.bin"), e.getMessage());
    }

    private static RgbImage png(int frame) {
        String name = String.format("seq_%03d.png", frame);
        return ImageDecoding.decode(ProcessorFixture.input(name), name, Long.MAX_VALUE);
    }
}
