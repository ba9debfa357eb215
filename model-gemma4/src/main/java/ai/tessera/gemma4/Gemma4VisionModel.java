package ai.tessera.gemma4;

import java.util.ArrayList;
import java.util.List;

import ai.tessera.api.ModelLoadException;
import ai.tessera.api.WeightSource;
import ai.tessera.nn.CosSin;
import ai.tessera.nn.ForwardScope;
import ai.tessera.nn.Linear;
import ai.tessera.nn.WeightPrefix;
import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch.ScalarType;

/**
 * The Gemma 4 vision tower and its projection into the text model ({@code Gemma4VisionModel} +
 * {@code Gemma4MultimodalEmbedder} as {@code embed_vision}):
 * <ol>
 *   <li>patch embedder: {@code input_proj(2(x − 0.5)) + table[0][x] + table[1][y]};</li>
 *   <li>the encoder layers over the image's patches;</li>
 *   <li>pooler: the average of each 3×3 block of patches (raster order of blocks) in float32, times
 *       {@code sqrt(hidden_size)};</li>
 *   <li>with {@code standardize}: {@code (h − std_bias) · std_scale};</li>
 *   <li>{@code embed_vision}: RMSNorm without weight (the tower's eps), then a linear to the text width.</li>
 * </ol>
 * transformers pads every image to {@code max_soft_tokens · 9} patches and masks the padding out of attention and
 * pooling; encoding the real patches alone gives the same rows.
 */
final class Gemma4VisionModel implements AutoCloseable {
    private final Gemma4VisionConfig config;
    private final Linear inputProj;
    private final Tensor positionTable;
    private final List<Gemma4VisionEncoderLayer> layers;
    private final Gemma4VisionRotary rotary;
    private final Tensor stdBias;
    private final Tensor stdScale;
    private final Gemma4RmsNorm embedNorm;
    private final Linear embedProjection;

    private Gemma4VisionModel(Gemma4VisionConfig config, Linear inputProj, Tensor positionTable,
                              List<Gemma4VisionEncoderLayer> layers, Gemma4VisionRotary rotary, Tensor stdBias,
                              Tensor stdScale, Gemma4RmsNorm embedNorm, Linear embedProjection) {
        this.config = config;
        this.inputProj = inputProj;
        this.positionTable = Held.hold(positionTable);
        this.layers = List.copyOf(layers);
        this.rotary = rotary;
        this.stdBias = Held.hold(stdBias);
        this.stdScale = Held.hold(stdScale);
        this.embedNorm = embedNorm;
        this.embedProjection = embedProjection;
    }

    /**
     * @param tower    {@code model.vision_tower}
     * @param embedder {@code model.embed_vision}
     */
    static Gemma4VisionModel load(WeightSource weights, Gemma4VisionConfig c, WeightPrefix tower,
                                  WeightPrefix embedder, int textHidden, Device device) throws ModelLoadException {
        try (LoadGuard guard = new LoadGuard()) {
            WeightPrefix patch = tower.child("patch_embedder");
            Linear inputProj = guard.add(Linear.load(weights, patch.child("input_proj"),
                    3L * c.patchSize() * c.patchSize(), c.hiddenSize(), false));
            Tensor table = weights.load(patch.tensor("position_embedding_table"), 2, c.positionEmbeddingSize(),
                    c.hiddenSize());
            List<Gemma4VisionEncoderLayer> layers = new ArrayList<>();
            for (int i = 0; i < c.numHiddenLayers(); i++) {
                layers.add(guard.add(Gemma4VisionEncoderLayer.load(weights, c,
                        tower.child("encoder").child("layers").child(i))));
            }
            Gemma4VisionRotary rotary = guard.add(Gemma4VisionRotary.create(c.headDim(), c.ropeTheta(), device));
            Tensor bias = c.standardize() ? weights.load(tower.tensor("std_bias"), c.hiddenSize()) : null;
            Tensor scale = c.standardize() ? weights.load(tower.tensor("std_scale"), c.hiddenSize()) : null;
            Gemma4RmsNorm norm = guard.add(Gemma4RmsNorm.withoutScale(c.rmsNormEps()));
            Linear projection = guard.add(Linear.load(weights, embedder.child("embedding_projection"),
                    c.hiddenSize(), textHidden, false));
            return guard.done(new Gemma4VisionModel(c, inputProj, table, layers, rotary, bias, scale, norm,
                    projection));
        }
    }

