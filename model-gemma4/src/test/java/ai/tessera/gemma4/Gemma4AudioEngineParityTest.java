package ai.tessera.gemma4;

import ai.tessera.core.engine.Engine;
import org.junit.jupiter.api.Test;

/**
 * Gemma 4 with audio through the whole engine: both fixture prompts (one clip; a clip and an image) submitted
 * together, twice each, with a 16-token budget so that every clip and image is prefilled across several chunks
 * while the other requests decode, must give transformers' 64 greedy tokens; the repeated prompts take their prefix
 * from the cache (same media), and every block is free at the end.
 */
class Gemma4AudioEngineParityTest {

    @Test
    void batchedChunkedGreedyTokensMatchTransformers() throws Exception {
        try (Gemma4Reference reference = Gemma4Reference.load(Gemma4Fixture.AUDIO, "gemma4 audio engine parity");
             Engine engine = Engine.start(reference.model(), GreedyEngineRuns.config(reference.cpu(), 96, 16, 8))) {
            GreedyEngineRuns.assertEachPromptTwiceGivesTheGreedyTokens(engine, reference.fixture(),
                    reference::process);
        }
    }
}
