package ai.tessera.phi4mm.audio;

/**
 * The settings of Phi-4-multimodal's feature extractor (transformers' {@code Phi4MultimodalFeatureExtractor}, whose
 * defaults are the checkpoint's {@code preprocessor_config.json}): 80 log-mel bins of 25 ms Hamming windows every
 * 10 ms at 16 kHz, pre-emphasis 0.97, mel filters from 0 to 7690 Hz triangular on the Kaldi mel scale; and how
 * feature frames become audio tokens.
 *
 * @param featureSize          mel bins
 * @param samplingRate         the only rate the extractor accepts
 * @param hopLength            samples between frames
 * @param nFft                 FFT size (the window is zero-padded to it)
 * @param winLength            samples per frame
 * @param preemphasis          first-order pre-emphasis coefficient, applied within each frame
 * @param melMinFrequency      lowest mel filter edge, Hz
 * @param melMaxFrequency      highest mel filter edge, Hz
 * @param compressionRate      frames per audio token before the qformer ({@code audio_compression_rate})
 * @param downsampleRate       the qformer's further reduction ({@code audio_downsample_rate})
 * @param featStride           {@code audio_feat_stride}
 */
public record AudioFeatureSettings(int featureSize, int samplingRate, int hopLength, int nFft, int winLength,
                                   double preemphasis, double melMinFrequency, double melMaxFrequency,
                                   int compressionRate, int downsampleRate, int featStride) {
    public AudioFeatureSettings {
        if (winLength > nFft || hopLength < 1 || featureSize < 1 || compressionRate < 1 || downsampleRate < 1
                || featStride < 1) {
            throw new IllegalArgumentException("invalid audio feature settings: win_length " + winLength + " (at most "
                    + "n_fft " + nFft + "), hop_length " + hopLength + ", feature_size " + featureSize
                    + ", audio_compression_rate " + compressionRate + ", audio_downsample_rate " + downsampleRate
                    + ", audio_feat_stride " + featStride + " (all positive)");
        }
    }

    /** The checkpoint's {@code preprocessor_config.json}, which are also transformers' defaults. */
    public static AudioFeatureSettings phi4Multimodal() {
        return new AudioFeatureSettings(80, 16000, 160, 512, 400, 0.97, 0, 7690, 8, 1, 1);
    }

    /**
     * The checkpoint's extractor with the token settings of a {@code preprocessor_config.json}
     * ({@code audio_compression_rate}, {@code audio_downsample_rate}, {@code audio_feat_stride}; its only audio keys).
     */
    public static AudioFeatureSettings phi4Multimodal(int compressionRate, int downsampleRate, int featStride) {
        AudioFeatureSettings d = phi4Multimodal();
        return new AudioFeatureSettings(d.featureSize(), d.samplingRate(), d.hopLength(), d.nFft(), d.winLength(),
                d.preemphasis(), d.melMinFrequency(), d.melMaxFrequency(), compressionRate, downsampleRate, featStride);
    }

    /** Whole frames in {@code samples} samples: {@code (samples - win_length) / hop_length + 1}; 0 when too short. */
    public int frameCount(int samples) {
        return samples < winLength ? 0 : (samples - winLength) / hopLength + 1;
    }

    /** Audio tokens for {@code frames} feature frames (transformers' {@code _compute_audio_embed_size}). */
    public int audioTokenCount(int frames) {
        return audioTokenCount(frames * featStride, compressionRate, downsampleRate);
    }

    /** {@code ceil(ceil(frames / compressionRate) / downsampleRate)}. */
    static int audioTokenCount(int frames, int compressionRate, int downsampleRate) {
        if (frames < 1) {
            throw new IllegalArgumentException("an audio clip needs at least one feature frame, got " + frames);
        }
        int compressed = Math.floorDiv(frames + compressionRate - 1, compressionRate);
        return Math.floorDiv(compressed + downsampleRate - 1, downsampleRate);
    }
}
