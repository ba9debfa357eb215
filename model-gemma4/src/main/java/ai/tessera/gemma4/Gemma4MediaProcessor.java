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
import ai.tessera.media.AudioDecoding;
import ai.tessera.media.ImageDecoding;
import ai.tessera.media.RgbImage;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;

/**
 * Gemma 4's media processing bound to one model, as {@code Gemma4Processor} does it. The chat template writes
 * {@code <|image|>} where an image goes and {@code <|audio|>} where a clip goes (the placeholder texts here too);
 * each becomes {@code <|image>} + N × {@code <|image|>} + {@code <image|>} (N the image's soft tokens) or
 * {@code <|audio>} + N × {@code <|audio|>} + {@code <audio|>} (N from the clip's valid mel frames), and the N
 * placeholder tokens take the item's embeddings. The k-th placeholder of a modality takes the k-th item of that
 * modality. A modality whose tower the checkpoint lacks is refused, naming the missing config section.
 */
final class Gemma4MediaProcessor implements MediaProcessor {
    static final String IMAGE = "image";
    static final String AUDIO = "audio";
    static final String IMAGE_PLACEHOLDER = "<|image|>";
    static final String AUDIO_PLACEHOLDER = "<|audio|>";
    static final String PIXEL_VALUES = "pixel_values";
    static final String IMAGE_POSITION_IDS = "image_position_ids";
    static final String INPUT_FEATURES = "input_features";
    static final String INPUT_FEATURES_MASK = "input_features_mask";
    /** Pillow's decompression-bomb limit ({@code Image.MAX_IMAGE_PIXELS}): larger images are refused. */
    static final long MAX_PIXELS = 89_478_485L;

    /** The special tokens of one modality: the placeholder and the tokens around its expansion. */
    record Tokens(int placeholder, int begin, int end) {
    }

    private final Gemma4ImageSettings settings;
    private final Tokens image;
    private final Tokens audio;
    private final boolean takesAudio;

    /**
     * @param settings   the image settings, or {@code null} when the checkpoint has no vision tower
     * @param takesAudio whether the checkpoint has an audio tower
     */
    Gemma4MediaProcessor(Gemma4ImageSettings settings, Tokens image, boolean takesAudio, Tokens audio) {
        this.settings = settings;
        this.image = image;
        this.takesAudio = takesAudio;
        this.audio = audio;
    }

    Gemma4ImageSettings settings() {
        return settings;
    }

    private boolean takes(String modality) {
        return switch (modality) {
            case IMAGE -> settings != null;
            case AUDIO -> takesAudio;
            default -> false;
        };
    }

    /** Why a modality is refused: the missing config section, or the modalities this checkpoint takes. */
    private String refusal(String modality) {
        String takes = settings != null && takesAudio ? "images and audio"
                : settings != null ? "images only" : takesAudio ? "audio only" : "text only";
        String missing = switch (modality) {
            case IMAGE -> "has no vision_config";
            case AUDIO -> "has no audio_config";
            default -> "does not take " + modality;
        };
        return "this Gemma4ForConditionalGeneration checkpoint " + missing + ": it takes " + takes + ", got "
                + modality;
    }

    @Override
    public String placeholderText(String modality, int index) {
        if (!takes(modality)) {
            throw new IllegalArgumentException(refusal(modality));
        }
        return IMAGE.equals(modality) ? IMAGE_PLACEHOLDER : AUDIO_PLACEHOLDER;
    }

    /** One media item ready to be spliced in: its soft tokens and the encoder inputs of its MultimodalItem. */
    private record Encoded(String modality, int softTokens, Map<String, Tensor> inputs, String contentHash) {
    }

