package ai.tessera.qwen25vl.processor;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import ai.tessera.api.MediaInput;
import ai.tessera.api.MediaProcessor;
import ai.tessera.api.MultimodalItem;
import ai.tessera.api.MultimodalPrompt;
import ai.tessera.media.ImageDecoding;
import ai.tessera.media.RgbImage;
import ai.tessera.media.VideoDecoding;
import ai.tessera.nn.ForwardScope;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptions;
import org.bytedeco.pytorch.TensorVector;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;

/**
 * Qwen2.5-VL's processor bound to one model, as transformers 5's {@code Qwen2_5_VLProcessor} works: every
 * {@code <|image_pad|>} of the prompt takes the next image, every {@code <|video_pad|>} the next video; each is
 * decoded, resized and flattened into patches ({@code pixel_values} + {@code image_grid_thw}, or
 * {@code pixel_values_videos} + {@code video_grid_thw} + {@code second_per_grid_ts}) and its placeholder is expanded
 * to one token per merged patch. The M-RoPE positions of the expanded prompt come with it.
 *
 * <p>A video is either a list of frame images (all of them are used, as transformers does without sampling
 * metadata; their frame rate counts as transformers' default of 24) or one video file, decoded with FFmpeg and
 * sampled at {@code fps} (default 2) as transformers' {@code sample_frames} does.
 */
final class Qwen25VlMediaProcessor implements MediaProcessor {
    static final String IMAGE_PLACEHOLDER = "<|vision_start|><|image_pad|><|vision_end|>";
    static final String VIDEO_PLACEHOLDER = "<|vision_start|><|video_pad|><|vision_end|>";
    /** transformers' {@code VideoMetadata.sampled_fps} when the frame rate is unknown (frames given as images). */
    static final double UNKNOWN_VIDEO_FPS = 24;

    private final VisionTokens tokens;
    private final VisionSettings images;
    private final VisionSettings videos;
    private final long maxPixels;

    Qwen25VlMediaProcessor(VisionTokens tokens, VisionSettings images, VisionSettings videos, long maxPixels) {
        this.tokens = tokens;
        this.images = images;
        this.videos = videos;
        this.maxPixels = maxPixels;
    }

    @Override
    public String placeholderText(String modality, int index) {
        return switch (modality) {
            case "image" -> IMAGE_PLACEHOLDER;
            case "video" -> VIDEO_PLACEHOLDER;
            default -> throw new IllegalArgumentException("Qwen2.5-VL takes image and video input, not " + modality);
        };
    }

    @Override
    public MultimodalPrompt process(int[] promptTokenIds, List<MediaInput> media, Map<String, Object> kwargs) {
        ProcessorKwargs options = ProcessorKwargs.parse(kwargs);
        List<Integer> placeholders = matchPlaceholders(promptTokenIds, media);
        List<Encoded> encoded = new ArrayList<>(media.size());
        try {
            for (MediaInput m : media) {
                encoded.add(m.modality().equals("image") ? image(m, options) : video(m, options));
            }
            return expand(promptTokenIds, placeholders, encoded);
        } catch (RuntimeException | Error e) {
            encoded.forEach(Encoded::close);
            throw e;
        }
    }

    /** The indices of the placeholder tokens, checked against the media in count and modality. */
    private List<Integer> matchPlaceholders(int[] ids, List<MediaInput> media) {
        List<Integer> at = new ArrayList<>();
        int imagePads = 0;
        int videoPads = 0;
        for (int i = 0; i < ids.length; i++) {
            if (ids[i] == tokens.imageTokenId()) {
                at.add(i);
                imagePads++;
            } else if (ids[i] == tokens.videoTokenId()) {
                at.add(i);
                videoPads++;
            }
        }
        long imageCount = media.stream().filter(m -> m.modality().equals("image")).count();
        long videoCount = media.stream().filter(m -> m.modality().equals("video")).count();
        for (MediaInput m : media) {
            if (!m.modality().equals("image") && !m.modality().equals("video")) {
                throw new IllegalArgumentException("Qwen2.5-VL takes image and video input, not " + m.modality()
                        + " (from " + m.source() + ")");
            }
        }
        if (imagePads != imageCount || videoPads != videoCount) {
            throw new IllegalArgumentException("the prompt holds " + imagePads + " image placeholder(s) (<|image_pad|>)"
                    + " and " + videoPads + " video placeholder(s) (<|video_pad|>), but " + imageCount + " image(s) and "
                    + videoCount + " video(s) were given");
        }
        for (int k = 0; k < at.size(); k++) {
            String expected = ids[at.get(k)] == tokens.imageTokenId() ? "image" : "video";
            if (!media.get(k).modality().equals(expected)) {
                throw new IllegalArgumentException("placeholder " + (k + 1) + " of the prompt is an " + expected
                        + " placeholder, but media item " + (k + 1) + " (from " + media.get(k).source() + ") is a "
                        + media.get(k).modality() + "; media must come in the order of their placeholders");
            }
        }
        return at;
    }

