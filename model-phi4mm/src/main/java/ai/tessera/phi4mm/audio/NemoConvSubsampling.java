package ai.tessera.phi4mm.audio;

import java.util.ArrayList;
import java.util.List;

import ai.tessera.api.ModelLoadException;
import ai.tessera.api.WeightSource;
import ai.tessera.nn.Linear;
import ai.tessera.nn.WeightPrefix;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptions;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;

/**
 * NeMo's "dw_striding" subsampling ({@code encoder.embed}): the mel spectrogram as a one-channel image
 * {@code [time, mel]}, a 3x3 stride-2 convolution and ReLU, then per further halving a depthwise 3x3 stride-2 and a
 * pointwise 1x1 convolution and ReLU; channels and remaining mel bins are flattened per frame and projected to the
 * conformer width ({@code out}). The checkpoint numbers the modules of its {@code nn.Sequential}, activations included:
 * {@code conv.0}, then {@code conv.2}/{@code conv.3}, {@code conv.5}/{@code conv.6}...
 *
 * <p>Clips of a batch are padded in time. A clip alone is zero-padded by each convolution right after its last frame,
 * so rows past each clip's length are zeroed before every strided convolution: each clip's rows then equal what it
 * gives alone.
 */
final class NemoConvSubsampling implements AutoCloseable {
    private final Convolution first;
    private final List<Convolution> depthwise;
    private final List<Convolution> pointwise;
    private final Linear out;

    private NemoConvSubsampling(Convolution first, List<Convolution> depthwise, List<Convolution> pointwise, Linear out) {
        this.first = first;
        this.depthwise = depthwise;
        this.pointwise = pointwise;
        this.out = out;
    }

    static NemoConvSubsampling load(WeightSource weights, WeightPrefix prefix, Phi4MMAudioConfig config)
            throws ModelLoadException {
        WeightPrefix conv = prefix.child("conv");
        long c = config.convChannels();
        Convolution first = Convolution.conv2d(weights, conv.child(0), 1, c, 3, 2, 1, 1);
        List<Convolution> depthwise = new ArrayList<>();
        List<Convolution> pointwise = new ArrayList<>();
        for (int stage = 1, index = 2; stage < config.subsamplingStages(); stage++, index += 3) {
            depthwise.add(Convolution.conv2d(weights, conv.child(index), c, c, 3, 2, 1, c));
            pointwise.add(Convolution.conv2d(weights, conv.child(index + 1), c, c, 1, 1, 0, 1));
        }
        Linear out = Linear.load(weights, prefix.child("out"), c * config.subsampledFrequencies(),
                config.attentionDim(), true);
        return new NemoConvSubsampling(first, depthwise, pointwise, out);
    }

    /**
     * @param features {@code [batch, time, mel]}
     * @param lengths  frames of each clip; rows past them are padding
     * @return {@code [batch, ceil(time / time_reduction), attention_dim]}; clip {@code b} owns its first
     *         {@link #outputLength}{@code (lengths[b])} rows
     */
    Tensor forward(Tensor features, int[] lengths) {
        int[] current = lengths.clone();
        Tensor x = zeroPastLengths(features.unsqueeze(1), current);
        x = torch.relu(first.forward(x));
        halve(current);
        for (int i = 0; i < depthwise.size(); i++) {
            x = zeroPastLengths(x, current);
            x = torch.relu(pointwise.get(i).forward(depthwise.get(i).forward(x)));
            halve(current);
        }
        long batch = x.size(0);
        long time = x.size(2);
        // [batch, channels, time, mel] -> [batch, time, channels * mel]: channel-major per frame, as NeMo flattens
        return out.forward(x.transpose(1, 2).reshape(batch, time, -1));
    }

    /** Rows a clip of {@code frames} frames keeps: each stride-2 convolution (kernel 3, padding 1) takes ceil(n/2). */
    static int outputLength(int frames, int stages) {
        int n = frames;
        for (int i = 0; i < stages; i++) {
            n = (n + 1) / 2;
        }
        return n;
    }

    private static void halve(int[] lengths) {
        for (int i = 0; i < lengths.length; i++) {
            lengths[i] = (lengths[i] + 1) / 2;
        }
    }

    /** {@code x [batch, channels, time, mel]} with the rows at or past {@code lengths[b]} set to zero. */
    private static Tensor zeroPastLengths(Tensor x, int[] lengths) {
        long time = x.size(2);
        boolean padded = false;
        for (int length : lengths) {
            padded |= length < time;
        }
        if (!padded) {
            return x;
        }
        long[] limits = new long[lengths.length];
        for (int i = 0; i < lengths.length; i++) {
            limits[i] = lengths[i];
        }
        // built on the CPU, then moved to x's device and dtype in one step
        Tensor rows = torch.arange(new Scalar(time), new TensorOptions(ScalarType.Long));
        Tensor keep = rows.unsqueeze(0).lt(torch.tensor(limits, new TensorOptions(ScalarType.Long)).unsqueeze(1));
        return x.mul(keep.to(x).view(lengths.length, 1, time, 1));
    }

    @Override
    public void close() {
        first.close();
        depthwise.forEach(Convolution::close);
        pointwise.forEach(Convolution::close);
        out.close();
    }
}
