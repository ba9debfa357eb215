package ai.tessera.gemma4;

import java.util.ArrayList;
import java.util.List;

import ai.tessera.api.ModelLoadException;
import ai.tessera.api.WeightSource;
import ai.tessera.nn.ForwardScope;
import ai.tessera.nn.Linear;
import ai.tessera.nn.WeightPrefix;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptional;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;

/**
 * The Gemma 4 audio tower (USM conformer, {@code Gemma4AudioModel}) and its projection into the text model
 * ({@code Gemma4MultimodalEmbedder} as {@code embed_audio}):
 * <ol>
 *   <li>subsampling: twice [zero the invalid frames, 3×3 convolution with stride 2 over (time, mel), LayerNorm over
 *       the channels (no bias), ReLU], then the (mel/4 × channels) of each time step through a linear;</li>
 *   <li>the conformer layers ({@link Gemma4AudioLayer});</li>
 *   <li>{@code output_proj} (with bias);</li>
 *   <li>{@code embed_audio}: RMSNorm without weight (the tower's eps), then a linear to the text width.</li>
 * </ol>
 * Rows past the valid ones are dropped after the subsampling: transformers computes them but masks them out of
 * attention, the convolution module is causal, and it drops them from the output.
 */
final class Gemma4AudioModel implements AutoCloseable {
    private final Gemma4AudioConfig config;
    private final Tensor[] convWeights;
    private final Tensor[] convNormWeights;
    private final Linear inputProj;
    private final List<Gemma4AudioLayer> layers;
    private final Linear outputProj;
    private final Gemma4RmsNorm embedNorm;
    private final Linear embedProjection;

    private Gemma4AudioModel(Gemma4AudioConfig config, Tensor[] convWeights, Tensor[] convNormWeights,
                             Linear inputProj, List<Gemma4AudioLayer> layers, Linear outputProj,
                             Gemma4RmsNorm embedNorm, Linear embedProjection) {
        this.config = config;
        this.convWeights = convWeights;
        this.convNormWeights = convNormWeights;
        for (int i = 0; i < convWeights.length; i++) {
            Held.hold(convWeights[i]);
            Held.hold(convNormWeights[i]);
        }
        this.inputProj = inputProj;
        this.layers = List.copyOf(layers);
        this.outputProj = outputProj;
        this.embedNorm = embedNorm;
        this.embedProjection = embedProjection;
    }

    /**
     * @param tower    {@code model.audio_tower}
     * @param embedder {@code model.embed_audio}
     */
    static Gemma4AudioModel load(WeightSource weights, Gemma4AudioConfig c, WeightPrefix tower, WeightPrefix embedder,
                                 int textHidden) throws ModelLoadException {
        try (LoadGuard guard = new LoadGuard()) {
            WeightPrefix subsampling = tower.child("subsample_conv_projection");
            int[] channels = c.subsamplingChannels();
            Tensor[] conv = new Tensor[2];
            Tensor[] norm = new Tensor[2];
            int in = 1;
            for (int i = 0; i < 2; i++) {
                WeightPrefix layer = subsampling.child("layer" + i);
                conv[i] = weights.load(layer.child("conv").tensor("weight"), channels[i], in, 3, 3);
                norm[i] = weights.load(layer.child("norm").tensor("weight"), channels[i]);
                in = channels[i];
            }
            long frequencies = Gemma4AudioConfig.MEL_BINS / 4;
            Linear inputProj = guard.add(Linear.load(weights, subsampling.child("input_proj_linear"),
                    frequencies * channels[1], c.hiddenSize(), false));
            List<Gemma4AudioLayer> layers = new ArrayList<>();
            for (int i = 0; i < c.numHiddenLayers(); i++) {
                layers.add(guard.add(Gemma4AudioLayer.load(weights, c, tower.child("layers").child(i))));
            }
            Linear outputProj = guard.add(Linear.load(weights, tower.child("output_proj"), c.hiddenSize(),
                    c.outputProjDims(), true));
            Gemma4RmsNorm embedNorm = guard.add(Gemma4RmsNorm.withoutScale(c.rmsNormEps()));
            Linear projection = guard.add(Linear.load(weights, embedder.child("embedding_projection"),
                    c.outputProjDims(), textHidden, false));
            return guard.done(new Gemma4AudioModel(c, conv, norm, inputProj, layers, outputProj, embedNorm,
                    projection));
        }
    }

