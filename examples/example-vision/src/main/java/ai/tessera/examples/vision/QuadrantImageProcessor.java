package ai.tessera.examples.vision;

import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import ai.tessera.api.MediaInput;
import ai.tessera.api.MediaProcessor;
import ai.tessera.api.ModelConfig;
import ai.tessera.api.ModelLoadException;
import ai.tessera.api.MultimodalItem;
import ai.tessera.api.MultimodalProcessor;
import ai.tessera.api.MultimodalPrompt;
import ai.tessera.media.ImageDecoding;
import ai.tessera.media.RgbImage;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptions;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;
import org.osgi.service.component.annotations.Component;

/**
 * The image processor of {@link QuadrantVisionModel}: each image placeholder token becomes
 * {@value #TOKENS_PER_IMAGE} tokens, and the image the mean colour (0..1) of its four quadrants.
 */
@Component(service = MultimodalProcessor.class, property = MultimodalProcessor.PROPERTY + "=TesseraExampleVisionLM")
public class QuadrantImageProcessor implements MultimodalProcessor {
    static final int TOKENS_PER_IMAGE = 4;
    static final String INPUT = "quadrant_means";
    private static final long MAX_PIXELS = 4096L * 4096;

    @Override
    public List<String> modalities() {
        return List.of("image");
    }

    @Override
    public MediaProcessor forModel(ModelConfig config, Optional<Path> modelDirectory) throws ModelLoadException {
        int imageToken = config.getInt("image_token_id");
        String placeholder = config.getString("image_token").orElseThrow(() -> new ModelLoadException(
                "config.json needs image_token, the placeholder text of an image (e.g. <|image|>)"));
        return new MediaProcessor() {
            @Override
            public String placeholderText(String modality, int index) {
                return placeholder;
            }

            @Override
            public MultimodalPrompt process(int[] promptTokenIds, List<MediaInput> media, Map<String, Object> kwargs) {
                return expand(promptTokenIds, media, imageToken);
            }
        };
    }

    private static MultimodalPrompt expand(int[] ids, List<MediaInput> media, int imageToken) {
        int placeholders = 0;
        for (int id : ids) {
            placeholders += id == imageToken ? 1 : 0;
        }
        if (placeholders != media.size()) {
            throw new IllegalArgumentException("the prompt has " + placeholders + " image placeholder(s) (token "
                    + imageToken + ") but " + media.size() + " image(s) came with it");
        }
        int[] out = new int[ids.length + placeholders * (TOKENS_PER_IMAGE - 1)];
        List<MultimodalItem> items = new ArrayList<>();
        int o = 0;
        int next = 0;
        for (int id : ids) {
            if (id != imageToken) {
                out[o++] = id;
                continue;
            }
            MediaInput image = media.get(next++);
            RgbImage rgb = ImageDecoding.decode(image.data().get(0), image.source(), MAX_PIXELS);
            items.add(new MultimodalItem("image", o, TOKENS_PER_IMAGE, Map.of(INPUT, quadrantMeans(rgb)),
                    sha256(image.data().get(0))));
            for (int k = 0; k < TOKENS_PER_IMAGE; k++) {
                out[o++] = imageToken;
            }
        }
        return new MultimodalPrompt(out, items, null, 0);
    }

    private static Tensor quadrantMeans(RgbImage image) {
        float[] means = new float[TOKENS_PER_IMAGE * 3];
        long[] counts = new long[TOKENS_PER_IMAGE];
        byte[] rgb = image.rgb();
        for (int y = 0; y < image.height(); y++) {
            for (int x = 0; x < image.width(); x++) {
                int q = (y * 2 / image.height()) * 2 + x * 2 / image.width();
                int p = (y * image.width() + x) * 3;
                for (int c = 0; c < 3; c++) {
                    means[q * 3 + c] += (rgb[p + c] & 0xff) / 255f;
                }
                counts[q]++;
            }
        }
        for (int q = 0; q < TOKENS_PER_IMAGE; q++) {
            for (int c = 0; c < 3; c++) {
                means[q * 3 + c] /= Math.max(1, counts[q]);
            }
        }
        return torch.tensor(means, new TensorOptions(ScalarType.Float)).view(TOKENS_PER_IMAGE, 3);
    }

    private static String sha256(byte[] data) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(data));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every Java runtime", e);
        }
    }
}
