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
import ai.tessera.api.TextEncoder;
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
 *
 * <p>Video has no tower of its own: each {@code <|video|>} becomes, per sampled frame ({@link Gemma4Video}),
 * {@code mm:ss <|image>} + N × {@code <|video|>} + {@code <image|>}, the frames joined by spaces, and every frame
 * is one item of modality {@code video} that the vision tower encodes as an image of at most 70 soft tokens
 * ({@code Gemma4VideoProcessor}). The timestamp text is tokenized on its own ({@code "mm:ss "} for the first frame,
 * {@code " mm:ss "} after), as vLLM's Gemma 4 processor does, with the {@link TextEncoder} the server passes.
 */
final class Gemma4MediaProcessor implements MediaProcessor {
    static final String IMAGE = "image";
    static final String AUDIO = "audio";
    static final String VIDEO = "video";
    static final String IMAGE_PLACEHOLDER = "<|image|>";
    static final String AUDIO_PLACEHOLDER = "<|audio|>";
    static final String VIDEO_PLACEHOLDER = "<|video|>";
    static final String PIXEL_VALUES_VIDEOS = "pixel_values_videos";
    static final String VIDEO_POSITION_IDS = "video_position_ids";
    /** {@code Gemma4VideoProcessor.max_soft_tokens}; vLLM forces it whatever the request's max_soft_tokens. */
    static final int VIDEO_MAX_SOFT_TOKENS = 70;
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
    private final Tokens video;
    private final double frameListFps;

    /**
     * @param settings     the image settings, or {@code null} when the checkpoint has no vision tower
     * @param takesAudio   whether the checkpoint has an audio tower
     * @param video        the video placeholder with the image's begin and end tokens around each frame
     * @param frameListFps the frame rate assumed for a video given as frame images ({@link Gemma4Video#UNKNOWN_FPS})
     */
    Gemma4MediaProcessor(Gemma4ImageSettings settings, Tokens image, boolean takesAudio, Tokens audio, Tokens video,
                         double frameListFps) {
        this.settings = settings;
        this.image = image;
        this.takesAudio = takesAudio;
        this.audio = audio;
        this.video = video;
        this.frameListFps = frameListFps;
    }

    Gemma4ImageSettings settings() {
        return settings;
    }

    private boolean takes(String modality) {
        return switch (modality) {
            case IMAGE, VIDEO -> settings != null;
            case AUDIO -> takesAudio;
            default -> false;
        };
    }

