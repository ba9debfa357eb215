package ai.tessera.phi4mm.processor;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

import ai.tessera.api.MediaInput;
import ai.tessera.api.MediaProcessor;
import ai.tessera.api.MultimodalItem;
import ai.tessera.api.MultimodalPrompt;
import ai.tessera.media.ImageDecoding;
import ai.tessera.phi4mm.audio.AudioFeatureSettings;
import ai.tessera.phi4mm.audio.AudioInputs;
import ai.tessera.phi4mm.audio.LogMelFeatureExtractor;
import ai.tessera.phi4mm.audio.ProjectionMode;
import ai.tessera.phi4mm.vision.ImageInputs;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

/**
 * Phi-4-multimodal's processing bound to one model: {@code <|image_N|>} / {@code <|audio_N|>} in the prompt (vLLM's
 * placeholders for this model) become as many {@code <|image|>} (200010) / {@code <|audio|>} (200011) tokens as the
 * item's embedding has rows, and the request gets the adapter the checkpoint's {@code Phi4MMForCausalLM.forward}
 * selects from its input mode: {@code vision} when it has images (with or without audio), {@code speech} for audio
 * alone, none for text.
 */
final class Phi4MMMediaProcessor implements MediaProcessor {
    static final String IMAGE = "image";
    static final String AUDIO = "audio";
    static final int IMAGE_TOKEN_ID = 200010;
    static final int AUDIO_TOKEN_ID = 200011;
    static final String VISION_ADAPTER = "vision";
    static final String SPEECH_ADAPTER = "speech";
    /** Pillow's decompression-bomb limit ({@code Image.MAX_IMAGE_PIXELS}). */
    static final long MAX_PIXELS = 89_478_485L;

    private final PlaceholderScanner scanner;
    private final int cropSize;
    private final int patchSize;
    private final int dynamicHd;
    private final LogMelFeatureExtractor audioFeatures;

    Phi4MMMediaProcessor(PlaceholderScanner scanner, int cropSize, int patchSize, int dynamicHd,
                         AudioFeatureSettings audio) {
        this.scanner = scanner;
        this.cropSize = cropSize;
        this.patchSize = patchSize;
        this.dynamicHd = dynamicHd;
        this.audioFeatures = new LogMelFeatureExtractor(audio);
    }

    int dynamicHd() {
        return dynamicHd;
    }

    @Override
    public String placeholderText(String modality, int index) {
        if (!IMAGE.equals(modality) && !AUDIO.equals(modality)) {
            throw new IllegalArgumentException("Phi4MMForCausalLM accepts images and audio, got " + modality);
        }
        return "<|" + modality + "_" + index + "|>";
    }

    @Override
    public MultimodalPrompt process(int[] promptTokenIds, List<MediaInput> media, Map<String, Object> kwargs) {
        int hd = dynamicHd(kwargs);
        List<MediaInput> images = new ArrayList<>();
        List<MediaInput> audios = new ArrayList<>();
        for (MediaInput input : media) {
            switch (input.modality()) {
                case IMAGE -> images.add(input);
                case AUDIO -> audios.add(input);
                default -> throw new IllegalArgumentException("Phi4MMForCausalLM accepts images and audio, got "
                        + input.modality() + " from " + input.source());
            }
        }
        List<PlaceholderScanner.Placeholder> placeholders = scanner.scan(promptTokenIds);
        check(placeholders, IMAGE, images.size());
        check(placeholders, AUDIO, audios.size());
        DynamicHdImageProcessor imageProcessor = new DynamicHdImageProcessor(cropSize, patchSize, hd);
        // the checkpoint's audio_projection_mode: "vision" when the prompt also has images
        ProjectionMode audioMode = images.isEmpty() ? ProjectionMode.SPEECH : ProjectionMode.VISION;
        List<MultimodalItem> items = new ArrayList<>();
        try {
            int[] expanded = new int[0];
            int length = 0;
            int from = 0;
            for (PlaceholderScanner.Placeholder p : placeholders) {
                Prepared item = p.modality().equals(IMAGE)
                        ? image(imageProcessor, images.get(p.index() - 1), hd)
                        : audio(audios.get(p.index() - 1), audioMode);
                int needed = length + (p.start() - from) + p.before().length + item.tokens() + p.after().length;
                expanded = Arrays.copyOf(expanded, needed + promptTokenIds.length);
                System.arraycopy(promptTokenIds, from, expanded, length, p.start() - from);
                length += p.start() - from;
                System.arraycopy(p.before(), 0, expanded, length, p.before().length);
                length += p.before().length;
                Arrays.fill(expanded, length, length + item.tokens(), item.tokenId());
                items.add(new MultimodalItem(p.modality(), length, item.tokens(), item.inputs(), item.hash()));
                length += item.tokens();
                System.arraycopy(p.after(), 0, expanded, length, p.after().length);
                length += p.after().length;
                from = p.end();
            }
            expanded = Arrays.copyOf(expanded, length + promptTokenIds.length - from);
            System.arraycopy(promptTokenIds, from, expanded, length, promptTokenIds.length - from);
            String adapter = !images.isEmpty() ? VISION_ADAPTER : !audios.isEmpty() ? SPEECH_ADAPTER : null;
            return new MultimodalPrompt(expanded, items, null, 0, adapter);
        } catch (RuntimeException e) {
            items.forEach(MultimodalItem::close);
            throw e;
        }
    }

