package ai.tessera.core.engine;

import java.util.Arrays;
import java.util.List;

import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptions;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;

/**
 * vLLM's (and the OpenAI API's) penalties over a batch of logits rows:
 * <ul>
 *   <li>repetition: for tokens in the prompt or the output, positive logits are divided by the penalty and negative
 *       ones multiplied by it;</li>
 *   <li>frequency: {@code logit -= penalty * (times the token occurs in the output)};</li>
 *   <li>presence: {@code logit -= penalty} once for every token in the output.</li>
 * </ul>
 * Counts are built with one scatter over the flattened {@code [rows * vocab]} table.
 */
final class Penalties {
    private Penalties() {
    }

    static Tensor apply(Tensor logits, List<RequestState> rows) {
        Device device = logits.device();
        int n = rows.size();
        long vocab = logits.size(1);
        boolean anyRepetition = rows.stream().anyMatch(r -> r.params.repetitionPenalty() != 1);
        boolean anyFrequency = rows.stream().anyMatch(r -> r.params.frequencyPenalty() != 0);
        boolean anyPresence = rows.stream().anyMatch(r -> r.params.presencePenalty() != 0);

        Tensor counts = flatCounts(rows, vocab, false, device).view(n, vocab);
        Tensor x = logits;
        if (anyRepetition) {
            Tensor seen = flatCounts(rows, vocab, true, device).view(n, vocab).gt(new Scalar(0.0));
            Tensor penalty = Sampler.rowTensor(rows, r -> (float) r.params.repetitionPenalty(), device).unsqueeze(1);
            Tensor penalized = torch.where(x.gt(new Scalar(0.0)), x.div(penalty), x.mul(penalty));
            x = torch.where(seen, penalized, x);
        }
        if (anyFrequency) {
            x = x.sub(counts.mul(Sampler.rowTensor(rows, r -> (float) r.params.frequencyPenalty(), device)
                    .unsqueeze(1)));
        }
        if (anyPresence) {
            x = x.sub(counts.gt(new Scalar(0.0)).to(ScalarType.Float)
                    .mul(Sampler.rowTensor(rows, r -> (float) r.params.presencePenalty(), device).unsqueeze(1)));
        }
        return x;
    }

    /**
     * Occurrences of each token per row, flattened to {@code [rows * vocab]}: of the output tokens, or with
     * {@code withPrompt} of prompt and output (only rows with a repetition penalty need that).
     */
    private static Tensor flatCounts(List<RequestState> rows, long vocab, boolean withPrompt, Device device) {
        int total = 0;
        for (RequestState r : rows) {
            if (r.params.hasPenalties()) {
                total += withPrompt ? r.numTokens() : r.numOutputTokens();
            }
        }
        long[] index = new long[total];
        int k = 0;
        for (int i = 0; i < rows.size(); i++) {
            RequestState r = rows.get(i);
            if (!r.params.hasPenalties()) {
                continue;
            }
            for (int t = withPrompt ? 0 : r.promptLength; t < r.numTokens(); t++) {
                int token = r.token(t);
                if (token >= 0 && token < vocab) {
                    index[k++] = i * vocab + token;
                }
            }
        }
        Tensor counts = torch.zeros(new long[] {rows.size() * vocab}, new TensorOptions(ScalarType.Float))
                .to(device, ScalarType.Float);
        if (k == 0) {
            return counts;
        }
        Tensor idx = BatchBuilder.toDevice(Arrays.copyOf(index, k), device);
        Tensor ones = torch.ones(new long[] {k}, new TensorOptions(ScalarType.Float)).to(device, ScalarType.Float);
        return counts.index_add_(0, idx, ones);
    }
}
