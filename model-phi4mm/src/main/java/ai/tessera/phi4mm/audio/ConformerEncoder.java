package ai.tessera.phi4mm.audio;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import ai.tessera.api.ModelLoadException;
import ai.tessera.api.WeightSource;
import ai.tessera.nn.WeightPrefix;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptions;
import org.bytedeco.pytorch.TensorVector;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;

/**
 * Phi-4-multimodal's conformer audio encoder ({@code audio_embed.encoder}; transformers'
 * {@code Phi4MultimodalAudioModel}): global mean/variance normalisation of the log-mel features
 * ({@code encoder_embedding}), NeMo convolutional subsampling by {@code time_reduction} ({@code embed}), then
 * {@code num_blocks} conformer blocks ({@code encoders}) with a T5 relative position bias shared by all of them
 * ({@code relative_attention_bias_layer}).
 *
 * <p>Attention spans a whole clip, but never more than {@value #MAX_SEQ_LEN} subsampled frames: a longer clip is
 * zero-padded to a multiple of {@value #MAX_SEQ_LEN} and cut into chunks of that many that attend only within
 * themselves, their padding rows included, as the reference does for one clip. Clips of a batch attend only to
 * their own rows (padded keys are masked), so a batch gives each clip what it gives alone.
 */
final class ConformerEncoder implements AutoCloseable {
    /** The reference's {@code max_seq_len}: "maximum position for absolute positional encoding". */
    static final int MAX_SEQ_LEN = 500;

    private final MeanVarianceNorm encoderEmbedding;
    private final NemoConvSubsampling embed;
    private final RelativeAttentionBias relativeAttentionBias;
    private final List<ConformerEncoderLayer> encoders;
    private final Phi4MMAudioConfig config;

    private ConformerEncoder(MeanVarianceNorm encoderEmbedding, NemoConvSubsampling embed,
                             RelativeAttentionBias relativeAttentionBias, List<ConformerEncoderLayer> encoders,
                             Phi4MMAudioConfig config) {
        this.encoderEmbedding = encoderEmbedding;
        this.embed = embed;
        this.relativeAttentionBias = relativeAttentionBias;
        this.encoders = encoders;
        this.config = config;
    }

    static ConformerEncoder load(WeightSource weights, WeightPrefix prefix, Phi4MMAudioConfig config)
            throws ModelLoadException {
        List<ConformerEncoderLayer> layers = new ArrayList<>();
        for (int i = 0; i < config.numBlocks(); i++) {
            layers.add(ConformerEncoderLayer.load(weights, prefix.child("encoders").child(i), config));
        }
        return new ConformerEncoder(MeanVarianceNorm.load(weights, prefix.child("encoder_embedding"), config.inputSize()),
                NemoConvSubsampling.load(weights, prefix.child("embed"), config),
                RelativeAttentionBias.load(weights, prefix.child("relative_attention_bias_layer"), config), layers,
                config);
    }

    /** Rows the encoder gives for {@code frames} feature frames: {@code ceil(frames / time_reduction)}. */
    int outputLength(int frames) {
        return NemoConvSubsampling.outputLength(frames, config.subsamplingStages());
    }

    /**
     * @param features one {@code [frames, input_size]} tensor per clip, in the weights' dtype and device
     * @return one {@code [outputLength(frames), attention_dim]} tensor per clip
     */
    List<Tensor> forward(List<Tensor> features) {
        return encode(features, encoders.size());
    }

