package ai.tessera.gemma4;

import ai.tessera.nn.ForwardScope;
import org.bytedeco.javacpp.DoublePointer;
import org.bytedeco.pytorch.LongOptional;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.StringViewOptional;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptions;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;

/**
 * transformers' {@code Gemma4AudioFeatureExtractor} with its defaults (those of every released checkpoint): 16 kHz
 * mono samples, at most 30 s, padded with zeros to a multiple of 128 samples; 160 zeros prepended (semicausal
 * framing); frames of 321 samples every 160, the last sample dropped (no preemphasis); a periodic Hann window of
 * 320; {@code |rfft(frame, 512)|}; 128 HTK mel filters over 0–8 kHz without area normalisation;
 * {@code log(mel + 0.001)}. A frame is valid when its last sample is real audio; the others are zeroed.
 *
 * <p>The window product runs in float32 as in transformers; the FFT, the mel projection and the log run in float64
 * (transformers multiplies by its float64 filter bank and takes the log in float64), then the features are float32.
 */
final class Gemma4AudioFeatureExtractor {
    static final int SAMPLE_RATE = 16_000;
    static final int FRAME_LENGTH = 320;
    static final int HOP_LENGTH = 160;
    static final int FFT_LENGTH = 512;
    /** 30 s: transformers truncates longer audio. */
    static final int MAX_SAMPLES = 480_000;
    static final int PAD_TO_MULTIPLE_OF = 128;
    static final double MIN_FREQUENCY = 0.0;
    static final double MAX_FREQUENCY = 8000.0;
    static final double MEL_FLOOR = 1e-3;

    /** Log-mel features {@code [frames, 128]} float32 of one clip; the rows from {@code validFrames} on are zero. */
    record AudioFeatures(Tensor features, int validFrames) implements AutoCloseable {
        int frames() {
            return (int) features.size(0);
        }

        @Override
        public void close() {
            features.close();
        }
    }

    private Gemma4AudioFeatureExtractor() {
    }

    /**
     * The features of one clip.
     *
     * @param samples mono samples at 16 kHz in [-1, 1]
     * @throws IllegalArgumentException when the clip is shorter than one valid frame (161 samples, about 10 ms)
     */
    static AudioFeatures extract(float[] samples) {
        int n = Math.min(samples.length, MAX_SAMPLES);
        int valid = validFrames(n);
        if (valid < 1) {
            throw new IllegalArgumentException("the audio is too short for Gemma 4: " + samples.length + " samples at "
                    + SAMPLE_RATE + " Hz, at least " + (FRAME_LENGTH / 2 + 1) + " needed for one frame");
        }
        int padded = (n + PAD_TO_MULTIPLE_OF - 1) / PAD_TO_MULTIPLE_OF * PAD_TO_MULTIPLE_OF;
        float[] wave = new float[FRAME_LENGTH / 2 + padded];
        System.arraycopy(samples, 0, wave, FRAME_LENGTH / 2, n);
        int frames = (wave.length - (FRAME_LENGTH + 1)) / HOP_LENGTH + 1;
        try (ForwardScope scope = new ForwardScope()) {
            Tensor windowed = torch.tensor(wave, new TensorOptions(ScalarType.Float))
                    .unfold(0, FRAME_LENGTH + 1, HOP_LENGTH).narrow(1, 0, FRAME_LENGTH).mul(window());
            Tensor magnitude = torch.fft_rfft(windowed.to(ScalarType.Double), new LongOptional(FFT_LENGTH), -1,
                    new StringViewOptional()).abs();
            Tensor logMel = magnitude.matmul(melFilters()).add(new Scalar(MEL_FLOOR)).log().to(ScalarType.Float);
            if (logMel.size(0) != frames) {
                throw new IllegalStateException("framing gave " + logMel.size(0) + " frames, expected " + frames);
            }
            if (valid < frames) {
                logMel.narrow(0, valid, frames - valid).zero_();
            }
            return new AudioFeatures(scope.keep(logMel.contiguous()), valid);
        }
    }

    /**
     * Frames whose last sample is real audio: frame i ends at padded index {@code i·160 + 320}, real samples lie at
     * {@code 160 .. 160 + n − 1}.
     */
    static int validFrames(int samples) {
        int n = Math.min(samples, MAX_SAMPLES);
        return n < FRAME_LENGTH / 2 + 1 ? 0 : (n - FRAME_LENGTH / 2 - 1) / HOP_LENGTH + 1;
    }

    /**
     * The soft tokens of a clip, as {@code Gemma4Processor} counts them: the valid frames through two stride-2
     * convolutions (each keeps every other frame, the first included).
     */
    static int softTokens(int validFrames) {
        int t = validFrames;
        for (int i = 0; i < 2; i++) {
            t = (t + 1) / 2;
        }
        return t;
    }

    /** The periodic Hann window {@code 0.5 − 0.5·cos(2πn/320)}, computed in float64 and stored as float32. */
    private static Tensor window() {
        float[] w = new float[FRAME_LENGTH];
        for (int i = 0; i < FRAME_LENGTH; i++) {
            w[i] = (float) (0.5 - 0.5 * Math.cos(2 * Math.PI * i / FRAME_LENGTH));
        }
        return torch.tensor(w, new TensorOptions(ScalarType.Float));
    }

    /**
     * transformers' {@code mel_filter_bank(257, 128, 0, 8000, 16000, norm=None, mel_scale="htk")}: triangles between
     * 130 points equally spaced on the HTK mel scale, over the FFT bins' frequencies, float64 {@code [257, 128]}.
     */
    static Tensor melFilters() {
        int bins = FFT_LENGTH / 2 + 1;
        int mels = Gemma4AudioConfig.MEL_BINS;
        double melMin = hertzToMel(MIN_FREQUENCY);
        double melMax = hertzToMel(MAX_FREQUENCY);
        double[] filterFreqs = new double[mels + 2];
        for (int i = 0; i < filterFreqs.length; i++) {
            filterFreqs[i] = melToHertz(linspace(melMin, melMax, filterFreqs.length, i));
        }
        double[] values = new double[bins * mels];
        for (int f = 0; f < bins; f++) {
            double freq = linspace(0, SAMPLE_RATE / 2, bins, f);
            for (int m = 0; m < mels; m++) {
                double down = -(filterFreqs[m] - freq) / (filterFreqs[m + 1] - filterFreqs[m]);
                double up = (filterFreqs[m + 2] - freq) / (filterFreqs[m + 2] - filterFreqs[m + 1]);
                values[f * mels + m] = Math.max(0.0, Math.min(down, up));
            }
        }
        try (DoublePointer data = new DoublePointer(values)) {
            return torch.from_blob(data, new long[] {bins, mels}, new TensorOptions(ScalarType.Double)).clone();
        }
    }

    /** numpy's {@code linspace(start, stop, count)[i]}: {@code start + i·step}, the last point exactly {@code stop}. */
    private static double linspace(double start, double stop, int count, int i) {
        return i == count - 1 ? stop : start + i * ((stop - start) / (count - 1));
    }

    private static double hertzToMel(double hertz) {
        return 2595.0 * Math.log10(1.0 + hertz / 700.0);
    }

    private static double melToHertz(double mel) {
        return 700.0 * (Math.pow(10, mel / 2595.0) - 1.0);
    }
}