    @Override
    public MultimodalPrompt process(int[] promptTokenIds, List<MediaInput> media, Map<String, Object> kwargs) {
        for (MediaInput input : media) {
            if (!takes(input.modality())) {
                throw new IllegalArgumentException(refusal(input.modality()) + " from " + input.source());
            }
        }
        List<MediaInput> images = media.stream().filter(m -> IMAGE.equals(m.modality())).toList();
        List<MediaInput> clips = media.stream().filter(m -> AUDIO.equals(m.modality())).toList();
        int imagePlaceholders = count(promptTokenIds, image.placeholder());
        int audioPlaceholders = count(promptTokenIds, audio.placeholder());
        if (imagePlaceholders != images.size()) {
            throw new IllegalArgumentException("the prompt holds " + imagePlaceholders + " image placeholder(s) ("
                    + IMAGE_PLACEHOLDER + ", token " + image.placeholder() + ") but " + images.size()
                    + " image(s) were given");
        }
        if (audioPlaceholders != clips.size()) {
            throw new IllegalArgumentException("the prompt holds " + audioPlaceholders + " audio placeholder(s) ("
                    + AUDIO_PLACEHOLDER + ", token " + audio.placeholder() + ") but " + clips.size()
                    + " audio clip(s) were given");
        }
        Gemma4ImageSettings request = settings == null ? null : settings.withKwargs(kwargs);
        List<Encoded> encodedImages = new ArrayList<>();
        List<Encoded> encodedClips = new ArrayList<>();
        List<MultimodalItem> items = new ArrayList<>();
        int nextImage = 0;
        int nextClip = 0;
        try {
            for (MediaInput input : images) {
                encodedImages.add(encodeImage(input, request));
            }
            for (MediaInput input : clips) {
                encodedClips.add(encodeAudio(input));
            }
            int total = promptTokenIds.length;
            for (Encoded e : encodedImages) {
                total += e.softTokens() + 1;
            }
            for (Encoded e : encodedClips) {
                total += e.softTokens() + 1;
            }
            int[] expanded = new int[total];
            int to = 0;
            for (int id : promptTokenIds) {
                Encoded item;
                Tokens tokens;
                if (id == image.placeholder()) {
                    item = encodedImages.get(nextImage++);
                    tokens = image;
                } else if (id == audio.placeholder()) {
                    item = encodedClips.get(nextClip++);
                    tokens = audio;
                } else {
                    expanded[to++] = id;
                    continue;
                }
                expanded[to++] = tokens.begin();
                Arrays.fill(expanded, to, to + item.softTokens(), tokens.placeholder());
                items.add(new MultimodalItem(item.modality(), to, item.softTokens(), item.inputs(),
                        item.contentHash()));
                to += item.softTokens();
                expanded[to++] = tokens.end();
            }
            return new MultimodalPrompt(expanded, items, null, 0);
        } catch (RuntimeException e) {
            // the items own the inputs handed to them; the rest were never handed over
            items.forEach(MultimodalItem::close);
            for (Encoded unused : encodedImages.subList(nextImage, encodedImages.size())) {
                unused.inputs().values().forEach(Tensor::close);
            }
            for (Encoded unused : encodedClips.subList(nextClip, encodedClips.size())) {
                unused.inputs().values().forEach(Tensor::close);
            }
            throw e;
        }
    }

    private static int count(int[] ids, int token) {
        int n = 0;
        for (int id : ids) {
            if (id == token) {
                n++;
            }
        }
        return n;
    }

    private Encoded encodeImage(MediaInput input, Gemma4ImageSettings request) {
        if (input.data().size() != 1) {
            throw new IllegalArgumentException("an image must be one file, got " + input.data().size()
                    + " parts from " + input.source());
        }
        RgbImage decoded = ImageDecoding.decode(input.data().get(0), input.source(), MAX_PIXELS);
        ImagePatches patches = request.processor().process(decoded);
        try {
            return new Encoded(IMAGE, patches.softTokens(), Map.of(PIXEL_VALUES, patches.pixelValues().unsqueeze(0),
                    IMAGE_POSITION_IDS, patches.positions().unsqueeze(0)),
                    contentHash("gemma4-image|" + request + "|", input));
        } finally {
            patches.pixelValues().close();
            patches.positions().close();
        }
    }

    /**
     * A clip decoded to 16 kHz mono (FFmpeg; 16-bit PCM / 32768 as soundfile reads it), then
     * {@link Gemma4AudioFeatureExtractor}: {@code input_features [1, frames, 128]} and the boolean
     * {@code input_features_mask [1, frames]}, named as transformers names them.
     */
    private static Encoded encodeAudio(MediaInput input) {
        if (input.data().size() != 1) {
            throw new IllegalArgumentException("an audio clip must be one file, got " + input.data().size()
                    + " parts from " + input.source());
        }
        float[] samples = AudioDecoding.decode(input.data().get(0), input.source(),
                Gemma4AudioFeatureExtractor.SAMPLE_RATE).samples();
        Gemma4AudioFeatureExtractor.AudioFeatures features;
        try {
            features = Gemma4AudioFeatureExtractor.extract(samples);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(input.source() + ": " + e.getMessage(), e);
        }
        try (features) {
            long[] mask = new long[features.frames()];
            Arrays.fill(mask, 0, features.validFrames(), 1L);
            Tensor maskTensor = torch.tensor(mask, new org.bytedeco.pytorch.TensorOptions(ScalarType.Long))
                    .to(ScalarType.Bool).unsqueeze(0);
            return new Encoded(AUDIO, Gemma4AudioFeatureExtractor.softTokens(features.validFrames()),
                    Map.of(INPUT_FEATURES, features.features().unsqueeze(0), INPUT_FEATURES_MASK, maskTensor),
                    contentHash("gemma4-audio|", input));
        }
    }

    private static String contentHash(String prefix, MediaInput input) {
        try {
            MessageDigest digest = MessageDigest.getInstance("SHA-256");
            digest.update(prefix.getBytes(StandardCharsets.UTF_8));
            digest.update(input.data().get(0));
            return HexFormat.of().formatHex(digest.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JVM", e);
        }
    }
}