    /** The clips after the subsampling and the first {@code blocks} conformer blocks (tests locate differences). */
    List<Tensor> encode(List<Tensor> features, int blocks) {
        int[] frames = new int[features.size()];
        for (int i = 0; i < frames.length; i++) {
            frames[i] = (int) features.get(i).size(0);
        }
        Tensor subsampled = embed.forward(encoderEmbedding.forward(padBatch(features, frames)), frames);

        // every clip as one sequence, or as chunks of MAX_SEQ_LEN rows when longer
        List<Chunk> chunks = new ArrayList<>();
        for (int clip = 0; clip < frames.length; clip++) {
            int rows = outputLength(frames[clip]);
            if (rows <= MAX_SEQ_LEN) {
                chunks.add(new Chunk(clip, 0, rows, rows));
            } else {
                for (int start = 0; start < rows; start += MAX_SEQ_LEN) {
                    chunks.add(new Chunk(clip, start, Math.min(MAX_SEQ_LEN, rows - start), MAX_SEQ_LEN));
                }
            }
        }
        int length = chunks.stream().mapToInt(Chunk::attended).max().orElseThrow();
        Tensor x = gatherChunks(subsampled, chunks, length);
        Tensor bias = relativeAttentionBias.forward(length).to(x);
        Tensor keyMask = keyMask(chunks, length);
        if (keyMask != null) {
            bias = bias.add(keyMask.to(x));
        }
        for (int i = 0; i < blocks; i++) {
            x = encoders.get(i).forward(x, bias);
        }
        return scatterChunks(x, chunks, frames.length);
    }

    /**
     * A clip's rows {@code start .. start + rows} of the subsampled batch, zero rows after them up to
     * {@code attended} (the padding of a clip's last chunk, which its queries attend to), and masked keys after that.
     */
    private record Chunk(int clip, int start, int rows, int attended) {
    }

    private static Tensor padBatch(List<Tensor> features, int[] frames) {
        int longest = Arrays.stream(frames).max().orElseThrow();
        Tensor[] padded = new Tensor[features.size()];
        for (int i = 0; i < padded.length; i++) {
            Tensor f = features.get(i);
            padded[i] = frames[i] == longest ? f : torch.constant_pad_nd(f, 0, 0, 0, longest - frames[i]);
        }
        return torch.stack(new TensorVector(padded), 0);
    }

    private static Tensor gatherChunks(Tensor subsampled, List<Chunk> chunks, int length) {
        Tensor[] rows = new Tensor[chunks.size()];
        for (int i = 0; i < rows.length; i++) {
            Chunk c = chunks.get(i);
            Tensor part = subsampled.select(0, c.clip()).narrow(0, c.start(), c.rows());
            rows[i] = c.rows() == length ? part : torch.constant_pad_nd(part, 0, 0, 0, length - c.rows());
        }
        return torch.stack(new TensorVector(rows), 0);
    }

    /** {@code [chunks, 1, 1, length]}: 0 for keys a chunk attends to, -inf after them; null when none is padded. */
    private static Tensor keyMask(List<Chunk> chunks, int length) {
        if (chunks.stream().allMatch(c -> c.attended() == length)) {
            return null;
        }
        long[] attended = chunks.stream().mapToLong(Chunk::attended).toArray();
        Tensor positions = torch.arange(new Scalar((long) length), new TensorOptions(ScalarType.Long));
        Tensor padded = positions.unsqueeze(0).ge(torch.tensor(attended, new TensorOptions(ScalarType.Long)).unsqueeze(1));
        Tensor mask = torch.zeros(new long[] {chunks.size(), length}, new TensorOptions(ScalarType.Float))
                .masked_fill(padded, new Scalar(Double.NEGATIVE_INFINITY));
        return mask.view(chunks.size(), 1, 1, length);
    }

    private static List<Tensor> scatterChunks(Tensor x, List<Chunk> chunks, int clips) {
        List<List<Tensor>> parts = new ArrayList<>();
        for (int i = 0; i < clips; i++) {
            parts.add(new ArrayList<>());
        }
        for (int i = 0; i < chunks.size(); i++) {
            Chunk c = chunks.get(i);
            parts.get(c.clip()).add(x.select(0, i).narrow(0, 0, c.rows()));
        }
        List<Tensor> out = new ArrayList<>();
        for (List<Tensor> p : parts) {
            out.add(p.size() == 1 ? p.get(0) : torch.cat(new TensorVector(p.toArray(new Tensor[0])), 0));
        }
        return out;
    }

    @Override
    public void close() {
        encoderEmbedding.close();
        embed.close();
        relativeAttentionBias.close();
        encoders.forEach(ConformerEncoderLayer::close);
    }
}
