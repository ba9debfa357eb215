package ai.tessera.phi4mm.processor;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import ai.tessera.api.MediaInput;
import ai.tessera.api.MultimodalPrompt;
import ai.tessera.phi4mm.Phi4MMFixture;
import ai.tessera.phi4mm.audio.AudioFeatureSettings;
import ai.tessera.testing.FixtureJson;
import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;

/**
 * Placeholders found in prompts tokenized by the real o200k BPE (the demo model's tokenizer.json, which has
 * Phi-4-multimodal's vocabulary and special tokens): the fixture prompts expand as transformers' reference did, and
 * a placeholder sharing a token with its neighbour keeps the neighbour's text as its own token, as the checkpoint's
 * processor (which tokenizes the text between placeholders separately) does.
 */
class PlaceholderScannerTest {
    private static final Path TOKENIZER = Path.of("../demo-model/tessera-demo/tokenizer.json");
    private static final int SPACE_LT = 464;   // "Ġ<"
    private static final int GT_NEWLINE = 523; // ">Ċ"

    /** Read once: the vocabulary file is 7 MB. */
    private static final PlaceholderScanner SCANNER = scanner();

    private final Phi4MMMediaProcessor processor = new Phi4MMMediaProcessor(SCANNER, 448, 14, 36,
            AudioFeatureSettings.phi4Multimodal());

    private static PlaceholderScanner scanner() {
        try {
            return PlaceholderScanner.fromTokenizerJson(TOKENIZER);
        } catch (Exception e) {
            throw new AssertionError("cannot read " + TOKENIZER.toAbsolutePath(), e);
        }
    }

    @Test
    void fixturePromptsExpandAsTheReference() {
        Phi4MMFixture fixture = Phi4MMFixture.model();
        for (JsonNode p : fixture.prompts()) {
            List<MediaInput> media = new java.util.ArrayList<>();
            p.get("images").forEach(n -> media.add(MediaInput.of("image",
                    Phi4MMFixture.bytes("images/" + n.asText() + ".png"), "image/png", n.asText())));
            p.get("audios").forEach(n -> media.add(MediaInput.of("audio",
                    Phi4MMFixture.bytes("audio/" + n.asText() + ".wav"), "audio/wav", n.asText())));
            try (MultimodalPrompt prompt = processor.process(FixtureJson.ints(p.get("prompt_ids")), media, Map.of())) {
                assertArrayEquals(FixtureJson.ints(p.get("expanded_ids")), prompt.tokenIds(), p.get("name").asText());
            }
        }
    }

    @Test
    void aPlaceholderMergedWithTheSpaceBeforeItKeepsTheSpace() {
        int[] ids = {200021, SPACE_LT, 91, 3365, 62, 16, 91, 29, 200020};
        try (MultimodalPrompt prompt = processor.process(ids, List.of(image()), Map.of())) {
            int[] t = prompt.tokenIds();
            assertEquals(200021, t[0]);
            assertEquals(220, t[1], "the space before <|image_1|> stays a token");
            assertEquals(2, prompt.items().get(0).offset());
            assertEquals(200020, t[t.length - 1]);
            assertEquals("vision", prompt.adapter());
        }
    }

    @Test
    void aPlaceholderMergedWithTheNewlineAfterItKeepsTheNewline() {
        int[] ids = {200021, 27, 91, 3365, 62, 16, 91, GT_NEWLINE, 200020};
        try (MultimodalPrompt prompt = processor.process(ids, List.of(image()), Map.of())) {
            int[] t = prompt.tokenIds();
            assertEquals(198, t[t.length - 2], "the newline after <|image_1|> stays a token");
            assertTrue(Arrays.stream(t, 1, t.length - 2).allMatch(id -> id == 200010));
        }
    }

    @Test
    void placeholdersMustMatchTheMedia() {
        int[] one = {200021, 27, 91, 3365, 62, 16, 91, 29, 200020};
        IllegalArgumentException missing = assertThrows(IllegalArgumentException.class,
                () -> processor.process(one, List.of(image(), image()), Map.of()));
        assertTrue(missing.getMessage().contains("<|image_1|> .. <|image_2|>"), missing.getMessage());
        int[] twice = {27, 91, 3365, 62, 16, 91, 29, 27, 91, 3365, 62, 16, 91, 29};
        IllegalArgumentException duplicate = assertThrows(IllegalArgumentException.class,
                () -> processor.process(twice, List.of(image(), image()), Map.of()));
        assertTrue(duplicate.getMessage().contains("twice"), duplicate.getMessage());
        IllegalArgumentException video = assertThrows(IllegalArgumentException.class,
                () -> processor.process(one, List.of(MediaInput.of("video", new byte[] {1}, "video/mp4", "v")),
                        Map.of()));
        assertTrue(video.getMessage().contains("images and audio"), video.getMessage());
    }

    @Test
    void audioAloneSelectsTheSpeechAdapter() {
        int[] ids = {200021, 27, 91, 35146, 62, 16, 91, 29, 200020};
        try (MultimodalPrompt prompt = processor.process(ids, List.of(MediaInput.of("audio",
                Phi4MMFixture.bytes("audio/chirp_2s.wav"), "audio/wav", "chirp")), Map.of())) {
            assertEquals("speech", prompt.adapter());
            assertEquals(25, prompt.items().get(0).length(), "2 s: 198 frames, ceil(198 / 8) tokens");
        }
    }

    @Test
    void dynamicHdComesFromTheRequestKwargs() {
        int[] ids = {27, 91, 3365, 62, 16, 91, 29};
        MediaInput big = MediaInput.of("image", Phi4MMFixture.bytes("images/big_700x460.png"), "image/png", "big");
        try (MultimodalPrompt hd36 = processor.process(ids, List.of(big), Map.of());
             MultimodalPrompt hd2 = processor.process(ids, List.of(big), Map.of("dynamic_hd", 2))) {
            JsonNode images = Phi4MMFixture.processor().root.get("images");
            assertEquals(images.get("big_700x460").get("num_img_tokens").get(0).asInt(), hd36.items().get(0).length());
            assertEquals(images.get("big_700x460_hd2").get("num_img_tokens").get(0).asInt(),
                    hd2.items().get(0).length());
        }
        assertThrows(IllegalArgumentException.class, () -> processor.process(ids, List.of(big),
                Map.of("dynamic_hd", 0)));
    }

    private static MediaInput image() {
        return MediaInput.of("image", Phi4MMFixture.bytes("images/small_80x60.png"), "image/png", "small");
    }
}
