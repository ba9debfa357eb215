package ai.tessera.core.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.List;

import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptions;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The sampler's masks, penalties, greedy choice, seeded draws and logprobs on hand-made logits. */
class SamplerTest {
    private PointerScope scope;

    @BeforeEach
    void open() {
        scope = new PointerScope();
    }

    @AfterEach
    void close() {
        scope.close();
    }

    private static Tensor logits(float[]... rows) {
        int vocab = rows[0].length;
        float[] flat = new float[rows.length * vocab];
        for (int i = 0; i < rows.length; i++) {
            System.arraycopy(rows[i], 0, flat, i * vocab, vocab);
        }
        return torch.tensor(flat, new TensorOptions(ScalarType.Float)).view(rows.length, vocab);
    }

    private static float[] logOf(double... probs) {
        float[] out = new float[probs.length];
        for (int i = 0; i < probs.length; i++) {
            out[i] = (float) Math.log(probs[i]);
        }
        return out;
    }

    private static RequestState row(SamplingParams params) {
        return Requests.state("r", new int[] {0}, params);
    }

    /** Which tokens survive the temperature and truncation masks of one row. */
    private static boolean[] kept(float[] row, SamplingParams params) {
        float[] processed = Sampler.toFloats(Sampler.processForSampling(logits(row), List.of(row(params))));
        boolean[] kept = new boolean[processed.length];
        for (int i = 0; i < processed.length; i++) {
            kept[i] = processed[i] != Float.NEGATIVE_INFINITY;
        }
        return kept;
    }

    @Test
    void topKKeepsTheKMostLikelyTokens() {
        float[] row = {0.1f, 3f, -1f, 2f, 0.5f, 2.5f};
        assertArrayEquals(new boolean[] {false, true, false, true, false, true},
                kept(row, SamplingParams.builder().topK(3).build()));
        assertArrayEquals(new boolean[] {true, true, true, true, true, true},
                kept(row, SamplingParams.builder().topK(-1).build()));
    }

    @Test
    void topPKeepsTheSmallestSetReachingP() {
        float[] row = logOf(0.1, 0.5, 0.1, 0.3);
        // 0.5 then 0.3 reach 0.8 >= 0.7; the rest is dropped
        assertArrayEquals(new boolean[] {false, true, false, true}, kept(row, SamplingParams.builder().topP(0.7).build()));
        // the most likely token is always kept
        assertArrayEquals(new boolean[] {false, true, false, false}, kept(row, SamplingParams.builder().topP(0.1).build()));
    }

    @Test
    void minPDropsTokensLessLikelyThanAFractionOfTheTop() {
        float[] row = logOf(0.5, 0.3, 0.15, 0.05);
        assertArrayEquals(new boolean[] {true, true, true, false}, kept(row, SamplingParams.builder().minP(0.2).build()));
    }

    @Test
    void temperatureIsAppliedBeforeMinP() {
        // at temperature 0.5 probabilities become squared and renormalised: 0.15^2/0.5^2 = 0.09 < 0.2 drops it
        float[] row = logOf(0.5, 0.3, 0.15, 0.05);
        assertArrayEquals(new boolean[] {true, true, false, false},
                kept(row, SamplingParams.builder().temperature(0.5).minP(0.2).build()));
    }

    @Test
    void penaltiesFollowVllmSemantics() {
        RequestState r = Requests.state("p", new int[] {0, 4}, SamplingParams.builder().repetitionPenalty(2.0)
                .frequencyPenalty(0.5).presencePenalty(0.25).build());
        r.append(1);
        r.append(1);
        r.append(2);
        float[] out = Sampler.toFloats(Penalties.apply(logits(new float[] {2f, -2f, 1f, 0.5f, -1f}), List.of(r)));
        // token 0 (prompt): 2 / 2; token 1 (output twice): -2 * 2 - 0.5 * 2 - 0.25; token 2 (output once):
        // 1 / 2 - 0.5 - 0.25; token 3 unseen; token 4 (prompt, negative): -1 * 2
        assertArrayEquals(new float[] {1f, -5.25f, -0.25f, 0.5f, -2f}, out, 1e-6f);
    }

    @Test
    void rowsWithoutPenaltiesAreLeftAlone() {
        RequestState plain = Requests.state("a", new int[] {0}, SamplingParams.greedy());
        plain.append(1);
        RequestState penalized = Requests.state("b", new int[] {0}, SamplingParams.builder().presencePenalty(1).build());
        penalized.append(1);
        float[] out = Sampler.toFloats(Penalties.apply(logits(new float[] {1f, 1f}, new float[] {1f, 1f}),
                List.of(plain, penalized)));
        assertArrayEquals(new float[] {1f, 1f, 1f, 0f}, out, 1e-6f);
    }

