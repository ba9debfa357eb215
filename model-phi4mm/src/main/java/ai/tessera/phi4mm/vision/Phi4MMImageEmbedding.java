package ai.tessera.phi4mm.vision;

import java.util.ArrayList;
import java.util.List;

import ai.tessera.api.ModelLoadException;
import ai.tessera.api.MultimodalItem;
import ai.tessera.api.WeightSource;
import ai.tessera.nn.ForwardScope;
import ai.tessera.nn.Linear;
import ai.tessera.nn.WeightPrefix;
import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.LongOptional;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorVector;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;

/**
 * {@code model.embed_tokens_extend.image_embed} of Phi-4-multimodal: the SigLIP tower over the global image and
 * the sub-crops, 2x2 average pooling of the patch features, then the HD transform in {@code sub_glb} order, as in
 * the checkpoint and transformers' {@code Phi4MultimodalImageEmbedding}:
 * <pre>
 *   sub crops joined into one grid, cut to its unpadded rows/columns, each row followed by sub_GN
 *   + glb_GN
 *   + the global image's 16x16 grid, each row followed by sub_GN
 * </pre>
 * projected by {@code img_projection} (Linear, GELU, Linear). Images of different crop counts need no padding
 * here: every crop is its own tower sequence, so the crops of all items are simply concatenated.
 */
public final class Phi4MMImageEmbedding implements AutoCloseable {
    /** Crops per tower pass: bounds the attention scores' memory for many large images. */
    private static final int CROPS_PER_PASS = 16;

    private final SiglipVisionTower tower;
    private final Tensor glbGn;
    private final Tensor subGn;
    private final Linear projectionUp;
    private final Linear projectionDown;
    private final SiglipVisionConfig config;
    private final int cropSize;

    private Phi4MMImageEmbedding(SiglipVisionTower tower, Tensor glbGn, Tensor subGn, Linear up, Linear down,
                                 SiglipVisionConfig config, int cropSize) {
        this.tower = tower;
        this.glbGn = glbGn;
        this.subGn = subGn;
        this.projectionUp = up;
        this.projectionDown = down;
        this.config = config;
        this.cropSize = cropSize;
        glbGn.retainReference();
        subGn.retainReference();
    }

    public static Phi4MMImageEmbedding load(WeightSource weights, WeightPrefix prefix, SiglipVisionConfig config,
                                            int cropSize, int textHidden) throws ModelLoadException {
        long d = config.hiddenSize();
        SiglipVisionTower tower = SiglipVisionTower.load(weights, prefix.child("img_processor"), config);
        try {
            Tensor glb = weights.load(prefix.tensor("glb_GN"), 1, 1, d);
            Tensor sub = weights.load(prefix.tensor("sub_GN"), 1, 1, 1, d);
            Linear up = Linear.load(weights, prefix.child("img_projection").child(0), d, textHidden, true);
            Linear down = Linear.load(weights, prefix.child("img_projection").child(2), textHidden, textHidden, true);
            return new Phi4MMImageEmbedding(tower, glb, sub, up, down, config, cropSize);
        } catch (ModelLoadException | RuntimeException e) {
            tower.close();
            throw e;
        }
    }

    /** One {@code [tokens, text_hidden]} per image item, in order. */
    public List<Tensor> embed(List<MultimodalItem> items, Device device, ScalarType dtype) {
        if (items.isEmpty()) {
            return List.of();
        }
        List<Tensor> out = new ArrayList<>();
        try (ForwardScope scope = new ForwardScope()) {
            List<Tensor> pixels = new ArrayList<>();
            List<Tensor> masks = new ArrayList<>();
            for (MultimodalItem item : items) {
                Tensor pv = item.input(ImageInputs.PIXEL_VALUES);
                Tensor mask = item.input(ImageInputs.ATTENTION_MASK);
                int side = config.patchesPerSide();
                if (pv.dim() != 4 || pv.size(1) != 3 || pv.size(2) != cropSize || pv.size(3) != cropSize
                        || mask.dim() != 3 || mask.size(0) != pv.size(0) || mask.size(1) != side
                        || mask.size(2) != side) {
                    throw new IllegalArgumentException("the image at token " + item.offset() + " needs "
                            + ImageInputs.PIXEL_VALUES + " [crops, 3, " + cropSize + ", " + cropSize + "] and "
                            + ImageInputs.ATTENTION_MASK + " [crops, " + side + ", " + side + "], got "
                            + java.util.Arrays.toString(pv.shape()) + " and "
                            + java.util.Arrays.toString(mask.shape()));
                }
                pixels.add(pv);
                masks.add(mask);
            }
            Tensor allPixels = cat(pixels);
            Tensor allMasks = cat(masks);
            Tensor features = compressedFeatures(allPixels, allMasks, device, dtype);
            long start = 0;
            for (int i = 0; i < items.size(); i++) {
                long crops = pixels.get(i).size(0);
                Tensor hd = hdTransform(items.get(i), features.narrow(0, start, crops), masks.get(i), device);
                out.add(scope.keep(projectionDown.forward(torch.gelu(projectionUp.forward(hd), "none"))));
                start += crops;
            }
        }
        return out;
    }

