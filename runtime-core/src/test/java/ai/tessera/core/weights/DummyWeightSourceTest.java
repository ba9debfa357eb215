package ai.tessera.core.weights;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;

import ai.tessera.api.ModelLoadException;
import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch.ScalarType;
import org.junit.jupiter.api.Test;

class DummyWeightSourceTest {
    private static final Device CPU = new Device("cpu");

    private static float[] draw(long seed, String name, long... shape) throws ModelLoadException {
        try (Tensor t = new DummyWeightSource(ScalarType.Float, CPU, seed).load(name, shape)) {
            return TensorValues.floats(t);
        }
    }

    @Test
    void sameSeedAndNameGiveTheSameTensor() throws ModelLoadException {
        assertArrayEquals(draw(7, "w", 4, 8), draw(7, "w", 4, 8));
    }

    @Test
    void differentSeedsOrNamesGiveDifferentTensors() throws ModelLoadException {
        float[] base = draw(7, "w", 4, 8);
        assertFalse(Arrays.equals(base, draw(8, "w", 4, 8)));
        assertFalse(Arrays.equals(base, draw(7, "v", 4, 8)));
    }

    @Test
    void valuesDoNotDependOnLoadOrder() throws ModelLoadException {
        DummyWeightSource first = new DummyWeightSource(ScalarType.Float, CPU, 3);
        DummyWeightSource second = new DummyWeightSource(ScalarType.Float, CPU, 3);
        try (Tensor a1 = first.load("a", 16); Tensor b1 = first.load("b", 16);
             Tensor b2 = second.load("b", 16); Tensor a2 = second.load("a", 16)) {
            assertArrayEquals(TensorValues.floats(a1), TensorValues.floats(a2));
            assertArrayEquals(TensorValues.floats(b1), TensorValues.floats(b2));
        }
    }

    @Test
    void tensorsHaveTheModelDtypeShapeAndSmallSpread() throws ModelLoadException {
        try (Tensor t = new DummyWeightSource(ScalarType.BFloat16, CPU, 1).load("w", 64, 64)) {
            assertEquals(ScalarType.BFloat16, t.scalar_type().intern());
            assertArrayEquals(new long[] {64, 64}, TensorValues.shape(t));
            double sumSquares = 0;
            for (float v : TensorValues.floats(t)) {
                sumSquares += v * v;
            }
            double std = Math.sqrt(sumSquares / (64 * 64));
            assertTrue(std > 0.018 && std < 0.022, "std " + std);
        }
    }

    @Test
    void negativeDimensionsAreRejected() {
        String message = assertThrows(ModelLoadException.class,
                () -> new DummyWeightSource(ScalarType.Float, CPU, 0).load("w", 2, -1)).getMessage();
        assertTrue(message.contains("w") && message.contains("[2, -1]"), message);
    }
}
