package ai.tessera.gemma4;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Arrays;
import java.util.List;

import ai.tessera.api.MultimodalPrompt;
import ai.tessera.core.kv.PagedKvCache;
import ai.tessera.core.platform.CpuPlatform;
import ai.tessera.testing.FixtureJson;
import ai.tessera.testing.Parity;
import com.fasterxml.jackson.databind.JsonNode;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;

/**
 * One multimodal fixture prompt against transformers through the paged KV cache: the logits at every position of
 * its prefill, transformers' greedy tokens decoded one step at a time (with the logits of each step), and the same
 * prefill in two chunks cut at a given token, inside the media.
 */
final class GreedyPromptParity {
    /** The largest |Δlogit| of the prefill, of the greedy steps and of the chunked prefill. */
    record MaxDeltas(double prefill, double decode, double chunked) {
    }

    private GreedyPromptParity() {
    }

    /**
     * Runs the prompt on {@code model} with a cache of {@code numBlocks} blocks, the sequence taking
     * {@code blockTable}; fails where a logit is more than {@code tolerance} from transformers' or a greedy token
     * differs. {@code where} starts each failure message.
     */
    static MaxDeltas check(Gemma4CausalLm model, CpuPlatform cpu, int numBlocks, long[] blockTable,
                           Gemma4Fixture fixture, JsonNode prompt, MultimodalPrompt processed, int cut, String where,
                           double tolerance) {
        int[] subset = FixtureJson.ints(fixture.root.get("vocab_subset"));
        int[] decodeSubset = Arrays.copyOf(subset, fixture.root.get("decode_subset_size").asInt());
        long[] ids = FixtureJson.longs(prompt.get("input_ids"));
        float[][] prefillSubset = fixture.matrix(prompt.get("prefill_subset"));
        int[][] prefillTop5 = FixtureJson.intMatrix(prompt.get("prefill_top5_ids"));
        float[][] prefillTop5Values = fixture.matrix(prompt.get("prefill_top5_values"));
        long[] greedy = FixtureJson.longs(prompt.get("greedy"));
        float[][] decode = fixture.matrix(prompt.get("decode_subset"));
        int[][] decodeTop5 = FixtureJson.intMatrix(prompt.get("decode_top5_ids"));
        float[][] decodeTop5Values = fixture.matrix(prompt.get("decode_top5_values"));
        double prefillDelta = 0;
        double decodeDelta = 0;
        double chunkedDelta = 0;
        try (PagedKvCache cache = PagedKvCache.allocate(model.attentionLayers(), numBlocks, PagedSteps.BLOCK_SIZE,
                cpu.device());
             PointerScope scope = new PointerScope()) {
            PagedSteps.Multimodal steps = steps(model, cache, blockTable, processed);
            float[][] rows = steps.logits(ids, 0, ids.length, null);
            for (int t = 0; t < ids.length; t++) {
                prefillDelta = Math.max(prefillDelta, Parity.compare(where + "position " + t, rows[t], subset,
                        prefillSubset[t], prefillTop5[t], prefillTop5Values[t], tolerance));
            }
            long[] sequence = ids;
            float[] logits = rows[ids.length - 1];
            for (int s = 0; s < greedy.length; s++) {
                String step = where + "greedy step " + s;
                decodeDelta = Math.max(decodeDelta, Parity.compare(step, logits, decodeSubset, decode[s],
                        decodeTop5[s], decodeTop5Values[s], tolerance));
                assertEquals(greedy[s], Parity.argmax(logits), step + ": greedy token");
                sequence = Parity.append(sequence, greedy[s]);
                if (s + 1 < greedy.length) {
                    logits = steps.logits(sequence, sequence.length - 1, sequence.length, new long[] {0})[0];
                }
            }
        }
        try (PagedKvCache cache = PagedKvCache.allocate(model.attentionLayers(), numBlocks, PagedSteps.BLOCK_SIZE,
                cpu.device());
             PointerScope scope = new PointerScope()) {
            PagedSteps.Multimodal steps = steps(model, cache, blockTable, processed);
            float[][] first = steps.logits(ids, 0, cut, null);
            float[][] second = steps.logits(ids, cut, ids.length, null);
            for (int t = 0; t < ids.length; t++) {
                float[] row = t < cut ? first[t] : second[t - cut];
                chunkedDelta = Math.max(chunkedDelta, Parity.compare(where + "chunked position " + t, row, subset,
                        prefillSubset[t], prefillTop5[t], prefillTop5Values[t], tolerance));
            }
        }
        return new MaxDeltas(prefillDelta, decodeDelta, chunkedDelta);
    }

    private static PagedSteps.Multimodal steps(Gemma4CausalLm model, PagedKvCache cache, long[] blockTable,
                                               MultimodalPrompt processed) {
        List<Tensor> embeds = model.embedMultimodal(processed.items());
        return new PagedSteps.Multimodal(model, cache, blockTable, processed.items(), embeds);
    }
}
