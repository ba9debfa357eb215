package ai.tessera.gemma4;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import java.util.Map;
import java.util.Set;

import ai.tessera.api.ModelLoadException;
import ai.tessera.api.WeightSource;
import ai.tessera.nn.WeightPrefix;
import ai.tessera.testing.Parity;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptions;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;
import org.junit.jupiter.api.Test;

/**
 * {@code use_clipped_linears} (not exercised by the parity fixture, whose tower has it off): the input is clamped
 * to {@code [input_min, input_max]} before the product and the output to {@code [output_min, output_max]} after.
 */
class ClippableLinearTest {

    private static WeightSource source(Map<String, float[]> tensors) {
        return new WeightSource() {
            @Override
            public Tensor load(String name, long... shape) throws ModelLoadException {
                float[] values = tensors.get(name);
                if (values == null) {
                    throw new ModelLoadException("no tensor " + name);
                }
                return torch.tensor(values, new TensorOptions(ScalarType.Float)).reshape(shape);
            }

            @Override
            public Set<String> names() {
                return tensors.keySet();
            }
        };
    }

    @Test
    void clampsInputThenOutput() throws ModelLoadException {
        // weight [[1, 0], [1, 1]]: y0 = x0, y1 = x0 + x1
        Map<String, float[]> tensors = Map.of("p.linear.weight", new float[] {1, 0, 1, 1},
                "p.input_min", new float[] {-1}, "p.input_max", new float[] {1},
                "p.output_min", new float[] {-1.5f}, "p.output_max", new float[] {1.5f});
        try (PointerScope scope = new PointerScope();
             ClippableLinear clipped = ClippableLinear.load(source(tensors), WeightPrefix.of("p"), 2, 2, true);
             ClippableLinear plain = ClippableLinear.load(source(tensors), WeightPrefix.of("p"), 2, 2, false)) {
            Tensor x = torch.tensor(new float[] {3, 0.75f, -0.5f, -4}, new TensorOptions(ScalarType.Float))
                    .reshape(2, 2);
            // clamped inputs (1, 0.75) and (-0.5, -1): outputs (1, 1.75 -> 1.5) and (-0.5, -1.5)
            assertArrayEquals(new float[] {1, 1.5f, -0.5f, -1.5f}, Parity.values(clipped.forward(x)));
            assertArrayEquals(new float[] {3, 3.75f, -0.5f, -4.5f}, Parity.values(plain.forward(x)));
        }
    }
}