    Gemma4AudioConfig config() {
        return config;
    }

    /** Intermediate results, for tests (valid rows only). */
    interface Tap {
        Tap NONE = new Tap() {
        };

        default void subsampled(Tensor hidden) {
        }

        default void layerOutput(int layer, Tensor hidden) {
        }

        /** After {@code output_proj}, before {@code embed_audio}. */
        default void towerOutput(Tensor hidden) {
        }
    }

    /**
     * The soft tokens of one clip.
     *
     * @param features    float32 {@code [frames, 128]} log-mel features, the invalid frames zero
     * @param validFrames the frames that hold audio (a prefix)
     * @return {@code [softTokens(validFrames), text hidden]} in {@code dtype}
     */
    Tensor embedAudio(Tensor features, int validFrames, ScalarType dtype, Tap tap) {
        if (features.dim() != 2 || features.size(1) != Gemma4AudioConfig.MEL_BINS) {
            throw new IllegalArgumentException("audio features must be [frames, " + Gemma4AudioConfig.MEL_BINS
                    + "], got " + java.util.Arrays.toString(features.sizes().vec().get()));
        }
        if (validFrames < 1 || validFrames > features.size(0)) {
            throw new IllegalArgumentException("valid frames must be within 1.." + features.size(0) + ", got "
                    + validFrames);
        }
        try (ForwardScope scope = new ForwardScope()) {
            Tensor x = features.to(dtype).unsqueeze(0).unsqueeze(0); // [1, 1, T, mel]
            long valid = validFrames;
            for (int i = 0; i < 2; i++) {
                x = subsample(x, i, valid);
                valid = (valid + 1) / 2;
            }
            long steps = x.size(2);
            Tensor hidden = inputProj.forward(x.permute(0, 2, 3, 1).reshape(steps, -1)).narrow(0, 0, valid);
            tap.subsampled(hidden);
            Tensor relative = Gemma4AudioAttention.relativePositions(config).to(dtype);
            Tensor mask = Gemma4AudioAttention.blockedMask(config, valid);
            for (int i = 0; i < layers.size(); i++) {
                hidden = layers.get(i).forward(hidden, relative, mask);
                tap.layerOutput(i, hidden);
            }
            Tensor out = outputProj.forward(hidden);
            tap.towerOutput(out);
            return scope.keep(embedProjection.forward(embedNorm.forward(out)));
        }
    }

    /** One subsampling block on {@code [1, C, T, F]}: the frames from {@code valid} on are zeroed first. */
    private Tensor subsample(Tensor x, int block, long valid) {
        long frames = x.size(2);
        if (valid < frames) {
            x = torch.constant_pad_nd(x.narrow(2, 0, valid), 0, 0, 0, frames - valid);
        }
        Tensor conv = torch.conv2d(x, convWeights[block].to(x.scalar_type()), new TensorOptional(),
                new long[] {2, 2}, new long[] {1, 1}, new long[] {1, 1}, 1);
        long channels = conv.size(1);
        Tensor normed = torch.layer_norm(conv.permute(0, 2, 3, 1), new long[] {channels},
                new TensorOptional(convNormWeights[block].to(x.scalar_type())), new TensorOptional(),
                config.rmsNormEps(), false);
        return torch.relu(normed).permute(0, 3, 1, 2);
    }

    @Override
    public void close() {
        for (int i = 0; i < convWeights.length; i++) {
            Held.release(convWeights[i]);
            Held.release(convNormWeights[i]);
        }
        inputProj.close();
        layers.forEach(Gemma4AudioLayer::close);
        outputProj.close();
        embedNorm.close();
        embedProjection.close();
    }
}