    /** Why a modality is refused: the missing config section, or the modalities this checkpoint takes. */
    private String refusal(String modality) {
        String takes = settings != null && takesAudio ? "images, videos and audio"
                : settings != null ? "images and videos only" : takesAudio ? "audio only" : "text only";
        String missing = switch (modality) {
            case IMAGE, VIDEO -> "has no vision_config";
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
        return switch (modality) {
            case IMAGE -> IMAGE_PLACEHOLDER;
            case VIDEO -> VIDEO_PLACEHOLDER;
            default -> AUDIO_PLACEHOLDER;
        };
    }

    /**
     * One media item ready to be spliced in: its soft tokens and the encoder inputs of its MultimodalItem, with the
     * text tokens before its begin token (a video frame's timestamp; empty otherwise).
     */
    private record Encoded(String modality, int softTokens, Map<String, Tensor> inputs, String contentHash,
                           int[] prefix) {
        Encoded(String modality, int softTokens, Map<String, Tensor> inputs, String contentHash) {
            this(modality, softTokens, inputs, contentHash, new int[0]);
        }
    }

    /** Without a tokenizer: a prompt with a video is refused (its timestamps are text). */
    @Override
    public MultimodalPrompt process(int[] promptTokenIds, List<MediaInput> media, Map<String, Object> kwargs) {
        return process(promptTokenIds, media, kwargs, null);
    }

    @Override
    public MultimodalPrompt process(int[] promptTokenIds, List<MediaInput> media, Map<String, Object> kwargs,
                                    TextEncoder text) {
        for (MediaInput input : media) {
            if (!takes(input.modality())) {
                throw new IllegalArgumentException(refusal(input.modality()) + " from " + input.source());
            }
        }
        List<MediaInput> images = media.stream().filter(m -> IMAGE.equals(m.modality())).toList();
        List<MediaInput> clips = media.stream().filter(m -> AUDIO.equals(m.modality())).toList();
        List<MediaInput> videos = media.stream().filter(m -> VIDEO.equals(m.modality())).toList();
        int imagePlaceholders = count(promptTokenIds, image.placeholder());
        int audioPlaceholders = count(promptTokenIds, audio.placeholder());
        int videoPlaceholders = count(promptTokenIds, video.placeholder());
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
        if (videoPlaceholders != videos.size()) {
            throw new IllegalArgumentException("the prompt holds " + videoPlaceholders + " video placeholder(s) ("
                    + VIDEO_PLACEHOLDER + ", token " + video.placeholder() + ") but " + videos.size()
                    + " video(s) were given");
        }
        if (!videos.isEmpty() && text == null) {
            throw new IllegalArgumentException("a Gemma 4 video needs the model's tokenizer for its frame timestamps;"
                    + " this caller passed none");
        }
        Gemma4ImageSettings request = settings == null ? null : settings.withKwargs(kwargs);
        List<Encoded> encodedImages = new ArrayList<>();
        List<Encoded> encodedClips = new ArrayList<>();
        List<List<Encoded>> encodedVideos = new ArrayList<>();
        List<MultimodalItem> items = new ArrayList<>();
        int nextImage = 0;
        int nextClip = 0;
        int nextVideo = 0;
        try {
            for (MediaInput input : images) {
                encodedImages.add(encodeImage(input, request));
            }
            for (MediaInput input : clips) {
                encodedClips.add(encodeAudio(input));
            }
            for (MediaInput input : videos) {
                encodedVideos.add(List.of(encodeVideoFrames(input, text)));
            }
            int total = promptTokenIds.length;
            for (Encoded e : encodedImages) {
                total += e.softTokens() + 1;
            }
            for (Encoded e : encodedClips) {
                total += e.softTokens() + 1;
            }
            for (List<Encoded> frames : encodedVideos) {
                total -= 1;
                for (Encoded e : frames) {
                    total += e.prefix().length + e.softTokens() + 2;
                }
            }
            int[] expanded = new int[total];
            int to = 0;
            for (int id : promptTokenIds) {
                Encoded item;
                Tokens tokens;
                if (id == video.placeholder()) {
                    for (Encoded frame : encodedVideos.get(nextVideo)) {
                        System.arraycopy(frame.prefix(), 0, expanded, to, frame.prefix().length);
                        to += frame.prefix().length;
                        to = splice(expanded, to, frame, video, items);
                    }
                    nextVideo++;
                    continue;
                } else if (id == image.placeholder()) {
                    item = encodedImages.get(nextImage++);
                    tokens = image;
                } else if (id == audio.placeholder()) {
                    item = encodedClips.get(nextClip++);
                    tokens = audio;
                } else {
                    expanded[to++] = id;
                    continue;
                }
                to = splice(expanded, to, item, tokens, items);
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
            for (List<Encoded> unused : encodedVideos.subList(nextVideo, encodedVideos.size())) {
                unused.forEach(frame -> frame.inputs().values().forEach(Tensor::close));
            }
            throw e;
        }
    }

    /** Writes begin, N placeholders and end at {@code to}, adds the item of the N tokens; returns the next index. */
    private static int splice(int[] expanded, int to, Encoded item, Tokens tokens, List<MultimodalItem> items) {
        expanded[to++] = tokens.begin();
        Arrays.fill(expanded, to, to + item.softTokens(), tokens.placeholder());
        items.add(new MultimodalItem(item.modality(), to, item.softTokens(), item.inputs(), item.contentHash()));
        to += item.softTokens();
        expanded[to++] = tokens.end();
        return to;
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
     * A video's sampled frames, each an item of modality {@code video} with {@code pixel_values_videos
     * [1, max_patches, 3·patch²]} and {@code video_position_ids [1, max_patches, 2]} (one frame of transformers'
     * {@code [videos, frames, ...]}), preceded by its timestamp tokens. On failure the frames encoded so far are freed.
     */
    private Encoded[] encodeVideoFrames(MediaInput input, TextEncoder text) {
        Gemma4Video decoded = Gemma4Video.decode(input, MAX_PIXELS, frameListFps);
        Gemma4ImageProcessor frames = Gemma4ImageProcessor.forVideo(settings.patchSize(),
                settings.poolingKernelSize(), VIDEO_MAX_SOFT_TOKENS, settings.rescaleFactor());
        Encoded[] out = new Encoded[decoded.frames().size()];
        String videoHash = contentHash("gemma4-video|" + settings.patchSize() + "|" + settings.poolingKernelSize()
                + "|" + settings.rescaleFactor() + "|", input);
        try {
            for (int k = 0; k < out.length; k++) {
                int[] prefix = text.encode((k == 0 ? "" : " ") + decoded.timestamp(k) + " ");
                ImagePatches patches = frames.process(decoded.frames().get(k));
                try {
                    out[k] = new Encoded(VIDEO, patches.softTokens(), Map.of(
                            PIXEL_VALUES_VIDEOS, patches.pixelValues().unsqueeze(0),
                            VIDEO_POSITION_IDS, patches.positions().unsqueeze(0)),
                            videoHash + "|frame " + decoded.indices()[k], prefix);
                } finally {
                    patches.pixelValues().close();
                    patches.positions().close();
                }
            }
            return out;
        } catch (RuntimeException e) {
            for (Encoded frame : out) {
                if (frame != null) {
                    frame.inputs().values().forEach(Tensor::close);
                }
            }
            throw e;
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
            for (byte[] part : input.data()) {
                // the length first: a list of frames hashes differently from their concatenation
                digest.update(java.nio.ByteBuffer.allocate(Integer.BYTES).putInt(part.length).array());
                digest.update(part);
            }
            return HexFormat.of().formatHex(digest.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JVM", e);
        }
    }
}
