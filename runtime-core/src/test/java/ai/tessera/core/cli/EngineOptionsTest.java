package ai.tessera.core.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import ai.tessera.core.engine.EngineConfig;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** {@code --compilation-config} and {@code --enforce-eager}: which decode batch sizes become CUDA graphs. */
class EngineOptionsTest {
    private static EngineOptions parse(String... args) {
        EngineOptions options = new EngineOptions();
        new CommandLine(options).parseArgs(args);
        return options;
    }

    @Test
    void capturesVllmsDefaultSizesUnlessToldOtherwise() {
        assertEquals(List.of(1, 2, 4, 8, 16, 32, 64, 128), parse().cudaGraphSizes());
        assertEquals(EngineConfig.DEFAULT_CUDA_GRAPH_SIZES, parse().cudaGraphSizes());
        assertEquals(List.of(1, 4), parse("--compilation-config", "{\"cudagraph_capture_sizes\":[1,4]}")
                .cudaGraphSizes());
    }

    @Test
    void enforceEagerOrUseCudagraphFalseCaptureNothing() {
        assertEquals(List.of(), parse("--enforce-eager").cudaGraphSizes());
        assertEquals(List.of(), parse("--compilation-config", "{\"use_cudagraph\":false}").cudaGraphSizes());
        assertEquals(List.of(), parse("--enforce-eager", "--compilation-config",
                "{\"cudagraph_capture_sizes\":[2]}").cudaGraphSizes());
    }

    @Test
    void encodersAreCompiledOnlyWhenAsked() {
        assertEquals(false, parse().compileMultimodalEncoders());
        assertEquals(false, parse("--compilation-config", "{\"cudagraph_capture_sizes\":[1]}")
                .compileMultimodalEncoders());
        assertEquals(true, parse("--compilation-config", "{\"compile_mm_encoder\":true}").compileMultimodalEncoders());
        String notBoolean = assertThrows(IllegalArgumentException.class,
                () -> parse("--compilation-config", "{\"compile_mm_encoder\":\"yes\"}").compileMultimodalEncoders())
                .getMessage();
        assertTrue(notBoolean.contains("compile_mm_encoder must be true or false, got \"yes\""), notBoolean);
    }

    @Test
    void aMaxModelLenBeyondTheModelsPositionsNeedsTheEnvironmentSwitch() {
        java.util.function.UnaryOperator<String> none = name -> null;
        assertEquals(4096, parse().maxModelLen(4096, none), "default: max_position_embeddings");
        assertEquals(2048, parse("--max-model-len", "2048").maxModelLen(4096, none));
        String refused = assertThrows(IllegalArgumentException.class,
                () -> parse("--max-model-len", "100000").maxModelLen(4096, none)).getMessage();
        assertTrue(refused.contains("--max-model-len 100000 is greater than the model's max_position_embeddings 4096")
                && refused.contains("TESSERA_ALLOW_LONG_MAX_MODEL_LEN=1"), refused);
        assertEquals(100000, parse("--max-model-len", "100000").maxModelLen(4096,
                name -> name.equals("VLLM_ALLOW_LONG_MAX_MODEL_LEN") ? "1" : null));
        EngineOptions chosenByBench = parse("--max-model-len", "100000");
        chosenByBench.maxModelLenFromUser = false;
        assertEquals(100000, chosenByBench.maxModelLen(4096, none));
        assertEquals(64, parse("--max-model-len", "64").maxModelLen(-1, none), "no max_position_embeddings");
        assertThrows(IllegalArgumentException.class, () -> parse().maxModelLen(-1, none));
    }

    @Test
    void badCompilationConfigsSayWhatIsWrong() {
        String unknown = assertThrows(IllegalArgumentException.class,
                () -> parse("--compilation-config", "{\"cudagraph_sizes\":[1]}").cudaGraphSizes()).getMessage();
        assertTrue(unknown.contains("unknown keys [cudagraph_sizes]"), unknown);
        String negative = assertThrows(IllegalArgumentException.class,
                () -> parse("--compilation-config", "{\"cudagraph_capture_sizes\":[1,-2]}").cudaGraphSizes())
                .getMessage();
        assertTrue(negative.contains("positive") && negative.contains("[1,-2]"), negative);
        String notJson = assertThrows(IllegalArgumentException.class,
                () -> parse("--compilation-config", "{sizes").cudaGraphSizes()).getMessage();
        assertTrue(notJson.contains("not valid JSON"), notJson);
    }
}
