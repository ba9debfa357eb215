package ai.tessera.gemma4;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import java.util.stream.IntStream;

import org.junit.jupiter.api.Test;

/** Frame sampling and timestamps as transformers' Gemma4VideoProcessor and Gemma4Processor write them. */
class Gemma4VideoTest {
    @Test
    void aVideoOfAtMost32FramesKeepsThemAll() {
        assertArrayEquals(IntStream.range(0, 6).toArray(), Gemma4Video.sampledIndices(6));
        assertArrayEquals(IntStream.range(0, 32).toArray(), Gemma4Video.sampledIndices(32));
    }

    @Test
    void aLongerVideoIsSampledAt32EvenSteps() {
        // arange(0, 100, 3.125).int(): 0, 3, 6, 9, 12, 15, 18, 21, 25, ... 96
        int[] picked = Gemma4Video.sampledIndices(100);
        assertEquals(32, picked.length);
        assertArrayEquals(new int[] {0, 3, 6, 9, 12, 15, 18, 21, 25}, java.util.Arrays.copyOf(picked, 9));
        assertEquals(96, picked[31]);
        // arange(0, 33, 1.03125).int(): every frame but the last
        assertArrayEquals(IntStream.range(0, 32).toArray(), Gemma4Video.sampledIndices(33));
    }

    @Test
    void timestampsAreMinutesAndSecondsTruncated() {
        assertEquals("00:00", Gemma4Video.mmss(0.99));
        assertEquals("01:05", Gemma4Video.mmss(65.9));
        assertEquals("120:00", Gemma4Video.mmss(7200));
        Gemma4Video video = new Gemma4Video(List.of(), new int[] {0, 30, 750}, 25);
        assertEquals(List.of("00:00", "00:01", "00:30"), List.of(video.timestamp(0), video.timestamp(1),
                video.timestamp(2)));
    }
}
