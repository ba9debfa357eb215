package ai.tessera.phi4;

import java.util.OptionalInt;

import ai.tessera.api.ModelConfig;
import ai.tessera.api.ModelLoadException;
import ai.tessera.nn.RopeParameters;

/**
 * The keys of transformers' {@code Phi3Config} that the decoder uses, with its defaults where a key is absent.
 *
 * @param headDim       {@code head_dim}, else {@code hidden_size / num_attention_heads}
 * @param slidingWindow {@code sliding_window}: transformers masks keys this many positions back or more
 * @param rope          the standardized RoPE settings ({@code su} and {@code yarn} read as {@code longrope}, as
 *                      Phi3Config does)
 */
record Phi3Config(int vocabSize, int hiddenSize, int intermediateSize, int numHiddenLayers, int numAttentionHeads,
                  int numKeyValueHeads, int headDim, double rmsNormEps, OptionalInt slidingWindow,
                  boolean tieWordEmbeddings, RopeParameters rope) {

    static Phi3Config from(ModelConfig config) throws ModelLoadException {
        int hidden = intOr(config, "hidden_size", 3072);
        int heads = intOr(config, "num_attention_heads", 32);
        int kvHeads = intOr(config, "num_key_value_heads", heads);
        if (heads <= 0 || kvHeads <= 0 || heads % kvHeads != 0) {
            throw new ModelLoadException("config.json num_attention_heads (" + heads + ") must be a positive multiple"
                    + " of num_key_value_heads (" + kvHeads + ")");
        }
        if (!config.has("head_dim") && hidden % heads != 0) {
            throw new ModelLoadException("config.json hidden_size (" + hidden + ") must be a multiple of"
                    + " num_attention_heads (" + heads + ") when head_dim is absent");
        }
        String activation = config.getString("hidden_act").orElse("silu");
        if (!activation.equals("silu")) {
            throw new ModelLoadException("config.json hidden_act must be 'silu' for Phi3ForCausalLM, got '"
                    + activation + "'");
        }
        return new Phi3Config(
                intOr(config, "vocab_size", 32064),
                hidden,
                intOr(config, "intermediate_size", 8192),
                intOr(config, "num_hidden_layers", 32),
                heads,
                kvHeads,
                intOr(config, "head_dim", hidden / heads),
                config.has("rms_norm_eps") ? config.getDouble("rms_norm_eps") : 1e-5,
                config.has("sliding_window") ? OptionalInt.of(config.getInt("sliding_window")) : OptionalInt.empty(),
                config.getBoolean("tie_word_embeddings", false),
                rope(config));
    }

    private static RopeParameters rope(ModelConfig config) throws ModelLoadException {
        RopeParameters rope = RopeParameters.read(config, 4096);
        if (rope.ropeType().equals("su") || rope.ropeType().equals("yarn")) {
            rope = rope.withType("longrope");
        }
        if (!rope.ropeType().equals("default") && !rope.ropeType().equals("longrope")) {
            throw new ModelLoadException("config.json rope type must be 'default' or 'longrope' for Phi3ForCausalLM,"
                    + " got '" + rope.ropeType() + "'");
        }
        return rope;
    }

    /** A present key must be an integer (the error names it); an absent one takes Phi3Config's default. */
    private static int intOr(ModelConfig config, String key, int fallback) throws ModelLoadException {
        return config.has(key) ? config.getInt(key) : fallback;
    }
}
