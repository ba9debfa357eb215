package ai.tessera.qwen25vl.processor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.util.Arrays;
import java.util.stream.Stream;

import ai.tessera.media.ImageDecoding;
import ai.tessera.media.RgbImage;
import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * Decoding of PNG (grey, RGBA), GIF (palette), lossless WebP and JPEG against Pillow's pixels, which the reference
 * recorded. Transparency is composited over white as vLLM's media loader does before the Hugging Face processor
 * sees the image (transformers' own {@code convert_to_rgb} drops the alpha channel instead; the reference recorded
 * both). Every image decodes to Pillow's bytes, the JPEG included (ImageIO and libjpeg-turbo agree on this
 * baseline 4:2:0 file; other JPEG encodings may differ by a level or two between decoders).
 */
class ImageDecodingParityTest {
    private static final ProcessorFixture FIXTURE = ProcessorFixture.load();

    @TestFactory
    Stream<DynamicTest> decodesLikePillow() {
        return FIXTURE.root.get("decoded").valueStream()
                .map(e -> DynamicTest.dynamicTest(e.get("file").asText() + " (" + e.get("mode").asText() + ")",
                        () -> check(e)));
    }

    private static void check(JsonNode e) {
        String file = e.get("file").asText();
        RgbImage rgb = ImageDecoding.decode(ProcessorFixture.input(file), file, Long.MAX_VALUE);
        assertEquals(e.get("width").asInt(), rgb.width(), file + " width");
        assertEquals(e.get("height").asInt(), rgb.height(), file + " height");
        byte[] expected = FIXTURE.decodedRgb(e, e.has("vllm_offset") ? "vllm_offset" : "offset");
        int maxDelta = 0;
        int differing = 0;
        for (int i = 0; i < expected.length; i++) {
            int d = Math.abs((expected[i] & 0xFF) - (rgb.rgb()[i] & 0xFF));
            maxDelta = Math.max(maxDelta, d);
            differing += d == 0 ? 0 : 1;
        }
        if (e.has("vllm_offset")) {
            byte[] alphaDropped = FIXTURE.decodedRgb(e, "offset");
            assertFalse(Arrays.equals(alphaDropped, expected), "the RGBA check needs translucent pixels");
        }
        assertEquals(0, differing, file + ": " + differing + " of " + expected.length
                + " values differ from Pillow's, max |delta| " + maxDelta);
    }
}
