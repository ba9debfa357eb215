package ai.tessera.phi4mm.audio;

import ai.tessera.media.AudioDecoding;
import org.bytedeco.pytorch.LongOptional;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.StringViewOptional;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptions;
import org.bytedeco.pytorch.TensorVector;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;

/**
 * Phi-4-multimodal's log-mel features, computed as transformers' {@code Phi4MultimodalFeatureExtractor} computes
 * them for one clip, with the same libtorch kernels: frames of {@code win_length} samples every {@code hop_length};
 * pre-emphasis within each frame (its first sample is its own predecessor) and scaling by 32768; a symmetric Hamming
 * window in float64; a real FFT of {@code n_fft} points, rounded to complex64; power spectrum times the mel filter
 * bank; {@code log(max(·, 1))}. Samples that do not fill a last frame are dropped.
 */
public final class LogMelFeatureExtractor {
    private final AudioFeatureSettings settings;
    private final float[] melFilters;

    public LogMelFeatureExtractor(AudioFeatureSettings settings) {
        this.settings = settings;
        this.melFilters = MelFilterBank.kaldiTriangularInMel(settings.nFft() / 2 + 1, settings.featureSize(),
                settings.melMinFrequency(), settings.melMaxFrequency(), settings.samplingRate());
    }

    public AudioFeatureSettings settings() {
        return settings;
    }

    /**
     * Decodes an audio file (WAV, FLAC, MP3... through FFmpeg; channels averaged, resampled to the extractor's rate,
     * 16-bit PCM / 32768 as vLLM hands audio to the HF processor) and extracts its features.
     *
     * @param source names the input in error messages
     * @return {@code [frames, feature_size]} float32 on the CPU
     */
    public Tensor extract(byte[] file, String source) {
        AudioDecoding.DecodedAudio audio = AudioDecoding.decode(file, source, settings.samplingRate());
        return extract(audio.samples(), source);
    }

    /**
     * @param samples mono PCM in [-1, 1] at {@link AudioFeatureSettings#samplingRate()}
     * @param source  names the input in error messages
     * @return {@code [frames, feature_size]} float32 on the CPU
     */
    public Tensor extract(float[] samples, String source) {
        int frames = settings.frameCount(samples.length);
        if (frames < 1) {
            throw new IllegalArgumentException(source + ": audio of " + samples.length + " samples is shorter than one "
                    + settings.winLength() + "-sample window (" + 1000.0 * settings.winLength() / settings.samplingRate()
                    + " ms at " + settings.samplingRate() + " Hz)");
        }
        int win = settings.winLength();
        Tensor wave = torch.tensor(samples, new TensorOptions(ScalarType.Float));
        Tensor framed = wave.unfold(0, win, settings.hopLength()); // [frames, win]
        // pre-emphasis inside each frame; its first sample stands in for its own predecessor
        Tensor previous = torch.cat(new TensorVector(framed.narrow(1, 0, 1), framed.narrow(1, 0, win - 1)), 1);
        framed = framed.sub(previous.mul(new Scalar(settings.preemphasis()))).mul(new Scalar(32768.0));
        // float64 window times float32 frames is float64, and so is the FFT, as in the reference
        Tensor window = torch.hamming_window(win, false, new TensorOptions(ScalarType.Double));
        Tensor spectrum = torch.fft_rfft(window.mul(framed), new LongOptional(settings.nFft()), 1,
                new StringViewOptional()).to(ScalarType.ComplexFloat);
        Tensor power = spectrum.abs().pow(new Scalar(2L));
        Tensor filters = torch.tensor(melFilters, new TensorOptions(ScalarType.Float))
                .view(settings.nFft() / 2 + 1, settings.featureSize());
        return torch.log(torch.clamp_min(torch.matmul(power, filters), new Scalar(1.0)));
    }

    /** The mel filter bank, {@code [n_fft / 2 + 1, feature_size]} row-major float32 (for tests). */
    float[] melFilters() {
        return melFilters.clone();
    }
}
