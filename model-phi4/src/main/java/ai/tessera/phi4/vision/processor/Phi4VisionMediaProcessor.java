package ai.tessera.phi4.vision.processor;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;

import ai.tessera.api.MediaInput;
import ai.tessera.api.MediaProcessor;
import ai.tessera.api.MultimodalItem;
import ai.tessera.api.MultimodalPrompt;
import ai.tessera.media.ImageDecoding;
import ai.tessera.media.RgbImage;
import ai.tessera.phi4.vision.ImageInputs;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptions;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;

/**
 * Phi-4-reasoning-vision's processing bound to one model's settings. The checkpoint's template writes
 * {@code <image>} where an image goes and its processor splices the features in there; vLLM (phi4siglip.py)
 * replaces that text with as many {@code <|dummy_0|>} tokens (id 100256, a reserved token of the Phi-4 vocabulary)
 * as the image has patches. Here the placeholder text is {@code <|dummy_0|>} itself, an added token that the
 * tokenizer keeps whole, so the expanded prompt is the one vLLM builds, found by token id rather than by text.
 */
final class Phi4VisionMediaProcessor implements MediaProcessor {
    static final String IMAGE = "image";
    static final int IMAGE_TOKEN_ID = 100256;
    static final String IMAGE_PLACEHOLDER = "<|dummy_0|>";
    /** Pillow's decompression-bomb limit ({@code Image.MAX_IMAGE_PIXELS}): larger images are refused. */
    static final long MAX_PIXELS = 89_478_485L;

    private final ProcessorSettings settings;

    Phi4VisionMediaProcessor(ProcessorSettings settings) {
        this.settings = settings;
    }

    ProcessorSettings settings() {
        return settings;
    }

    @Override
    public String placeholderText(String modality, int index) {
        if (!IMAGE.equals(modality)) {
            throw new IllegalArgumentException("Phi4ForCausalLMV accepts images only, got " + modality);
        }
        return IMAGE_PLACEHOLDER;
    }

    @Override
    public MultimodalPrompt process(int[] promptTokenIds, List<MediaInput> media, Map<String, Object> kwargs) {
        ProcessorSettings request = settings.withKwargs(kwargs);
        List<Integer> placeholders = new ArrayList<>();
        for (int i = 0; i < promptTokenIds.length; i++) {
            if (promptTokenIds[i] == IMAGE_TOKEN_ID) {
                placeholders.add(i);
            }
        }
        if (placeholders.size() != media.size()) {
            throw new IllegalArgumentException("the prompt holds " + placeholders.size() + " image placeholder(s) ("
                    + IMAGE_PLACEHOLDER + ", token " + IMAGE_TOKEN_ID + ") but " + media.size()
                    + " image(s) were given");
        }
        NaflexImageProcessor processor = new NaflexImageProcessor(request);
        List<NaflexImageProcessor.Patches> images = new ArrayList<>();
        int total = promptTokenIds.length - media.size();
        for (MediaInput input : media) {
            NaflexImageProcessor.Patches patches = processor.process(decode(input));
            images.add(patches);
            total += patches.count();
        }
        int[] expanded = new int[total];
        List<MultimodalItem> items = new ArrayList<>();
        try {
            int from = 0;
            int to = 0;
            for (int i = 0; i < images.size(); i++) {
                int at = placeholders.get(i);
                System.arraycopy(promptTokenIds, from, expanded, to, at - from);
                to += at - from;
                NaflexImageProcessor.Patches patches = images.get(i);
                java.util.Arrays.fill(expanded, to, to + patches.count(), IMAGE_TOKEN_ID);
                items.add(new MultimodalItem(IMAGE, to, patches.count(), tensors(patches),
                        contentHash(media.get(i), request)));
                to += patches.count();
                from = at + 1;
            }
            System.arraycopy(promptTokenIds, from, expanded, to, promptTokenIds.length - from);
            return new MultimodalPrompt(expanded, items, null, 0);
        } catch (RuntimeException e) {
            items.forEach(MultimodalItem::close);
            throw e;
        }
    }

    private static RgbImage decode(MediaInput input) {
        if (!IMAGE.equals(input.modality())) {
            throw new IllegalArgumentException("Phi4ForCausalLMV accepts images only, got " + input.modality() + " from "
                    + input.source());
        }
        if (input.data().size() != 1) {
            throw new IllegalArgumentException("an image must be one file, got " + input.data().size()
                    + " parts from " + input.source());
        }
        return ImageDecoding.decode(input.data().get(0), input.source(), MAX_PIXELS);
    }

    /** The item's inputs as the Hugging Face processor names them, batch dimension 1, on the CPU. */
    private static Map<String, Tensor> tensors(NaflexImageProcessor.Patches patches) {
        Tensor pixelValues = torch.tensor(patches.values(), new TensorOptions(ScalarType.Float))
                .reshape(1, patches.padLength(), patches.featureSize());
        int[] mask = new int[patches.padLength()];
        java.util.Arrays.fill(mask, 0, patches.count(), 1);
        Tensor attentionMask = torch.tensor(mask, new TensorOptions(ScalarType.Int)).reshape(1, patches.padLength());
        Tensor spatialShapes = torch.tensor(new long[] {patches.patchRows(), patches.patchColumns()})
                .reshape(1, 2);
        return Map.of(ImageInputs.PIXEL_VALUES, pixelValues, ImageInputs.PIXEL_ATTENTION_MASK, attentionMask,
                ImageInputs.SPATIAL_SHAPES, spatialShapes);
    }

    private static String contentHash(MediaInput input, ProcessorSettings settings) {
        try {
            MessageDigest digest = MessageDigest.getInstance("SHA-256");
            digest.update(("phi4v-naflex|" + settings + "|").getBytes(StandardCharsets.UTF_8));
            digest.update(input.data().get(0));
            return HexFormat.of().formatHex(digest.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JVM", e);
        }
    }
}
