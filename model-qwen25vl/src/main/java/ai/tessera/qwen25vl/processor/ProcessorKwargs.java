package ai.tessera.qwen25vl.processor;

import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * The {@code mm_processor_kwargs} that Qwen2.5-VL's processor takes per request: {@code min_pixels} and
 * {@code max_pixels} (together, for images and video frames), {@code fps} (the rate video files are sampled at)
 * and {@code min_frames} / {@code max_frames} (the bounds of a video's sampled frames, as transformers' video
 * processor takes them). Anything else, or a value of the wrong kind, is refused with the key and the value.
 *
 * @param minPixels {@code null} when the model's settings apply
 * @param maxPixels {@code null} when the model's settings apply
 * @param fps       {@code null} for the default of 2 frames per second
 * @param minFrames {@code null} when the model's settings apply
 * @param maxFrames {@code null} when the model's settings apply
 */
record ProcessorKwargs(Long minPixels, Long maxPixels, Double fps, Long minFrames, Long maxFrames) {
    static final ProcessorKwargs NONE = new ProcessorKwargs(null, null, null, null, null);
    static final Set<String> KEYS = Set.of("min_pixels", "max_pixels", "fps", "min_frames", "max_frames");
    static final double DEFAULT_FPS = 2.0;

    static ProcessorKwargs parse(Map<String, Object> kwargs) {
        if (kwargs == null || kwargs.isEmpty()) {
            return NONE;
        }
        for (String key : kwargs.keySet()) {
            if (!KEYS.contains(key)) {
                throw new IllegalArgumentException("mm_processor_kwargs: Qwen2.5-VL does not take '" + key
                        + "'; it takes " + new TreeSet<>(KEYS));
            }
        }
        Long min = positiveInteger(kwargs, "min_pixels");
        Long max = positiveInteger(kwargs, "max_pixels");
        // transformers applies the two only together (a lone one is silently ignored there): ask for both
        if ((min == null) != (max == null)) {
            throw new IllegalArgumentException("mm_processor_kwargs: min_pixels and max_pixels must be given together"
                    + " (transformers ignores one alone), got " + (min == null ? "max_pixels=" + max : "min_pixels=" + min));
        }
        if (min != null && min > max) {
            throw new IllegalArgumentException("mm_processor_kwargs: min_pixels (" + min + ") must not exceed max_pixels ("
                    + max + ")");
        }
        Double fps = null;
        Object f = kwargs.get("fps");
        if (f != null) {
            if (!(f instanceof Number) || !(((Number) f).doubleValue() > 0)
                    || Double.isInfinite(((Number) f).doubleValue())) {
                throw new IllegalArgumentException("mm_processor_kwargs: fps must be a positive number, got " + f);
            }
            fps = ((Number) f).doubleValue();
        }
        Long minFrames = positiveInteger(kwargs, "min_frames");
        Long maxFrames = positiveInteger(kwargs, "max_frames");
        if (minFrames != null && maxFrames != null && minFrames > maxFrames) {
            throw new IllegalArgumentException("mm_processor_kwargs: min_frames (" + minFrames + ") must not exceed"
                    + " max_frames (" + maxFrames + ")");
        }
        return new ProcessorKwargs(min, max, fps, minFrames, maxFrames);
    }

    /** The settings with this request's pixel and frame bounds. */
    VisionSettings apply(VisionSettings settings) {
        VisionSettings s = minPixels == null ? settings : settings.withPixels(minPixels, maxPixels);
        if (minFrames == null && maxFrames == null) {
            return s;
        }
        int lo = minFrames == null ? s.minFrames() : Math.toIntExact(minFrames);
        int hi = maxFrames == null ? s.maxFrames() : Math.toIntExact(maxFrames);
        if (lo > hi) {
            throw new IllegalArgumentException("mm_processor_kwargs: min_frames (" + lo + ") must not exceed max_frames ("
                    + hi + "), counting the model's own setting");
        }
        return s.withFrames(lo, hi);
    }

    double fpsOrDefault() {
        return fps == null ? DEFAULT_FPS : fps;
    }

    private static Long positiveInteger(Map<String, Object> kwargs, String key) {
        Object v = kwargs.get(key);
        if (v == null) {
            return null;
        }
        boolean integral = v instanceof Integer || v instanceof Long || v instanceof Short
                || v instanceof Number && ((Number) v).doubleValue() == Math.rint(((Number) v).doubleValue())
                && !Double.isInfinite(((Number) v).doubleValue());
        if (!integral || ((Number) v).longValue() <= 0) {
            throw new IllegalArgumentException("mm_processor_kwargs: " + key + " must be a positive integer, got " + v);
        }
        return ((Number) v).longValue();
    }
}
