package ai.tessera.gemma4;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;

import ai.tessera.api.MediaInput;
import ai.tessera.api.MediaProcessor;
import ai.tessera.api.MultimodalItem;
import ai.tessera.api.MultimodalPrompt;
import ai.tessera.media.ImageDecoding;
import ai.tessera.media.RgbImage;
import org.bytedeco.pytorch.Tensor;

/**
 * Gemma 4's image processing bound to one model: the chat template writes {@code <|image|>} where an image goes
 * (the placeholder text here too); {@code Gemma4Processor} replaces it by {@code <|image>} + N × {@code <|image|>}
 * + {@code <image|>}, N the image's soft tokens, and the N {@code <|image|>} tokens take the image's embeddings.
 */
final class Gemma4MediaProcessor implements MediaProcessor {
    static final String IMAGE = "image";
    static final String IMAGE_PLACEHOLDER = "<|image|>";
    static final String PIXEL_VALUES = "pixel_values";
    static final String IMAGE_POSITION_IDS = "image_position_ids";
    /** Pillow's decompression-bomb limit ({@code Image.MAX_IMAGE_PIXELS}): larger images are refused. */
    static final long MAX_PIXELS = 89_478_485L;

    private final Gemma4ImageSettings settings;
    private final int imageTokenId;
    private final int boiTokenId;
    private final int eoiTokenId;

    Gemma4MediaProcessor(Gemma4ImageSettings settings, int imageTokenId, int boiTokenId, int eoiTokenId) {
        this.settings = settings;
        this.imageTokenId = imageTokenId;
        this.boiTokenId = boiTokenId;
        this.eoiTokenId = eoiTokenId;
    }

    Gemma4ImageSettings settings() {
        return settings;
    }

    @Override
    public String placeholderText(String modality, int index) {
        if (!IMAGE.equals(modality)) {
            throw new IllegalArgumentException("Gemma4ForConditionalGeneration accepts images only here, got "
                    + modality);
        }
        return IMAGE_PLACEHOLDER;
    }

    @Override
    public MultimodalPrompt process(int[] promptTokenIds, List<MediaInput> media, Map<String, Object> kwargs) {
        Gemma4ImageSettings request = settings.withKwargs(kwargs);
        List<Integer> placeholders = new ArrayList<>();
        for (int i = 0; i < promptTokenIds.length; i++) {
            if (promptTokenIds[i] == imageTokenId) {
                placeholders.add(i);
            }
        }
        if (placeholders.size() != media.size()) {
            throw new IllegalArgumentException("the prompt holds " + placeholders.size() + " image placeholder(s) ("
                    + IMAGE_PLACEHOLDER + ", token " + imageTokenId + ") but " + media.size() + " image(s) were given");
        }
        Gemma4ImageProcessor processor = request.processor();
        List<ImagePatches> images = new ArrayList<>();
        List<MultimodalItem> items = new ArrayList<>();
        try {
            int total = promptTokenIds.length;
            for (MediaInput input : media) {
                ImagePatches patches = processor.process(decode(input));
                images.add(patches);
                total += patches.softTokens() + 1;
            }
            int[] expanded = new int[total];
            int from = 0;
            int to = 0;
            for (int i = 0; i < images.size(); i++) {
                int at = placeholders.get(i);
                System.arraycopy(promptTokenIds, from, expanded, to, at - from);
                to += at - from;
                ImagePatches patches = images.get(i);
                expanded[to++] = boiTokenId;
                Arrays.fill(expanded, to, to + patches.softTokens(), imageTokenId);
                items.add(new MultimodalItem(IMAGE, to, patches.softTokens(), Map.of(PIXEL_VALUES,
                        patches.pixelValues().unsqueeze(0), IMAGE_POSITION_IDS, patches.positions().unsqueeze(0)),
                        contentHash(media.get(i), request)));
                to += patches.softTokens();
                expanded[to++] = eoiTokenId;
                from = at + 1;
            }
            System.arraycopy(promptTokenIds, from, expanded, to, promptTokenIds.length - from);
            return new MultimodalPrompt(expanded, items, null, 0);
        } catch (RuntimeException e) {
            items.forEach(MultimodalItem::close);
            throw e;
        } finally {
            for (ImagePatches patches : images) {
                patches.pixelValues().close();
                patches.positions().close();
            }
        }
    }

    private static RgbImage decode(MediaInput input) {
        if (!IMAGE.equals(input.modality())) {
            throw new IllegalArgumentException("Gemma4ForConditionalGeneration accepts images only here, got "
                    + input.modality() + " from " + input.source());
        }
        if (input.data().size() != 1) {
            throw new IllegalArgumentException("an image must be one file, got " + input.data().size()
                    + " parts from " + input.source());
        }
        return ImageDecoding.decode(input.data().get(0), input.source(), MAX_PIXELS);
    }

    private static String contentHash(MediaInput input, Gemma4ImageSettings settings) {
        try {
            MessageDigest digest = MessageDigest.getInstance("SHA-256");
            digest.update(("gemma4-image|" + settings + "|").getBytes(StandardCharsets.UTF_8));
            digest.update(input.data().get(0));
            return HexFormat.of().formatHex(digest.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JVM", e);
        }
    }
}
