package ai.tessera.phi4mm;

import ai.tessera.api.ModelConfig;
import ai.tessera.api.ModelLoadException;

/**
 * One of the checkpoint's LoRA adapters ({@code vision_lora} / {@code speech_lora} of config.json): rank
 * {@code r} and {@code lora_alpha}, applied as PEFT applies them, {@code base(x) + lora_alpha / r * B(A(x))}.
 */
record LoraSpec(String name, int rank, double alpha) {

    static LoraSpec read(ModelConfig config, String name) throws ModelLoadException {
        String key = name + "_lora";
        if (!config.has(key)) {
            throw new ModelLoadException("config.json has no " + key + ": Phi4MMForCausalLM needs the rank and "
                    + "lora_alpha of its " + name + " adapter");
        }
        int r = config.getInt(key + ".r");
        double alpha = config.getDouble(key + ".lora_alpha");
        if (r <= 0) {
            throw new ModelLoadException("config.json " + key + ".r must be positive, got " + r);
        }
        return new LoraSpec(name, r, alpha);
    }

    double scaling() {
        return alpha / rank;
    }
}
