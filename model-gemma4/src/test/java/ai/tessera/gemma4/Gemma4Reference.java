package ai.tessera.gemma4;

import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

import ai.tessera.api.MediaProcessor;
import ai.tessera.api.ModelConfig;
import ai.tessera.api.ModelLoadException;
import ai.tessera.api.MultimodalPrompt;
import ai.tessera.core.config.HfConfigLoader;
import ai.tessera.core.platform.CpuPlatform;
import ai.tessera.testing.FixtureJson;
import ai.tessera.testing.ReferenceModelContext;
import com.fasterxml.jackson.databind.JsonNode;
import org.bytedeco.pytorch.global.torch.ScalarType;

/**
 * A tiny multimodal Gemma 4 reference model on the CPU in float32, loaded from its fixture with the PRNG weights,
 * with the processor served for it, and the lines of its test's report, printed when it is closed.
 */
final class Gemma4Reference implements AutoCloseable {
    private final String reportPrefix;
    private final Map<String, String> report = new TreeMap<>();
    private final CpuPlatform cpu;
    private final Gemma4Fixture fixture;
    private final PrngWeightSource weights;
    private final ModelConfig config;
    private final Gemma4CausalLm model;
    private final MediaProcessor processor;

    private Gemma4Reference(String reportPrefix, CpuPlatform cpu, Gemma4Fixture fixture, PrngWeightSource weights,
                            ModelConfig config, Gemma4CausalLm model, MediaProcessor processor) {
        this.reportPrefix = reportPrefix;
        this.cpu = cpu;
        this.fixture = fixture;
        this.weights = weights;
        this.config = config;
        this.model = model;
        this.processor = processor;
    }

    /** Loads the fixture's model; its report lines will be printed as {@code [reportPrefix] key: line}. */
    static Gemma4Reference load(String fixtureName, String reportPrefix) throws ModelLoadException {
        CpuPlatform cpu = new CpuPlatform();
        Gemma4Fixture fixture = Gemma4Fixture.load(fixtureName);
        PrngWeightSource weights = new PrngWeightSource(fixture.parameterShapes());
        ModelConfig config = HfConfigLoader.fromJson(fixture.configJson, null);
        Gemma4CausalLm model = (Gemma4CausalLm) new Gemma4ForConditionalGeneration().load(new ReferenceModelContext(
                config, weights, cpu, ScalarType.Float));
        MediaProcessor processor = new Gemma4MultimodalProcessor().forModel(config, Optional.empty());
        return new Gemma4Reference(reportPrefix, cpu, fixture, weights, config, model, processor);
    }

    CpuPlatform cpu() {
        return cpu;
    }

    Gemma4Fixture fixture() {
        return fixture;
    }

    /** The weights the model loaded, which record the names asked for. */
    PrngWeightSource weights() {
        return weights;
    }

    ModelConfig config() {
        return config;
    }

    Gemma4CausalLm model() {
        return model;
    }

    MediaProcessor processor() {
        return processor;
    }

    /** The fixture prompt with its media through the processor, from the prompt as the chat template writes it. */
    MultimodalPrompt process(JsonNode prompt) {
        return processor.process(Gemma4TokenIds.collapsed(FixtureJson.longs(prompt.get("input_ids"))),
                Gemma4Fixture.media(prompt), Map.of("max_soft_tokens", fixture.root.get("max_soft_tokens").asInt()));
    }

    void report(String key, String line) {
        report.put(key, line);
    }

    @Override
    public void close() {
        model.close();
        report.forEach((key, line) -> System.out.println("[" + reportPrefix + "] " + key + ": " + line));
    }
}
