package ai.tessera.core.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

import ai.tessera.core.tokenizer.TinyTokenizers;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Which tags of a media placeholder a model folder's tokenizer lacks (the load-time warning of ModelLoader). */
class TokenizerCodecTest {
    @Test
    void tagsTheTokenizerDoesNotHaveAreNamedOnce(@TempDir Path dir) throws Exception {
        Path model = TinyTokenizers.modelDir(dir.resolve("m"), TinyTokenizers.byteLevel(), null, null);
        try (TokenizerCodec codec = TokenizerCodec.forModel(model, Optional.empty())) {
            assertEquals(List.of(), codec.unknownTags("<|start|>text<|end|>"));
            assertEquals(List.of("<|image_pad|>"), codec.unknownTags("<|start|><|image_pad|><|image_pad|><|end|>"));
            assertEquals(List.of("<image>", "<|dummy_0|>"), codec.unknownTags("<image> and <|dummy_0|>"));
        }
    }
}
