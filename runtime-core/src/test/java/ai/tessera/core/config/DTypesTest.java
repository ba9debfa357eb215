package ai.tessera.core.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.tessera.api.ModelLoadException;
import ai.tessera.core.platform.CpuPlatform;
import org.bytedeco.pytorch.global.torch.ScalarType;
import org.junit.jupiter.api.Test;

class DTypesTest {
    private static JsonModelConfig config(String json) throws ModelLoadException {
        return HfConfigLoader.fromJson(json, null);
    }

    @Test
    void explicitFlagsWinOverTheConfig() throws ModelLoadException {
        JsonModelConfig bf16 = config("{\"torch_dtype\":\"bfloat16\"}");
        assertEquals(ScalarType.Float, DTypes.resolve("float32", bf16));
        assertEquals(ScalarType.Float, DTypes.resolve("float", bf16));
        assertEquals(ScalarType.Half, DTypes.resolve("float16", bf16));
        assertEquals(ScalarType.Half, DTypes.resolve("HALF", bf16));
        assertEquals(ScalarType.BFloat16, DTypes.resolve("bfloat16", config("{}")));
    }

    @Test
    void autoKeepsTheConfigDtype() throws ModelLoadException {
        assertEquals(ScalarType.BFloat16, DTypes.resolve("auto", config("{\"torch_dtype\":\"bfloat16\"}")));
        assertEquals(ScalarType.Half, DTypes.resolve(null, config("{\"dtype\":\"float16\"}")));
        assertEquals(ScalarType.Half, DTypes.resolve("auto",
                config("{\"dtype\":\"float16\",\"torch_dtype\":\"float32\"}")), "transformers 5 'dtype' first");
        assertEquals(ScalarType.BFloat16, DTypes.resolve("auto",
                config("{\"text_config\":{\"dtype\":\"bfloat16\"}}")));
        assertEquals(ScalarType.BFloat16, DTypes.resolve("auto", config("{\"torch_dtype\":\"torch.bfloat16\"}")));
        assertEquals(ScalarType.Float, DTypes.resolve("auto", config("{}")), "no declared dtype means float32");
    }

    @Test
    void unknownNamesListTheAcceptedOnes() throws ModelLoadException {
        String message = assertThrows(IllegalArgumentException.class,
                () -> DTypes.resolve("fp8", config("{}"))).getMessage();
        assertTrue(message.contains("auto, float32, float, bfloat16, float16, half") && message.contains("'fp8'"),
                message);
        message = assertThrows(IllegalArgumentException.class,
                () -> DTypes.resolve("auto", config("{\"torch_dtype\":\"int8\"}"))).getMessage();
        assertTrue(message.contains("'torch_dtype' is 'int8'") && message.contains("--dtype"), message);
    }

    @Test
    void cpuKeepsBfloat16AndNamesAreHuggingFaceNames() {
        assertEquals(ScalarType.BFloat16, DTypes.forPlatform(ScalarType.BFloat16, new CpuPlatform()));
        assertEquals("bfloat16", DTypes.name(ScalarType.BFloat16));
        assertEquals("float32", DTypes.name(ScalarType.Float));
        assertEquals("float16", DTypes.name(ScalarType.Half));
    }
}
