package ai.tessera.qwen25vl;

import java.util.ArrayList;
import java.util.List;

import ai.tessera.api.ModelContext;
import ai.tessera.api.ModelLoadException;
import ai.tessera.nn.CosSin;
import ai.tessera.nn.ForwardScope;
import ai.tessera.nn.SiluAndMul;
import ai.tessera.nn.WeightPrefix;
import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;

/**
 * The vision tower ({@code Qwen2_5_VisionTransformerPretrainedModel}): patch embedding, the patches reordered so that
 * each attention window is contiguous, the blocks (windowed attention except the {@code fullatt_block_indexes},
 * which attend over whole frames), the patch merger, and the merged tokens put back in the processor's order. It runs
 * eagerly. Any number of images and videos go through one call; nothing crosses from one to another, since every
 * window and frame belongs to one of them.
 */
final class VisionTransformer implements AutoCloseable {
    private final VisionConfig config;
    private final VisionPatchEmbed patchEmbed;
    private final VisionRotaryEmbedding rotaryPosEmb;
    private final List<VisionBlock> blocks;
    private final PatchMerger merger;
    private final Device device;

    private VisionTransformer(VisionConfig config, VisionPatchEmbed patchEmbed, VisionRotaryEmbedding rotaryPosEmb,
                              List<VisionBlock> blocks, PatchMerger merger, Device device) {
        this.config = config;
        this.patchEmbed = patchEmbed;
        this.rotaryPosEmb = rotaryPosEmb;
        this.blocks = List.copyOf(blocks);
        this.merger = merger;
        this.device = device;
    }

    static VisionTransformer load(ModelContext context, VisionConfig config, WeightPrefix prefix)
            throws ModelLoadException {
        List<AutoCloseable> built = new ArrayList<>();
        try {
            VisionPatchEmbed patchEmbed = Modules.track(built,
                    VisionPatchEmbed.load(context.weights(), config, prefix.child("patch_embed")));
            List<VisionBlock> blocks = new ArrayList<>();
            SiluAndMul act = SiluAndMul.forEncoder(context);
            for (int i = 0; i < config.depth(); i++) {
                blocks.add(Modules.track(built, VisionBlock.load(context.weights(), act, config,
                        prefix.child("blocks").child(i))));
            }
            PatchMerger merger = Modules.track(built, PatchMerger.load(context.weights(), config,
                    prefix.child("merger")));
            Device device = context.platform().device();
            return new VisionTransformer(config, patchEmbed,
                    new VisionRotaryEmbedding(config.headDim(), config.ropeTheta(), device), blocks, merger, device);
        } catch (ModelLoadException | RuntimeException e) {
            Modules.closeAll(built, e);
            throw e;
        }
    }

    VisionConfig config() {
        return config;
    }

    List<VisionBlock> blocks() {
        return blocks;
    }

    VisionRotaryEmbedding rotaryPosEmb() {
        return rotaryPosEmb;
    }

    /**
     * @param pixels the items' patches one after the other, {@code [patches, channels·t·p·p]} in the model's dtype
     * @param grids  each item's grid, in the same order
     * @return {@code [patches / m², out_hidden_size]}: each item's tokens, in order
     */
    Tensor forward(Tensor pixels, List<VisionGrid> grids) {
        int merge = config.spatialMergeSize();
        VisionLayout layout = VisionLayout.of(grids, merge, config.mergedWindowSide());
        Tensor windowOrder = indices(layout.patchWindowOrder(merge));
        Tensor hidden = patchEmbed.forward(pixels).index_select(0, windowOrder);
        CosSin rotary = rotaryPosEmb.cosSin(indices(layout.heightPositions()), indices(layout.widthPositions()));
        CosSin cosSin = new CosSin(rotary.cos().index_select(0, windowOrder), rotary.sin().index_select(0, windowOrder));
        PackedSegments windows = PackedSegments.of(layout.windowSeqlens(), device);
        PackedSegments frames = PackedSegments.of(layout.frameSeqlens(), device);
        for (int i = 0; i < blocks.size(); i++) {
            PackedSegments segments = config.fullAttBlockIndexes().contains(i) ? frames : windows;
            try (ForwardScope blockScope = new ForwardScope()) {
                hidden = blockScope.keep(blocks.get(i).forward(hidden, cosSin, segments));
            }
        }
        return merger.forward(hidden).index_select(0, indices(layout.reverseWindowIndex()));
    }

    private Tensor indices(long[] values) {
        return torch.tensor(values).to(device, ScalarType.Long);
    }

    @Override
    public void close() {
        patchEmbed.close();
        blocks.forEach(VisionBlock::close);
        merger.close();
        rotaryPosEmb.close();
    }
}
