package ai.tessera.api;

import java.util.List;

/**
 * One media item of a request as the server received it, still encoded: the processor decodes it.
 *
 * @param modality {@code image}, {@code audio} or {@code video}
 * @param data     the encoded bytes: one element for a file (PNG, JPEG, WAV, MP4...), several for a video given
 *                 as a list of frame images
 * @param mimeType the media type when known (from a data URL or a response header), else {@code null}
 * @param source   where it came from, for error messages (a URL with any data elided)
 */
public record MediaInput(String modality, List<byte[]> data, String mimeType, String source) {
    public MediaInput {
        if (modality == null || modality.isBlank()) {
            throw new IllegalArgumentException("a media input needs a modality (image, audio, video)");
        }
        if (data == null || data.isEmpty() || data.stream().anyMatch(d -> d == null || d.length == 0)) {
            throw new IllegalArgumentException("the " + modality + " from " + source + " is empty");
        }
        data = List.copyOf(data);
    }

    /** A single encoded file. */
    public static MediaInput of(String modality, byte[] data, String mimeType, String source) {
        return new MediaInput(modality, List.of(data), mimeType, source);
    }

    /** The total encoded size in bytes. */
    public long byteSize() {
        long n = 0;
        for (byte[] d : data) {
            n += d.length;
        }
        return n;
    }
}
