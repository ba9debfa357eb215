package ai.tessera.gemma4;

import ai.tessera.api.AttentionBackend;
import ai.tessera.api.ForwardBatch;
import ai.tessera.api.ModelLoadException;
import ai.tessera.api.WeightSource;
import ai.tessera.nn.CosSin;
import ai.tessera.nn.ForwardScope;
import ai.tessera.nn.Linear;
import ai.tessera.nn.WeightPrefix;
import org.bytedeco.pytorch.Tensor;

/**
 * One decoder layer ({@code Gemma4TextDecoderLayer}), sandwich-normed:
 * <pre>
 * h = h + post_attention_layernorm(attn(input_layernorm(h)))
 * m = mlp(pre_feedforward_layernorm(h))
 * MoE: m = post_feedforward_layernorm_1(m) + post_feedforward_layernorm_2(experts(pre_feedforward_layernorm_2(h)))
 *      (routed on h itself)
 * h = h + post_feedforward_layernorm(m)
 * PLE: h = h + post_per_layer_input_norm(per_layer_projection(gelu_tanh(per_layer_input_gate(h)) * ple_i))
 * h = h * layer_scalar
 * </pre>
 */
final class Gemma4DecoderLayer implements AutoCloseable {
    private final Gemma4RmsNorm inputLayernorm;
    private final Gemma4Attention selfAttn;
    private final Gemma4RmsNorm postAttentionLayernorm;
    private final Gemma4RmsNorm preFeedforwardLayernorm;
    private final Gemma4Mlp mlp;
    private final Gemma4RmsNorm postFeedforwardLayernorm;
    private final MoeBlock moe;
    private final PerLayerInputGate perLayerInputGate;
    private final Tensor layerScalar;

    /** The experts beside the dense MLP, with their own norms. */
    private record MoeBlock(Gemma4Router router, Gemma4Experts experts, Gemma4RmsNorm preFeedforwardLayernorm2,
                            Gemma4RmsNorm postFeedforwardLayernorm1, Gemma4RmsNorm postFeedforwardLayernorm2)
            implements AutoCloseable {
        static MoeBlock load(WeightSource weights, WeightPrefix layer, Gemma4TextConfig config)
                throws ModelLoadException {
            Gemma4TextConfig.Moe settings = config.moe().orElseThrow();
            try (LoadGuard guard = new LoadGuard()) {
                Gemma4Router router = guard.add(Gemma4Router.load(weights, layer.child("router"), config,
                        settings.numExperts(), settings.topK()));
                Gemma4Experts experts = guard.add(Gemma4Experts.load(weights, layer.child("experts"),
                        config.hiddenSize(), settings));
                Gemma4RmsNorm pre2 = guard.add(norm(weights, layer, "pre_feedforward_layernorm_2", config));
                Gemma4RmsNorm post1 = guard.add(norm(weights, layer, "post_feedforward_layernorm_1", config));
                Gemma4RmsNorm post2 = guard.add(norm(weights, layer, "post_feedforward_layernorm_2", config));
                return guard.done(new MoeBlock(router, experts, pre2, post1, post2));
            }
        }

        Tensor forward(Tensor mlpOut, Tensor residual) {
            Tensor experts = experts().forward(preFeedforwardLayernorm2.forward(residual), router.route(residual));
            return postFeedforwardLayernorm1.forward(mlpOut).add(postFeedforwardLayernorm2.forward(experts));
        }

        @Override
        public void close() {
            router.close();
            experts.close();
            preFeedforwardLayernorm2.close();
            postFeedforwardLayernorm1.close();
            postFeedforwardLayernorm2.close();
        }
    }

    /** The layer's share of the Per-Layer Embeddings, gated by the hidden state. */
    private record PerLayerInputGate(Linear gate, Linear projection, Gemma4RmsNorm postNorm) implements AutoCloseable {
        static PerLayerInputGate load(WeightSource weights, WeightPrefix layer, Gemma4TextConfig config)
                throws ModelLoadException {
            long hidden = config.hiddenSize();
            int width = config.hiddenSizePerLayerInput();
            try (LoadGuard guard = new LoadGuard()) {
                Linear gate = guard.add(Linear.load(weights, layer.child("per_layer_input_gate"), hidden, width,
                        false));
                Linear projection = guard.add(Linear.load(weights, layer.child("per_layer_projection"), width,
                        hidden, false));
                Gemma4RmsNorm postNorm = guard.add(norm(weights, layer, "post_per_layer_input_norm", config));
                return guard.done(new PerLayerInputGate(gate, projection, postNorm));
            }
        }