    /** One item ready to place: its placeholder token, how many, its encoder inputs and content hash. */
    private record Prepared(int tokenId, int tokens, Map<String, Tensor> inputs, String hash) {
    }

    private Prepared image(DynamicHdImageProcessor processor, MediaInput input, int hd) {
        DynamicHdImageProcessor.Processed image = processor.process(decodeImage(input));
        return new Prepared(IMAGE_TOKEN_ID, image.tokens(), Map.of(
                ImageInputs.PIXEL_VALUES, image.pixelValues(),
                ImageInputs.ATTENTION_MASK, image.attentionMask(),
                ImageInputs.IMAGE_SIZES, torch.tensor(new long[] {image.height(), image.width()})),
                contentHash(input, "dynamic_hd=" + hd));
    }

    private Prepared audio(MediaInput input, ProjectionMode mode) {
        if (input.data().size() != 1) {
            throw new IllegalArgumentException("an audio clip must be one file, got " + input.data().size()
                    + " parts from " + input.source());
        }
        Tensor features = audioFeatures.extract(input.data().get(0), input.source());
        int tokens = audioFeatures.settings().audioTokenCount((int) features.size(0));
        return new Prepared(AUDIO_TOKEN_ID, tokens, Map.of(
                AudioInputs.FEATURES, features,
                AudioInputs.PROJECTION_MODE, torch.tensor(new long[] {mode.ordinal()})),
                contentHash(input, "mode=" + mode));
    }

    private int dynamicHd(Map<String, Object> kwargs) {
        Object value = kwargs.get("dynamic_hd");
        if (value == null) {
            return dynamicHd;
        }
        if (!(value instanceof Number n) || n.doubleValue() != Math.rint(n.doubleValue()) || n.intValue() < 1) {
            throw new IllegalArgumentException("mm_processor_kwargs dynamic_hd must be a positive integer, got "
                    + value);
        }
        return n.intValue();
    }

    /** Each item of {@code modality} needs exactly one placeholder, numbered 1..count. */
    private static void check(List<PlaceholderScanner.Placeholder> placeholders, String modality, int count) {
        TreeSet<Integer> seen = new TreeSet<>();
        for (PlaceholderScanner.Placeholder p : placeholders) {
            if (p.modality().equals(modality) && !seen.add(p.index())) {
                throw new IllegalArgumentException("the prompt holds <|" + modality + "_" + p.index() + "|> twice");
            }
        }
        TreeSet<Integer> expected = new TreeSet<>();
        for (int i = 1; i <= count; i++) {
            expected.add(i);
        }
        if (!seen.equals(expected)) {
            throw new IllegalArgumentException("the prompt must hold the placeholders <|" + modality + "_1|> .. <|"
                    + modality + "_" + count + "|> once each for its " + count + " " + modality + " item(s), got "
                    + seen.stream().map(i -> "<|" + modality + "_" + i + "|>").toList());
        }
    }

    private static ai.tessera.media.RgbImage decodeImage(MediaInput input) {
        if (input.data().size() != 1) {
            throw new IllegalArgumentException("an image must be one file, got " + input.data().size()
                    + " parts from " + input.source());
        }
        return ImageDecoding.decode(input.data().get(0), input.source(), MAX_PIXELS);
    }

    private static String contentHash(MediaInput input, String settings) {
        try {
            MessageDigest digest = MessageDigest.getInstance("SHA-256");
            digest.update(("phi4mm|" + input.modality() + "|" + settings + "|")
                    .getBytes(StandardCharsets.UTF_8));
            for (byte[] part : input.data()) {
                digest.update(part);
            }
            return HexFormat.of().formatHex(digest.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JVM", e);
        }
    }
}
