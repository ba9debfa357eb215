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
import ai.tessera.phi4mm.vision.ImageInputs;
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

    Phi4MMMediaProcessor(PlaceholderScanner scanner, int cropSize, int patchSize, int dynamicHd) {
        this.scanner = scanner;
        this.cropSize = cropSize;
        this.patchSize = patchSize;
        this.dynamicHd = dynamicHd;
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
        if (!audios.isEmpty()) {
            throw new IllegalArgumentException("audio input is not available in this build of Phi4MMForCausalLM "
                    + "(the audio encoder is not wired yet); got " + audios.size() + " audio item(s)");
        }
        DynamicHdImageProcessor processor = new DynamicHdImageProcessor(cropSize, patchSize, hd);
        List<MultimodalItem> items = new ArrayList<>();
        try {
            int[] expanded = new int[0];
            int length = 0;
            int from = 0;
            for (PlaceholderScanner.Placeholder p : placeholders) {
                MediaInput input = images.get(p.index() - 1);
                DynamicHdImageProcessor.Processed image = processor.process(decodeImage(input));
                int needed = length + (p.start() - from) + p.before().length + image.tokens() + p.after().length;
                expanded = Arrays.copyOf(expanded, needed + promptTokenIds.length);
                System.arraycopy(promptTokenIds, from, expanded, length, p.start() - from);
                length += p.start() - from;
                System.arraycopy(p.before(), 0, expanded, length, p.before().length);
                length += p.before().length;
                Arrays.fill(expanded, length, length + image.tokens(), IMAGE_TOKEN_ID);
                items.add(new MultimodalItem(IMAGE, length, image.tokens(), Map.of(
                        ImageInputs.PIXEL_VALUES, image.pixelValues(),
                        ImageInputs.ATTENTION_MASK, image.attentionMask(),
                        ImageInputs.IMAGE_SIZES, torch.tensor(new long[] {image.height(), image.width()})),
                        contentHash(input, hd)));
                length += image.tokens();
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

    private static String contentHash(MediaInput input, int dynamicHd) {
        try {
            MessageDigest digest = MessageDigest.getInstance("SHA-256");
            digest.update(("phi4mm|" + input.modality() + "|dynamic_hd=" + dynamicHd + "|")
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