        Tensor forward(Tensor hidden, Tensor input) {
            return postNorm.forward(projection.forward(Gemma4Mlp.geluTanh(gate.forward(hidden)).mul(input)));
        }

        @Override
        public void close() {
            gate.close();
            projection.close();
            postNorm.close();
        }
    }

    private Gemma4DecoderLayer(Gemma4RmsNorm inputLayernorm, Gemma4Attention selfAttn,
                               Gemma4RmsNorm postAttentionLayernorm, Gemma4RmsNorm preFeedforwardLayernorm,
                               Gemma4Mlp mlp, Gemma4RmsNorm postFeedforwardLayernorm, MoeBlock moe,
                               PerLayerInputGate perLayerInputGate, Tensor layerScalar) {
        this.inputLayernorm = inputLayernorm;
        this.selfAttn = selfAttn;
        this.postAttentionLayernorm = postAttentionLayernorm;
        this.preFeedforwardLayernorm = preFeedforwardLayernorm;
        this.mlp = mlp;
        this.postFeedforwardLayernorm = postFeedforwardLayernorm;
        this.moe = moe;
        this.perLayerInputGate = perLayerInputGate;
        this.layerScalar = Held.hold(layerScalar);
    }

    static Gemma4DecoderLayer load(WeightSource weights, Gemma4TextConfig config, WeightPrefix prefix,
                                   AttentionLayout.Layer layout, AttentionBackend backend) throws ModelLoadException {
        long hidden = config.hiddenSize();
        try (LoadGuard guard = new LoadGuard()) {
            Gemma4RmsNorm inputNorm = guard.add(norm(weights, prefix, "input_layernorm", config));
            Gemma4Attention attention = guard.add(Gemma4Attention.load(weights, config, prefix.child("self_attn"),
                    layout, backend));
            Gemma4RmsNorm postAttention = guard.add(norm(weights, prefix, "post_attention_layernorm", config));
            Gemma4RmsNorm preFeedforward = guard.add(norm(weights, prefix, "pre_feedforward_layernorm", config));
            long intermediate = (long) config.intermediateSize() * (layout.doubleWideMlp() ? 2 : 1);
            Gemma4Mlp mlp = guard.add(Gemma4Mlp.load(weights, prefix.child("mlp"), hidden, intermediate));
            Gemma4RmsNorm postFeedforward = guard.add(norm(weights, prefix, "post_feedforward_layernorm", config));
            MoeBlock moe = config.moe().isPresent() ? guard.add(MoeBlock.load(weights, prefix, config)) : null;
            PerLayerInputGate perLayerInputGate = config.hiddenSizePerLayerInput() > 0
                    ? guard.add(PerLayerInputGate.load(weights, prefix, config)) : null;
            Tensor layerScalar = weights.load(prefix.tensor("layer_scalar"), 1);
            return guard.done(new Gemma4DecoderLayer(inputNorm, attention, postAttention, preFeedforward, mlp,
                    postFeedforward, moe, perLayerInputGate, layerScalar));
        }
    }

    private static Gemma4RmsNorm norm(WeightSource weights, WeightPrefix layer, String name, Gemma4TextConfig config)
            throws ModelLoadException {
        return Gemma4RmsNorm.load(weights, layer.child(name), config.hiddenSize(), config.rmsNormEps());
    }

    /**
     * @param perLayerInput this layer's Per-Layer Embedding {@code [tokens, P]}, or {@code null} without PLE
     */
    Tensor forward(Tensor hidden, Tensor perLayerInput, CosSin cosSin, ForwardBatch batch, SharedKv shared,
                   ForwardScope scope) {
        Tensor residual = hidden;
        Tensor attention = selfAttn.forward(inputLayernorm.forward(hidden), cosSin, batch, shared, scope);
        hidden = residual.add(postAttentionLayernorm.forward(attention));

        residual = hidden;
        Tensor feedForward = mlp.forward(preFeedforwardLayernorm.forward(hidden));
        if (moe != null) {
            feedForward = moe.forward(feedForward, residual);
        }
        hidden = residual.add(postFeedforwardLayernorm.forward(feedForward));

        if (perLayerInputGate != null) {
            hidden = hidden.add(perLayerInputGate.forward(hidden, perLayerInput));
        }
        return hidden.mul(layerScalar);
    }

    @Override
    public void close() {
        inputLayernorm.close();
        selfAttn.close();
        postAttentionLayernorm.close();
        preFeedforwardLayernorm.close();
        mlp.close();
        postFeedforwardLayernorm.close();
        if (moe != null) {
            moe.close();
        }
        if (perLayerInputGate != null) {
            perLayerInputGate.close();
        }
        Held.release(layerScalar);
    }
}
