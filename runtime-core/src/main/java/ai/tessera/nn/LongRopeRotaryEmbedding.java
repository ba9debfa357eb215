package ai.tessera.nn;

import java.util.List;

import ai.tessera.api.AttentionMetadata;
import ai.tessera.api.ModelLoadException;
import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptions;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;

/**
 * LongRoPE (Phi-3's {@code longrope}, once {@code su}): each channel's wavelength is stretched by
 * {@code short_factor} while a sequence fits {@code original_max_position_embeddings} and by {@code long_factor}
 * beyond it, and cos and sin are scaled by {@code sqrt(1 + ln(s) / ln(original))} with
 * {@code s = max_position_embeddings / original} (or the given {@code factor} / {@code attention_factor}).
 *
 * <p>The factors a step uses follow transformers: a forward pass over positions up to {@code p} uses the long
 * factors when {@code p + 1 > original_max_position_embeddings}. In a packed step this is decided per sequence,
 * from its context length, so batching does not change a sequence's result. Keys cached before a sequence crossed
 * the boundary were rotated with the short factors; see {@link #invalidatesCache}.
 */
public final class LongRopeRotaryEmbedding implements RotaryEmbedding {
    private final int rotaryDim;
    private final int originalMaxPositionEmbeddings;
    private final double attentionScaling;
    private final Tensor shortInvFreq;
    private final Tensor longInvFreq;

    public LongRopeRotaryEmbedding(int rotaryDim, double theta, List<Double> shortFactor, List<Double> longFactor,
                                   int originalMaxPositionEmbeddings, double attentionScaling, Device device) {
        if (rotaryDim <= 0 || rotaryDim % 2 != 0) {
            throw new IllegalArgumentException("the rotary dimension must be positive and even, got " + rotaryDim);
        }
        this.rotaryDim = rotaryDim;
        this.originalMaxPositionEmbeddings = originalMaxPositionEmbeddings;
        this.attentionScaling = attentionScaling;
        Tensor basePowers = RopeMath.basePowers(theta, rotaryDim);
        this.shortInvFreq = Weights.hold(scaledInverse(basePowers, shortFactor, "short_factor", device));
        this.longInvFreq = Weights.hold(scaledInverse(basePowers, longFactor, "long_factor", device));
    }

    /** From standardized parameters, checking the factor lengths as transformers' Phi3Config does. */
    public static LongRopeRotaryEmbedding create(RopeParameters rope, int headDim, Device device)
            throws ModelLoadException {
        int rotaryDim = rope.rotaryDim(headDim);
        checkLength("short_factor", rope.shortFactor(), rotaryDim);
        checkLength("long_factor", rope.longFactor(), rotaryDim);
        return new LongRopeRotaryEmbedding(rotaryDim, rope.theta(), rope.shortFactor(), rope.longFactor(),
                rope.originalMaxPositionEmbeddings(), attentionScaling(rope), device);
    }

    private static void checkLength(String name, List<Double> factors, int rotaryDim) throws ModelLoadException {
        if (factors.size() != rotaryDim / 2) {
            throw new ModelLoadException("config.json rope " + name + " must have " + rotaryDim / 2
                    + " entries (half of " + rotaryDim + " rotated channels), got " + factors.size());
        }
    }

    /**
     * {@code attention_factor} when given, else {@code sqrt(1 + ln(factor) / ln(original))} (1 when
     * {@code factor <= 1}), with {@code factor} defaulting to {@code max_position_embeddings / original}.
     */
    public static double attentionScaling(RopeParameters rope) {
        if (rope.attentionFactor().isPresent()) {
            return rope.attentionFactor().getAsDouble();
        }
        double original = rope.originalMaxPositionEmbeddings();
        double factor = rope.factor().orElse(rope.maxPositionEmbeddings() / original);
        return factor <= 1.0 ? 1.0 : Math.sqrt(1 + Math.log(factor) / Math.log(original));
    }

    /** {@code 1 / (factors * theta^(2i/d))} in float32, as transformers rounds the factors to float32 first. */
    private static Tensor scaledInverse(Tensor basePowers, List<Double> factors, String name, Device device) {
        if (factors.size() != basePowers.size(0)) {
            throw new IllegalArgumentException(name + " must have " + basePowers.size(0) + " entries, got "
                    + factors.size());
        }
        float[] values = new float[factors.size()];
        for (int i = 0; i < values.length; i++) {
            values[i] = factors.get(i).floatValue();
        }
        Tensor extFactors = torch.tensor(values, new TensorOptions(ScalarType.Float));
        return extFactors.mul(basePowers).reciprocal().unsqueeze(0).to(device, ScalarType.Float);
    }

    public double attentionScaling() {
        return attentionScaling;
    }

    public int originalMaxPositionEmbeddings() {
        return originalMaxPositionEmbeddings;
    }

    /** float32 {@code [1, rotaryDim/2]} used while a sequence fits the original context. */
    public Tensor shortInverseFrequencies() {
        return shortInvFreq;
    }

    /** float32 {@code [1, rotaryDim/2]} used once a sequence is longer. */
    public Tensor longInverseFrequencies() {
        return longInvFreq;
    }

    @Override
    public int rotaryDim() {
        return rotaryDim;
    }

    @Override
    public CosSin cosSin(Tensor positions, AttentionMetadata attention, ScalarType dtype) {
        boolean anyLong = false;
        boolean anyShort = false;
        long[] useLong = new long[(int) positions.size(0)];
        for (AttentionMetadata.Sequence seq : attention.sequences()) {
            boolean isLong = usesLongFactors(seq.knownLength());
            anyLong |= isLong;
            anyShort |= !isLong;
            for (int t = seq.queryStart(); t < seq.queryStart() + seq.queryLength(); t++) {
                useLong[t] = isLong ? 1 : 0;
            }
        }
        Tensor invFreq;
        if (!anyLong || !anyShort) {
            invFreq = anyLong ? longInvFreq : shortInvFreq;
        } else {
            Tensor mask = torch.tensor(useLong).to(positions.device(), ScalarType.Bool).unsqueeze(1);
            invFreq = torch.where(mask, longInvFreq, shortInvFreq);
        }
        return RopeMath.cosSin(positions, invFreq, attentionScaling, dtype);
    }

    /** transformers' rule: {@code max(position_ids) + 1 > original_max_position_embeddings}. */
    public boolean usesLongFactors(int contextLength) {
        return contextLength > originalMaxPositionEmbeddings;
    }

    /**
     * transformers' Phi-3 {@code prepare_inputs_for_generation} drops the cache when a sequence first grows past the
     * original context, so that the whole sequence is recomputed with the long factors; an engine matches it by
     * prefilling the sequence again.
     */
    @Override
    public int recomputeBeyond() {
        return originalMaxPositionEmbeddings;
    }

    @Override
    public void close() {
        Weights.release(shortInvFreq);
        Weights.release(longInvFreq);
    }
}
