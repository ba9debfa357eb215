package ai.tessera.media;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

import org.junit.jupiter.api.Test;

class AudioDecodingTest {

    /** A RIFF/WAVE file of 16-bit PCM, interleaved channels. */
    static byte[] wav(short[][] channels, int rate) {
        int n = channels[0].length;
        int c = channels.length;
        ByteBuffer b = ByteBuffer.allocate(44 + n * c * 2).order(ByteOrder.LITTLE_ENDIAN);
        b.put("RIFF".getBytes()).putInt(36 + n * c * 2).put("WAVE".getBytes());
        b.put("fmt ".getBytes()).putInt(16).putShort((short) 1).putShort((short) c).putInt(rate)
                .putInt(rate * c * 2).putShort((short) (c * 2)).putShort((short) 16);
        b.put("data".getBytes()).putInt(n * c * 2);
        for (int i = 0; i < n; i++) {
            for (short[] ch : channels) {
                b.putShort(ch[i]);
            }
        }
        return b.array();
    }

    private static short[] sine(int n, double hz, int rate, double amplitude) {
        short[] s = new short[n];
        for (int i = 0; i < n; i++) {
            s[i] = (short) Math.round(amplitude * 32767 * Math.sin(2 * Math.PI * hz * i / rate));
        }
        return s;
    }

    @Test
    void monoPcmAtTheTargetRateIsExactlyTheSamplesOver32768() {
        short[] pcm = sine(1600, 440, 16000, 0.8);
        pcm[5] = Short.MIN_VALUE;
        pcm[6] = Short.MAX_VALUE;
        AudioDecoding.DecodedAudio audio = AudioDecoding.decode(wav(new short[][] {pcm}, 16000), "test.wav", 16000);
        assertEquals(16000, audio.sampleRate());
        assertEquals(pcm.length, audio.samples().length);
        for (int i = 0; i < pcm.length; i++) {
            assertEquals(pcm[i] / 32768f, audio.samples()[i], 0f, "sample " + i);
        }
        assertEquals(0.1, audio.seconds(), 1e-9);
    }

    @Test
    void stereoIsAveragedLikeLibrosaToMono() {
        short[] left = sine(800, 300, 16000, 0.5);
        short[] right = sine(800, 1000, 16000, 0.3);
        AudioDecoding.DecodedAudio audio = AudioDecoding.decode(wav(new short[][] {left, right}, 16000), "s.wav", 0);
        for (int i = 0; i < left.length; i++) {
            assertEquals((left[i] / 32768f + right[i] / 32768f) / 2, audio.samples()[i], 0f, "sample " + i);
        }
    }

    @Test
    void resamplingKeepsTheToneAndTheDuration() {
        int n = 8000;
        AudioDecoding.DecodedAudio audio = AudioDecoding.decode(wav(new short[][] {sine(n, 440, 8000, 0.5)}, 8000),
                "8k.wav", 16000);
        assertEquals(16000, audio.sampleRate());
        assertEquals(2 * n, audio.samples().length);
        // away from the edges the resampled signal is the same sine at the new rate
        double worst = 0;
        for (int i = 1000; i < 15000; i++) {
            double expected = 0.5 * 32767 / 32768 * Math.sin(2 * Math.PI * 440 * i / 16000.0);
            worst = Math.max(worst, Math.abs(expected - audio.samples()[i]));
        }
        assertTrue(worst < 2e-3, "largest deviation from the ideal sine " + worst);
    }

    @Test
    void badInputNamesTheSource() {
        IllegalArgumentException garbage = assertThrows(IllegalArgumentException.class,
                () -> AudioDecoding.decode("not audio at all".repeat(20).getBytes(), "content part 2", 16000));
        assertTrue(garbage.getMessage().contains("content part 2"), garbage.getMessage());
        IllegalArgumentException empty = assertThrows(IllegalArgumentException.class,
                () -> AudioDecoding.decode(new byte[0], "clip.wav", 16000));
        assertTrue(empty.getMessage().contains("clip.wav") && empty.getMessage().contains("empty"), empty.getMessage());
        ByteArrayOutputStream truncated = new ByteArrayOutputStream();
        truncated.writeBytes(java.util.Arrays.copyOf(wav(new short[][] {sine(100, 440, 16000, 0.5)}, 16000), 44));
        IllegalArgumentException noSamples = assertThrows(IllegalArgumentException.class,
                () -> AudioDecoding.decode(truncated.toByteArray(), "header-only.wav", 16000));
        assertTrue(noSamples.getMessage().contains("header-only.wav"), noSamples.getMessage());
    }
}
