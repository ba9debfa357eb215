package ai.tessera.phi4mm.audio;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

import ai.tessera.api.ModelLoadException;
import ai.tessera.api.WeightSource;
import ai.tessera.nn.ForwardScope;
import ai.tessera.nn.WeightPrefix;
import org.bytedeco.pytorch.Tensor;

/**
 * Phi-4-multimodal's audio embedding ({@code model.embed_tokens_extend.audio_embed}; transformers'
 * {@code Phi4MultimodalAudioEmbedding}): log-mel features through the conformer encoder, then the speech or the
 * vision projection, giving one language-model embedding per audio token.
 *
 * <pre>{@code
 * Phi4MMAudioEmbedding audio = Phi4MMAudioEmbedding.load(context.weights(), Phi4MMAudioEmbedding.PREFIX,
 *         Phi4MMAudioConfig.from(context.config()));
 * Tensor rows = audio.embed(features, ProjectionMode.SPEECH);   // [audioTokenCount(frames), hidden_size]
 * }</pre>
 */
public final class Phi4MMAudioEmbedding implements AutoCloseable {
    /** Where the original checkpoint keeps it. */
    public static final WeightPrefix PREFIX = WeightPrefix.of("model.embed_tokens_extend.audio_embed");

    private final ConformerEncoder encoder;
    private final Map<ProjectionMode, AudioProjection> projections;
    private final Phi4MMAudioConfig config;

    private Phi4MMAudioEmbedding(ConformerEncoder encoder, Map<ProjectionMode, AudioProjection> projections,
                                 Phi4MMAudioConfig config) {
        this.encoder = encoder;
        this.projections = projections;
        this.config = config;
    }

    /** Loads {@code prefix.encoder.*} and {@code prefix.audio_projection.{speech,vision}.{0,2}.*}. */
    public static Phi4MMAudioEmbedding load(WeightSource weights, WeightPrefix prefix, Phi4MMAudioConfig config)
            throws ModelLoadException {
        ConformerEncoder encoder = ConformerEncoder.load(weights, prefix.child("encoder"), config);
        Map<ProjectionMode, AudioProjection> projections = new EnumMap<>(ProjectionMode.class);
        for (ProjectionMode mode : ProjectionMode.values()) {
            projections.put(mode, AudioProjection.load(weights,
                    prefix.child("audio_projection").child(mode.checkpointName()), config));
        }
        return new Phi4MMAudioEmbedding(encoder, projections, config);
    }

    /**
     * Audio tokens of a clip with {@code frames} feature frames, which is also the number of rows
     * {@link #embed} gives: {@code ceil(frames / compression_rate)} (transformers'
     * {@code _compute_audio_embed_size} with the checkpoint's qformer rate 1).
     */
    public static int audioTokenCount(int frames, Phi4MMAudioConfig config) {
        return AudioFeatureSettings.audioTokenCount(frames, config.compressionRate(), 1);
    }

    /**
     * One clip's embeddings.
     *
     * @param features {@code [frames, input_size]} or {@code [1, frames, input_size]}, any float dtype and device
     *                 (moved to the weights')
     * @return {@code [audioTokenCount(frames), hidden_size]}
     */
    public Tensor embed(Tensor features, ProjectionMode mode) {
        return embed(List.of(features), mode).get(0);
    }

    /**
     * Several clips in one pass (padded, each attending only to itself): each result equals {@link #embed} of that
     * clip alone.
     */
    public List<Tensor> embed(List<Tensor> features, ProjectionMode mode) {
        try (ForwardScope scope = new ForwardScope()) {
            List<Tensor> encoded = encode(features);
            AudioProjection projection = projections.get(mode);
            List<Tensor> out = new ArrayList<>();
            for (Tensor e : encoded) {
                out.add(scope.keep(projection.forward(e)));
            }
            return out;
        }
    }

    /** The encoder's output per clip, {@code [audioTokenCount(frames), attention_dim]}, before any projection. */
    List<Tensor> encode(List<Tensor> features) {
        return encode(features, config.numBlocks());
    }

    /** After the subsampling and the first {@code blocks} conformer blocks. */
    List<Tensor> encode(List<Tensor> features, int blocks) {
        if (features.isEmpty()) {
            throw new IllegalArgumentException("no audio clips to embed");
        }
        Tensor reference = projections.get(ProjectionMode.SPEECH).referenceWeight();
        List<Tensor> clips = new ArrayList<>();
        for (int i = 0; i < features.size(); i++) {
            clips.add(checked(features.get(i), i).to(reference));
        }
        List<Tensor> encoded = encoder.encode(clips, blocks);
        for (int i = 0; i < encoded.size(); i++) {
            int frames = (int) clips.get(i).size(0);
            int tokens = audioTokenCount(frames, config);
            if (encoded.get(i).size(0) != tokens) {
                throw new IllegalStateException("clip " + i + ": the encoder gave " + encoded.get(i).size(0)
                        + " rows for " + frames + " frames, " + tokens + " audio tokens expected: time_reduction "
                        + config.timeReduction() + " and compression_rate " + config.compressionRate() + " disagree");
            }
        }
        return encoded;
    }

    /** {@code [frames, input_size]}, squeezing a leading batch of one. */
    private Tensor checked(Tensor features, int index) {
        long[] shape = new long[(int) features.dim()];
        for (int d = 0; d < shape.length; d++) {
            shape[d] = features.size(d);
        }
        Tensor f = features.dim() == 3 && shape[0] == 1 ? features.squeeze(0) : features;
        if (f.dim() != 2 || f.size(1) != config.inputSize() || f.size(0) < 1) {
            throw new IllegalArgumentException("audio clip " + index + ": features must be [frames, "
                    + config.inputSize() + "] or [1, frames, " + config.inputSize() + "] with frames >= 1, got "
                    + Arrays.toString(shape));
        }
        return f;
    }

    public Phi4MMAudioConfig config() {
        return config;
    }

    @Override
    public void close() {
        encoder.close();
        projections.values().forEach(AudioProjection::close);
    }
}