    private Encoded image(MediaInput m, ProcessorKwargs options) {
        if (m.data().size() != 1) {
            throw new IllegalArgumentException("an image must be one file, got " + m.data().size() + " from " + m.source());
        }
        VisionSettings s = options.apply(images);
        RgbImage rgb = ImageDecoding.decode(m.data().get(0), m.source(), maxPixels);
        try (ForwardScope scope = new ForwardScope()) {
            Tensor frames = rgb.toChannelsFirst().unsqueeze(0);
            VisionPatches p = VisionPreprocessor.preprocess(frames, s, m.source());
            Map<String, Tensor> inputs = new LinkedHashMap<>();
            inputs.put("pixel_values", scope.keep(p.pixels()));
            inputs.put("image_grid_thw", scope.keep(grid(p)));
            return new Encoded("image", p, s.mergeSize(), 0, inputs, digest(m, s, null));
        }
    }

    private Encoded video(MediaInput m, ProcessorKwargs options) {
        VisionSettings s = options.apply(videos);
        List<RgbImage> frames;
        double fps;
        Double sampledAt = null;
        if (m.data().size() > 1 || looksLikeImage(m.data().get(0))) {
            frames = new ArrayList<>();
            for (int i = 0; i < m.data().size(); i++) {
                frames.add(ImageDecoding.decode(m.data().get(i), m.source() + " frame " + i, maxPixels));
            }
            fps = UNKNOWN_VIDEO_FPS;
        } else {
            sampledAt = options.fpsOrDefault();
            VideoDecoding.Decoded d = decodeFile(m, s, sampledAt);
            frames = d.frames();
            fps = FrameSampler.sampledFps(d.indices().length, d.header().frames(), d.header().fps());
        }
        if (frames.size() > s.maxFrames()) {
            throw new IllegalArgumentException("the video from " + m.source() + " has " + frames.size() + " frames; at most"
                    + " max_frames = " + s.maxFrames() + " are accepted");
        }
        try (ForwardScope scope = new ForwardScope()) {
            VisionPatches p = VisionPreprocessor.preprocess(stack(frames, m.source()), s, m.source());
            // transformers: temporal_patch_size / the frame rate of the frames used, stored as float32
            float secondPerGridT = (float) (s.temporalPatchSize() / fps);
            Map<String, Tensor> inputs = new LinkedHashMap<>();
            inputs.put("pixel_values_videos", scope.keep(p.pixels()));
            inputs.put("video_grid_thw", scope.keep(grid(p)));
            inputs.put("second_per_grid_ts", scope.keep(torch.tensor(new float[] {secondPerGridT},
                    new TensorOptions(ScalarType.Float))));
            return new Encoded("video", p, s.mergeSize(), secondPerGridT, inputs, digest(m, s, sampledAt));
        }
    }

    private VideoDecoding.Decoded decodeFile(MediaInput m, VisionSettings s, double fps) {
        try {
            return VideoDecoding.decode(m.data().get(0), m.source(), maxPixels,
                    h -> FrameSampler.indices(h.frames(), h.fps(), fps, s.temporalPatchSize(), s.minFrames(),
                            s.maxFrames(), m.source()));
        } catch (LinkageError e) {
            throw new IllegalArgumentException("cannot decode the video file from " + m.source() + ": FFmpeg"
                    + " (org.bytedeco:ffmpeg) is not on the framework class path; send the video as a list of frame"
                    + " images instead", e);
        }
    }