    Gemma4VisionConfig config() {
        return config;
    }

    /** Intermediate results, for tests. */
    interface Tap {
        Tap NONE = new Tap() {
        };

        default void patchEmbeddings(Tensor hidden) {
        }

        default void layerOutput(int layer, Tensor hidden) {
        }

        /** After pooling and standardizing, before {@code embed_vision}. */
        default void towerOutput(Tensor hidden) {
        }
    }

    /**
     * The soft tokens of one image.
     *
     * @param pixelValues float {@code [patches, 3·patch²]}: the image's real patches
     * @param positions   int64 {@code [patches, 2]}: (x, y) of each, a full grid in raster order
     * @return {@code [patches / pooling², text hidden]}
     */
    Tensor embedImage(Tensor pixelValues, Tensor positions, ScalarType dtype, Tap tap) {
        try (ForwardScope scope = new ForwardScope()) {
            long patches = pixelValues.size(0);
            Tensor x = pixelValues.to(dtype).sub(new Scalar(0.5)).mul(new Scalar(2.0));
            Tensor hidden = inputProj.forward(x)
                    .add(positionTable.select(0, 0).index_select(0, positions.select(1, 0))
                            .add(positionTable.select(0, 1).index_select(0, positions.select(1, 1))).to(dtype));
            tap.patchEmbeddings(hidden);
            CosSin cosSin = rotary.cosSin(positions);
            CosSin typed = new CosSin(cosSin.cos().to(dtype), cosSin.sin().to(dtype));
            for (int i = 0; i < layers.size(); i++) {
                hidden = layers.get(i).forward(hidden, typed);
                tap.layerOutput(i, hidden);
            }
            Tensor pooled = pool(hidden, positions, patches);
            if (stdBias != null) {
                pooled = pooled.sub(stdBias.to(pooled.scalar_type())).mul(stdScale.to(pooled.scalar_type()));
            }
            tap.towerOutput(pooled);
            return scope.keep(embedProjection.forward(embedNorm.forward(pooled)));
        }
    }

    /** The average of each k×k block of the patch grid, blocks in raster order, in float32, × sqrt(hidden). */
    private Tensor pool(Tensor hidden, Tensor positions, long patches) {
        int k = config.poolingKernelSize();
        long columns = positions.select(1, 0).max().item_long() + 1;
        long rows = patches / columns;
        if (rows * columns != patches || rows % k != 0 || columns % k != 0) {
            throw new IllegalArgumentException("image_position_ids must be a full grid whose sides are multiples of "
                    + k + ", got " + patches + " patches in " + columns + " columns");
        }
        Tensor blocks = hidden.to(ScalarType.Float).view(rows / k, k, columns / k, k, -1).permute(0, 2, 1, 3, 4)
                .reshape((rows / k) * (columns / k), (long) k * k, -1);
        Tensor pooled = blocks.mul(new Scalar(1.0 / (k * k))).sum(new long[] {1}, false,
                new org.bytedeco.pytorch.ScalarTypeOptional());
        return pooled.to(hidden.scalar_type()).mul(new Scalar(Math.sqrt(config.hiddenSize())));
    }

    @Override
    public void close() {
        inputProj.close();
        Held.release(positionTable);
        layers.forEach(Gemma4VisionEncoderLayer::close);
        rotary.close();
        Held.release(stdBias);
        Held.release(stdScale);
        embedNorm.close();
        embedProjection.close();
    }
}
