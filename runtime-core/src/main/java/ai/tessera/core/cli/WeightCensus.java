package ai.tessera.core.cli;

import java.util.List;
import java.util.Map;

import ai.tessera.core.weights.CountingWeights;

/**
 * What the loaded weights cost per token, from their names: the bytes one decode step reads (the language model's
 * weights, lm_head included — the embedding table only when lm_head is tied to it, since a lookup reads a few rows)
 * and the parameters a prefill token multiplies (the decoder layers: no embedding lookup, and lm_head runs for the
 * last token only). Vision and audio towers and their projectors are left out of both. For dense models; a
 * mixture of experts reads only its routed experts, which this overcounts.
 *
 * @param decodeBytes    bytes of weights read by one decode step
 * @param prefillParams  parameters multiplied by each prompt token (2 FLOPs each)
 * @param towerBytes     bytes of the vision/audio towers and projectors (reported, not counted)
 * @param totalBytes     bytes of everything loaded
 */
record WeightCensus(long decodeBytes, long prefillParams, long towerBytes, long totalBytes) {
    /** Name fragments of the media towers and projectors in the families served (transformers' names). */
    private static final List<String> TOWER_MARKS = List.of("visual", "vision", "audio", "speech", "mm_projector",
            "multi_modal_projector", "embed_tokens_extend", "image_embed");

    static WeightCensus of(Map<String, CountingWeights.Loaded> loaded) {
        long decodeBytes = 0;
        long prefillParams = 0;
        long towerBytes = 0;
        long totalBytes = 0;
        boolean lmHead = loaded.keySet().stream().anyMatch(WeightCensus::isLmHead);
        for (Map.Entry<String, CountingWeights.Loaded> e : loaded.entrySet()) {
            String name = e.getKey();
            CountingWeights.Loaded t = e.getValue();
            totalBytes += t.bytes();
            if (isTower(name)) {
                towerBytes += t.bytes();
            } else if (isLmHead(name)) {
                decodeBytes += t.bytes();
            } else if (name.contains("embed_tokens")) {
                if (!lmHead && name.endsWith("embed_tokens.weight")) {
                    decodeBytes += t.bytes();   // tied: lm_head reads the whole table every step
                }
            } else {
                decodeBytes += t.bytes();
                prefillParams += t.elements();
            }
        }
        return new WeightCensus(decodeBytes, prefillParams, towerBytes, totalBytes);
    }

    static boolean isTower(String name) {
        return TOWER_MARKS.stream().anyMatch(name::contains);
    }

    private static boolean isLmHead(String name) {
        return name.startsWith("lm_head.") || name.contains(".lm_head.");
    }
}
