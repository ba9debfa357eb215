package ai.tessera.core.engine;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.LongOptional;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.ScalarOptional;
import org.bytedeco.pytorch.ScalarTypeOptional;
import org.bytedeco.pytorch.StringViewOptional;
import org.bytedeco.pytorch.T_TensorTensor_T;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptional;
import org.bytedeco.pytorch.TensorOptions;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;

/**
 * Picks the next token of every sampled row of a step at once, on the logits' device.
 *
 * <p>Order (as vLLM): raw logprobs for the response; repetition, frequency and presence penalties; greedy rows take
 * the argmax of the penalized logits; the other rows are divided by their temperature, then min-p, top-k and top-p
 * mask tokens, and a token is drawn by inverse CDF with a uniform number from Java: from the request's own
 * {@link SplittableRandom} when it has a seed (so its tokens do not depend on what else is batched, nor on the
 * device's generator), else from the engine's. Callers open a {@code PointerScope} around a step; temporaries are
 * freed with it.
 */
final class Sampler {
    /** Keeps {@code u * total} strictly below the CDF's last value, so the draw never runs off the end. */
    private static final float MAX_UNIFORM = 0.99999994f;

    private final SplittableRandom engineRandom;

    Sampler(long seed) {
        this.engineRandom = new SplittableRandom(seed);
    }

    /** The sampled tokens and, for rows that asked for them, their logprobs (else null entries). */
    record Result(int[] tokens, TokenLogprob[] logprobs) {
    }

    /** Samples one token for each row; row {@code i} of {@code logits} belongs to {@code rows.get(i)}. */
    Result sample(Tensor logits, List<RequestState> rows) {
        int n = rows.size();
        if (logits.dim() != 2 || logits.size(0) != n) {
            throw new IllegalStateException("the model returned logits of " + logits.dim() + " dims and "
                    + (logits.dim() > 0 ? logits.size(0) : 0) + " rows for " + n + " sampled sequences; expected [" + n
                    + ", vocab]");
        }
        if (n == 0) {
            return new Result(new int[0], new TokenLogprob[0]);
        }
        Device device = logits.device();
        // every step below makes new tensors, so the model's logits are never changed
        Tensor x = logits.to(ScalarType.Float);
        int maxLogprobs = -1;
        boolean anyPenalty = false;
        boolean allGreedy = true;
        boolean anyGreedy = false;
        for (RequestState r : rows) {
            SamplingParams p = r.params;
            if (p.logprobs() != null) {
                maxLogprobs = Math.max(maxLogprobs, p.logprobs());
            }
            anyPenalty |= p.hasPenalties();
            allGreedy &= p.isGreedy();
            anyGreedy |= p.isGreedy();
        }
        Tensor rawLogprobs = maxLogprobs >= 0 ? x.log_softmax(1) : null;
        if (anyPenalty) {
            x = Penalties.apply(x, rows);
        }
        Tensor tokens;
        if (allGreedy) {
            tokens = x.argmax(new LongOptional(1), false);
        } else {
            Tensor sampled = draw(processForSampling(x, rows), rows, device);
            if (anyGreedy) {
                Tensor greedyRows = rowTensor(rows, r -> r.params.isGreedy() ? 1f : 0f, device).to(ScalarType.Bool);
                tokens = torch.where(greedyRows, x.argmax(new LongOptional(1), false), sampled);
            } else {
                tokens = sampled;
            }
        }
        long[] chosen = toLongs(tokens);
        int[] result = new int[n];
        for (int i = 0; i < n; i++) {
            result[i] = Math.toIntExact(chosen[i]);
        }
        TokenLogprob[] logprobs = new TokenLogprob[n];
        if (rawLogprobs != null) {
            fillLogprobs(rawLogprobs, tokens, rows, maxLogprobs, logprobs);
        }
        return new Result(result, logprobs);
    }

    /** Temperature, then min-p, top-k and top-p masks, as logits (masked tokens at -inf). */
    static Tensor processForSampling(Tensor logits, List<RequestState> rows) {
        Device device = logits.device();
        Tensor x = logits.div(rowTensor(rows, r -> r.params.isGreedy() ? 1f : (float) r.params.temperature(), device)
                .unsqueeze(1));
        boolean anyMinP = rows.stream().anyMatch(r -> r.params.minP() > 0);
        boolean anyTopK = rows.stream().anyMatch(r -> r.params.hasTopK());
        boolean anyTopP = rows.stream().anyMatch(r -> r.params.hasTopP());
        if (anyMinP) {
            Tensor probs = x.softmax(1);
            Tensor threshold = probs.amax(new long[] {1}, true)
                    .mul(rowTensor(rows, r -> (float) r.params.minP(), device).unsqueeze(1));
            x.masked_fill_(probs.lt(threshold), negInf());
        }
        if (anyTopK || anyTopP) {
            long vocab = x.size(1);
            T_TensorTensor_T sorted = x.sort(1, true);
            Tensor values = sorted.get0();
            Tensor indices = sorted.get1();
            if (anyTopK) {
                Tensor k = rowTensor(rows, r -> r.params.hasTopK() ? (float) r.params.topK() : (float) vocab, device)
                        .unsqueeze(1);
                Tensor rank = torch.arange(new Scalar(vocab), new TensorOptions(ScalarType.Float)).to(device,
                        ScalarType.Float).unsqueeze(0);
                values.masked_fill_(rank.ge(k), negInf());
            }
            if (anyTopP) {
                Tensor probs = values.softmax(1);
                Tensor before = probs.cumsum(1).sub(probs);
                Tensor p = rowTensor(rows, r -> r.params.hasTopP() ? (float) r.params.topP() : 2f, device).unsqueeze(1);
                values.masked_fill_(before.ge(p), negInf());
            }
            x = x.scatter(1, indices, values);
        }
        return x;
    }