    @Test
    void greedyTakesTheArgmaxAfterPenalties() {
        RequestState r = Requests.state("g", new int[] {1}, SamplingParams.builder().temperature(0)
                .repetitionPenalty(4).build());
        Sampler.Result result = new Sampler(0).sample(logits(new float[] {1f, 2f, 0f}), List.of(r));
        assertArrayEquals(new int[] {0}, result.tokens(), "token 1 is in the prompt: 2 / 4 < 1");
    }

    @Test
    void aSeededRequestDrawsTheSameTokensEveryTime() {
        float[] row = new float[50];
        for (int i = 0; i < row.length; i++) {
            row[i] = (float) Math.sin(i);
        }
        SamplingParams params = SamplingParams.builder().seed(1234L).build();
        int[] first = drawMany(row, params, 0);
        int[] again = drawMany(row, params, 99); // another engine seed does not matter
        assertArrayEquals(first, again);
        assertNotEquals(Arrays.toString(first), Arrays.toString(drawMany(row, params.toBuilder().seed(1235L).build(), 0)));
    }

    private static int[] drawMany(float[] row, SamplingParams params, long engineSeed) {
        Sampler sampler = new Sampler(engineSeed);
        RequestState r = row(params);
        int[] tokens = new int[30];
        for (int i = 0; i < tokens.length; i++) {
            tokens[i] = sampler.sample(logits(row), List.of(r)).tokens()[0];
        }
        return tokens;
    }

    @Test
    void drawsFollowTheDistributionAndNeverPickAMaskedToken() {
        float[] row = logOf(0.6, 0.3, 0.08, 0.02);
        SamplingParams params = SamplingParams.builder().topK(3).seed(5L).build();
        Sampler sampler = new Sampler(0);
        RequestState r = row(params);
        int[] counts = new int[4];
        int n = 4000;
        for (int i = 0; i < n; i++) {
            counts[sampler.sample(logits(row), List.of(r)).tokens()[0]]++;
        }
        assertEquals(0, counts[3], "top-k 3 masks the least likely token");
        double[] expected = {0.6 / 0.98, 0.3 / 0.98, 0.08 / 0.98};
        for (int t = 0; t < 3; t++) {
            assertEquals(expected[t], counts[t] / (double) n, 0.03, "frequency of token " + t);
        }
    }

    @Test
    void greedyAndRandomRowsMixInOneBatch() {
        float[] row = logOf(0.1, 0.2, 0.7);
        RequestState greedy = row(SamplingParams.greedy());
        RequestState forced = row(SamplingParams.builder().topK(1).seed(3L).build());
        RequestState anyToken = row(SamplingParams.builder().seed(3L).build());
        Sampler.Result result = new Sampler(0).sample(logits(row, row, row), List.of(greedy, forced, anyToken));
        assertEquals(2, result.tokens()[0]);
        assertEquals(2, result.tokens()[1]);
        assertTrue(result.tokens()[2] >= 0 && result.tokens()[2] < 3);
    }

    @Test
    void logprobsAreTheRawModelLogprobsOfTheSampledTokenWithItsRank() {
        float[] row = {1f, 3f, 2f, 0f};
        RequestState r = row(SamplingParams.builder().temperature(0).repetitionPenalty(10).logprobs(2).build());
        r.append(1); // the penalty makes token 2 the greedy choice; logprobs stay those of the raw logits
        Sampler.Result result = new Sampler(0).sample(logits(row), List.of(r));
        assertEquals(2, result.tokens()[0]);
        double norm = Math.log(Math.exp(1) + Math.exp(3) + Math.exp(2) + Math.exp(0));
        TokenLogprob lp = result.logprobs()[0];
        assertEquals(2 - norm, lp.logprob(), 1e-5);
        assertEquals(2, lp.rank());
        assertEquals(List.of(1, 2), lp.top().stream().map(TokenLogprob.Top::tokenId).toList());
        assertEquals(3 - norm, lp.top().get(0).logprob(), 1e-5);
    }

    @Test
    void rowsWithoutLogprobsGetNone() {
        RequestState with = row(SamplingParams.builder().temperature(0).logprobs(0).build());
        RequestState without = row(SamplingParams.greedy());
        Sampler.Result result = new Sampler(0).sample(logits(new float[] {0f, 1f}, new float[] {0f, 1f}),
                List.of(with, without));
        assertEquals(0, result.logprobs()[0].top().size());
        assertEquals(null, result.logprobs()[1]);
    }

    @Test
    void invalidParametersNameTheValue() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> SamplingParams.builder().topP(1.5).build());
        assertTrue(e.getMessage().contains("top_p") && e.getMessage().contains("1.5"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> SamplingParams.builder().temperature(-1).build());
        assertThrows(IllegalArgumentException.class, () -> SamplingParams.builder().logprobs(21).build());
    }
}
