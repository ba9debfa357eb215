package ai.tessera.core.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;

import ai.tessera.core.weights.CountingWeights.Loaded;
import org.junit.jupiter.api.Test;

class WeightCensusTest {
    private static Loaded bf16(long elements) {
        return new Loaded(elements, 2 * elements);
    }

    @Test
    void untiedModelReadsLayersAndLmHeadButNotTheEmbeddingOrTheTower() {
        WeightCensus c = WeightCensus.of(Map.of(
                "model.language_model.embed_tokens.weight", bf16(1000),
                "model.language_model.layers.0.mlp.down_proj.weight", bf16(300),
                "model.language_model.norm.weight", bf16(10),
                "lm_head.weight", bf16(1000),
                "model.visual.blocks.0.attn.qkv.weight", bf16(77)));
        assertEquals(2 * (300 + 10 + 1000), c.decodeBytes());
        assertEquals(310, c.prefillParams());
        assertEquals(2 * 77, c.towerBytes());
        assertEquals(2 * (1000 + 300 + 10 + 1000 + 77), c.totalBytes());
    }

    @Test
    void tiedLmHeadReadsTheWholeEmbeddingTableEveryStepButPerLayerEmbeddingsAreLookups() {
        WeightCensus c = WeightCensus.of(Map.of(
                "model.embed_tokens.weight", bf16(1000),
                "model.embed_tokens_per_layer.weight", bf16(5000),
                "model.layers.0.self_attn.q_proj.weight", bf16(40),
                "model.embed_vision.embedding_projection.weight", bf16(9),
                "model.mm_projector.0.weight", bf16(3)));
        assertEquals(2 * (1000 + 40), c.decodeBytes());
        assertEquals(40, c.prefillParams());
        assertEquals(2 * (9 + 3), c.towerBytes());
    }

    @Test
    void towersAreKnownByTheirNames() {
        assertTrue(WeightCensus.isTower("model.vision_tower.vision_tower.vision_model.encoder.layers.0.mlp.fc1.weight"));
        assertTrue(WeightCensus.isTower("model.audio_tower.layers.0.weight"));
        assertTrue(WeightCensus.isTower("model.embed_tokens_extend.image_embed.img_projection.0.weight"));
        assertFalse(WeightCensus.isTower("model.layers.3.self_attn.o_proj.weight"));
    }
}