    /** One token per row by inverse CDF: the first token whose cumulative probability exceeds {@code u}. */
    private Tensor draw(Tensor logits, List<RequestState> rows, Device device) {
        Tensor cdf = logits.softmax(1).to(ScalarType.Double).cumsum(1);
        long vocab = cdf.size(1);
        float[] u = new float[rows.size()];
        for (int i = 0; i < u.length; i++) {
            SplittableRandom rng = rows.get(i).rng != null ? rows.get(i).rng : engineRandom;
            u[i] = Math.min((float) rng.nextDouble(), MAX_UNIFORM);
        }
        Tensor target = torch.tensor(u, new TensorOptions(ScalarType.Float)).to(device, ScalarType.Double).unsqueeze(1)
                .mul(cdf.narrow(1, vocab - 1, 1));
        Tensor index = torch.searchsorted(cdf, target, false, true, new StringViewOptional(), new TensorOptional());
        return index.clamp_(new ScalarOptional(new Scalar(0L)), new ScalarOptional(new Scalar(vocab - 1))).squeeze(1);
    }

    private static void fillLogprobs(Tensor rawLogprobs, Tensor tokens, List<RequestState> rows, int maxLogprobs,
                                     TokenLogprob[] out) {
        Tensor chosen = rawLogprobs.gather(1, tokens.unsqueeze(1));
        float[] chosenLogprob = toFloats(chosen);
        // rank 1 is the most likely token: one more than the number of tokens strictly more likely
        Tensor moreLikely = rawLogprobs.gt(chosen).sum(new long[] {1}, false, new ScalarTypeOptional(ScalarType.Long));
        long[] rank = toLongs(moreLikely.add(new Scalar(1L)));
        float[] topValues = new float[0];
        long[] topIds = new long[0];
        int k = (int) Math.min(maxLogprobs, rawLogprobs.size(1));
        if (k > 0) {
            T_TensorTensor_T top = rawLogprobs.topk(k, 1, true, true);
            topValues = toFloats(top.get0());
            topIds = toLongs(top.get1());
        }
        long[] tokenIds = toLongs(tokens);
        for (int i = 0; i < rows.size(); i++) {
            Integer wanted = rows.get(i).params.logprobs();
            if (wanted == null) {
                continue;
            }
            List<TokenLogprob.Top> top = new ArrayList<>();
            for (int j = 0; j < Math.min(wanted, k); j++) {
                top.add(new TokenLogprob.Top((int) topIds[i * k + j], topValues[i * k + j]));
            }
            out[i] = new TokenLogprob((int) tokenIds[i], chosenLogprob[i], (int) rank[i], top);
        }
    }

    /** Not a constant: a native object held in a static field could be freed by a caller's PointerScope. */
    static Scalar negInf() {
        return new Scalar(Double.NEGATIVE_INFINITY);
    }

    /** A float per row, on the device. */
    static Tensor rowTensor(List<RequestState> rows, RowValue value, Device device) {
        float[] v = new float[rows.size()];
        for (int i = 0; i < v.length; i++) {
            v[i] = value.of(rows.get(i));
        }
        Tensor t = torch.tensor(v, new TensorOptions(ScalarType.Float));
        return device.is_cpu() ? t : t.to(device, ScalarType.Float);
    }

    /** A per-row parameter. */
    @FunctionalInterface
    interface RowValue {
        float of(RequestState r);
    }

    static long[] toLongs(Tensor t) {
        Tensor cpu = t.to(new Device("cpu"), ScalarType.Long).contiguous();
        long[] out = new long[(int) cpu.numel()];
        cpu.data_ptr_long().get(out);
        return out;
    }

    static float[] toFloats(Tensor t) {
        Tensor cpu = t.to(new Device("cpu"), ScalarType.Float).contiguous();
        float[] out = new float[(int) cpu.numel()];
        cpu.data_ptr_float().get(out);
        return out;
    }
}
