package ai.tessera.gemma4;

import ai.tessera.core.engine.Engine;
import org.junit.jupiter.api.Test;

/**
 * Gemma 4 with images through the whole engine: both fixture prompts (one image; two images) submitted together,
 * twice each, with a 16-token budget so that every image is prefilled across several chunks while the other
 * requests decode, must give transformers' 64 greedy tokens; the repeated prompts take their prefix from the cache
 * (same images), and every block is free at the end.
 */
class Gemma4VisionEngineParityTest {

    @Test
    void batchedChunkedGreedyTokensMatchTransformers() throws Exception {
        try (Gemma4Reference reference = Gemma4Reference.load(Gemma4Fixture.VISION, "gemma4 vision engine parity");
             Engine engine = Engine.start(reference.model(), GreedyEngineRuns.config(reference.cpu(), 96, 16, 8))) {
            GreedyEngineRuns.assertEachPromptTwiceGivesTheGreedyTokens(engine, reference.fixture(),
                    reference::process);
        }
    }
}