    /** Tower features at the feature layer, 2x2 average-pooled: {@code [crops, (side/2)², hidden]}. */
    private Tensor compressedFeatures(Tensor pixels, Tensor masks, Device device, ScalarType dtype) {
        List<Tensor> parts = new ArrayList<>();
        int side = config.patchesPerSide();
        long d = config.hiddenSize();
        for (long from = 0; from < pixels.size(0); from += CROPS_PER_PASS) {
            long n = Math.min(CROPS_PER_PASS, pixels.size(0) - from);
            Tensor px = pixels.narrow(0, from, n).to(device, dtype);
            Tensor hidden = tower.forward(px, masks.narrow(0, from, n), device);
            Tensor grid = hidden.view(n, side, side, d).permute(0, 3, 1, 2);
            Tensor pooled = torch.avg_pool2d(grid, new long[] {2, 2}, new long[] {2, 2}, new long[] {0, 0}, false,
                    true, new LongOptional());
            parts.add(pooled.permute(0, 2, 3, 1).reshape(n, (long) (side / 2) * (side / 2), d));
        }
        return cat(parts);
    }

    /** The HD transform of one image: {@code [sub tokens + 1 + global tokens, hidden]}. */
    private Tensor hdTransform(MultimodalItem item, Tensor features, Tensor mask, Device device) {
        long d = config.hiddenSize();
        long base = config.patchesPerSide() / 2;
        Tensor hw = item.input(ImageInputs.IMAGE_SIZES).to(ScalarType.Long).reshape(-1);
        if (hw.size(0) != 2) {
            throw new IllegalArgumentException("the image at token " + item.offset() + " needs "
                    + ImageInputs.IMAGE_SIZES + " [height, width], got " + hw.size(0) + " values");
        }
        long h = hw.get(0).item_long() / cropSize;
        long w = hw.get(1).item_long() / cropSize;
        if (h * w + 1 != features.size(0)) {
            throw new IllegalArgumentException("the image at token " + item.offset() + " is " + h + "x" + w
                    + " crops by its image_sizes but has " + (features.size(0) - 1) + " sub-crops");
        }
        Tensor sub1 = subGn.to(device, features.scalar_type()).reshape(1, 1, d);
        Tensor global = features.get(0).reshape(base, base, d);
        global = torch.cat(new TensorVector(global, sub1.expand(base, 1, d)), 1).reshape(-1, d);

        Tensor sub = features.narrow(0, 1, h * w).reshape(h, w, base, base, d).transpose(1, 2)
                .reshape(h * base, w * base, d);
        Tensor subMask = mask.narrow(0, 1, h * w).slice(1, new LongOptional(0), new LongOptional(Long.MAX_VALUE), 2)
                .slice(2, new LongOptional(0), new LongOptional(Long.MAX_VALUE), 2)
                .reshape(h, w, base, base).transpose(1, 2).reshape(h * base, w * base);
        long usefulHeight = subMask.select(1, 0).sum().item_long();
        long usefulWidth = subMask.select(0, 0).sum().item_long();
        sub = sub.narrow(0, 0, usefulHeight).narrow(1, 0, usefulWidth);
        sub = torch.cat(new TensorVector(sub, sub1.expand(usefulHeight, 1, d)), 1).reshape(-1, d);

        Tensor glb = glbGn.to(device, features.scalar_type()).reshape(1, d);
        return torch.cat(new TensorVector(sub, glb, global), 0);
    }

    private static Tensor cat(List<Tensor> parts) {
        return parts.size() == 1 ? parts.get(0) : torch.cat(new TensorVector(parts.toArray(new Tensor[0])), 0);
    }

    @Override
    public void close() {
        tower.close();
        glbGn.releaseReference();
        subGn.releaseReference();
        projectionUp.close();
        projectionDown.close();
    }
}