    /** uint8 {@code [T, 3, H, W]}; every frame must have the first one's size. */
    private static Tensor stack(List<RgbImage> frames, String source) {
        RgbImage first = frames.get(0);
        TensorVector chw = new TensorVector();
        for (int i = 0; i < frames.size(); i++) {
            RgbImage f = frames.get(i);
            if (f.width() != first.width() || f.height() != first.height()) {
                throw new IllegalArgumentException("the frames of the video from " + source + " differ in size: frame 0"
                        + " is " + first.width() + "x" + first.height() + ", frame " + i + " is " + f.width() + "x"
                        + f.height());
            }
            chw.push_back(f.toChannelsFirst());
        }
        return torch.stack(chw);
    }

    private static Tensor grid(VisionPatches p) {
        return torch.tensor(new long[] {p.gridT(), p.gridH(), p.gridW()}, new TensorOptions(ScalarType.Long))
                .view(1, 3);
    }

    /** PNG, JPEG, GIF, BMP or WebP: a one-frame video given as an image rather than a video file. */
    static boolean looksLikeImage(byte[] d) {
        return starts(d, 0, 0x89, 'P', 'N', 'G') || starts(d, 0, 0xFF, 0xD8, 0xFF) || starts(d, 0, 'G', 'I', 'F', '8')
                || starts(d, 0, 'B', 'M') || starts(d, 0, 'R', 'I', 'F', 'F') && starts(d, 8, 'W', 'E', 'B', 'P');
    }

    private static boolean starts(byte[] d, int from, int... magic) {
        if (d.length < from + magic.length) {
            return false;
        }
        for (int i = 0; i < magic.length; i++) {
            if ((d[from + i] & 0xFF) != magic[i]) {
                return false;
            }
        }
        return true;
    }

    /** The expanded prompt, its items and their positions. */
    private MultimodalPrompt expand(int[] ids, List<Integer> placeholders, List<Encoded> encoded) {
        int length = ids.length;
        for (Encoded e : encoded) {
            length += e.tokens() - 1;
        }
        int[] out = new int[length];
        List<MultimodalItem> items = new ArrayList<>(encoded.size());
        List<MropePositions.Span> spans = new ArrayList<>(encoded.size());
        int src = 0;
        int dst = 0;
        for (int k = 0; k < encoded.size(); k++) {
            int at = placeholders.get(k);
            System.arraycopy(ids, src, out, dst, at - src);
            dst += at - src;
            Encoded e = encoded.get(k);
            Arrays.fill(out, dst, dst + e.tokens(), ids[at]);
            items.add(new MultimodalItem(e.modality(), dst, e.tokens(), e.inputs(), e.hash()));
            spans.add(new MropePositions.Span(dst, e.tokens(), e.patches().gridT(), e.patches().gridH(),
                    e.patches().gridW(), e.modality().equals("video"), e.secondPerGridT()));
            dst += e.tokens();
            src = at + 1;
        }
        System.arraycopy(ids, src, out, dst, ids.length - src);
        MropePositions.Result rope = MropePositions.compute(out.length, spans, tokens.spatialMergeSize(),
                tokens.tokensPerSecond());
        return new MultimodalPrompt(out, items, rope.positions(), rope.delta());
    }

    /** A digest of the bytes and of what shaped the tensors, so equal media under equal settings share a cache. */
    private static String digest(MediaInput m, VisionSettings s, Double fps) {
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            sha.update(m.modality().getBytes(StandardCharsets.UTF_8));
            ByteBuffer settings = ByteBuffer.allocate(32).putLong(s.minPixels()).putLong(s.maxPixels())
                    .putDouble(fps == null ? -1 : fps).putInt(m.data().size());
            sha.update(settings.array());
            for (byte[] d : m.data()) {
                sha.update(ByteBuffer.allocate(4).putInt(d.length).array());
                sha.update(d);
            }
            return HexFormat.of().formatHex(sha.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every Java runtime", e);
        }
    }

    /** One processed item before its place in the expanded prompt is known. */
    private record Encoded(String modality, VisionPatches patches, int mergeSize, float secondPerGridT,
                           Map<String, Tensor> inputs, String hash) {
        int tokens() {
            return patches.tokens(mergeSize);
        }

        void close() {
            inputs.values().forEach(Tensor::close);
        }
    }
}
