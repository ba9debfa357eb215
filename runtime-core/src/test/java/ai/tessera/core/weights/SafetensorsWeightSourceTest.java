package ai.tessera.core.weights;

import static ai.tessera.core.weights.SafetensorsTestWriter.shape;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

import ai.tessera.api.ModelLoadException;
import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch.ScalarType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SafetensorsWeightSourceTest {
    private static final Device CPU = new Device("cpu");

    @TempDir
    Path dir;

    private SafetensorsWeightSource open(ScalarType dtype) throws ModelLoadException {
        return SafetensorsWeightSource.open(dir, dtype, CPU, LoadProgress.silent());
    }

    private String failure(ThrowingSupplier action) {
        return assertThrows(ModelLoadException.class, action::run).getMessage();
    }

    @FunctionalInterface
    private interface ThrowingSupplier {
        Object run() throws Exception;
    }

    @Test
    void f32ValuesRoundTripBitForBit() throws Exception {
        float[] values = {1.5f, -0.0f, Float.MIN_VALUE, Float.MAX_VALUE, (float) Math.PI, -123456.78f};
        new SafetensorsTestWriter().f32("w", shape(2, 3), values).write(dir.resolve("model.safetensors"));
        try (SafetensorsWeightSource source = open(ScalarType.Float); Tensor t = source.load("w", 2, 3)) {
            assertEquals(ScalarType.Float, t.scalar_type().intern());
            assertArrayEquals(new long[] {2, 3}, TensorValues.shape(t));
            float[] read = TensorValues.floats(t);
            for (int i = 0; i < values.length; i++) {
                assertEquals(Float.floatToRawIntBits(values[i]), Float.floatToRawIntBits(read[i]), "element " + i);
            }
        }
    }

    @Test
    void bf16RoundTripsExactlyAndWidensToF32Exactly() throws Exception {
        short[] bits = {0x3FC0, (short) 0xC049, 0x0001, 0x7F7F, (short) 0x8000, 0x4B80};
        new SafetensorsTestWriter().bits16("w", "BF16", shape(6), bits).write(dir.resolve("model.safetensors"));
        try (SafetensorsWeightSource source = open(ScalarType.BFloat16); Tensor t = source.load("w", 6)) {
            assertEquals(ScalarType.BFloat16, t.scalar_type().intern());
            assertArrayEquals(bits, TensorValues.bits16(t));
        }
        try (SafetensorsWeightSource source = open(ScalarType.Float); Tensor t = source.load("w", 6)) {
            assertEquals(ScalarType.Float, t.scalar_type().intern());
            float[] read = TensorValues.floats(t);
            for (int i = 0; i < bits.length; i++) {
                assertEquals((bits[i] & 0xffff) << 16, Float.floatToRawIntBits(read[i]), "element " + i);
            }
        }
    }

    @Test
    void f16RoundTripsExactlyAndConvertsToF32() throws Exception {
        short[] bits = {0x3C00, (short) 0xC000, 0x0001, 0x7BFF, 0x3555};
        new SafetensorsTestWriter().bits16("w", "F16", shape(5), bits).write(dir.resolve("model.safetensors"));
        try (SafetensorsWeightSource source = open(ScalarType.Half); Tensor t = source.load("w", 5)) {
            assertEquals(ScalarType.Half, t.scalar_type().intern());
            assertArrayEquals(bits, TensorValues.bits16(t));
        }
        try (SafetensorsWeightSource source = open(ScalarType.Float); Tensor t = source.load("w", 5)) {
            assertArrayEquals(new float[] {1f, -2f, (float) Math.scalb(1.0, -24), 65504f, 0.33325195f},
                    TensorValues.floats(t));
        }
    }

    @Test
    void integerAndBoolTensorsKeepTheirType() throws Exception {
        new SafetensorsTestWriter()
                .i64("ids", shape(3), 1L << 40, -7, 0)
                .add("mask", "BOOL", shape(3), new byte[] {1, 0, 1})
                .add("bytes", "U8", shape(2), new byte[] {(byte) 200, 3})
                .write(dir.resolve("model.safetensors"));
        try (SafetensorsWeightSource source = open(ScalarType.BFloat16);
             Tensor ids = source.load("ids", 3); Tensor mask = source.load("mask", 3);
             Tensor bytes = source.load("bytes", 2)) {
            assertEquals(ScalarType.Long, ids.scalar_type().intern());
            assertArrayEquals(new long[] {1L << 40, -7, 0}, TensorValues.longs(ids));
            assertEquals(ScalarType.Bool, mask.scalar_type().intern());
            assertArrayEquals(new long[] {1, 0, 1}, TensorValues.longs(mask));
            assertEquals(ScalarType.Byte, bytes.scalar_type().intern());
            assertArrayEquals(new long[] {200, 3}, TensorValues.longs(bytes));
        }
    }

    @Test
    void scalarAndEmptyTensorsLoad() throws Exception {
        new SafetensorsTestWriter().f32("scale", shape(), 0.25f).f32("none", shape(0, 4))
                .write(dir.resolve("model.safetensors"));
        try (SafetensorsWeightSource source = open(ScalarType.Float);
             Tensor scale = source.load("scale"); Tensor none = source.load("none", 0, 4)) {
            assertEquals(0, scale.dim());
            assertArrayEquals(new float[] {0.25f}, TensorValues.floats(scale));
            assertArrayEquals(new long[] {0, 4}, TensorValues.shape(none));
        }
    }

    @Test
    void tensorsLargerThanOneMappingAreReadInPieces() throws Exception {
        float[] values = {1, 2, 3, 4, 5, 6, 7};
        Path file = new SafetensorsTestWriter().f32("pad", shape(1), 9).f32("w", shape(7), values)
                .write(dir.resolve("model.safetensors"));
        try (SafetensorsFile f = SafetensorsFile.open(file, 6)) {
            SafetensorsEntry entry = f.header().entries().get("w");
            try (Tensor t = f.read(entry, ScalarType.Float, CPU)) {
                assertArrayEquals(values, TensorValues.floats(t));
            }
        }
    }

    @Test
    void metadataIsRead() throws Exception {
        new SafetensorsTestWriter().metadata("format", "pt").f32("w", shape(1), 1)
                .write(dir.resolve("model.safetensors"));
        try (SafetensorsWeightSource source = open(ScalarType.Float)) {
            assertEquals(Map.of("format", "pt"), source.metadata());
            assertEquals(Set.of("w"), source.names());
        }
    }

    @Test
    void headerPaddedWithSpacesIsAccepted() throws Exception {
        String header = "{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}";
        byte[] one = java.nio.ByteBuffer.allocate(4).order(java.nio.ByteOrder.LITTLE_ENDIAN).putFloat(2.5f).array();
        SafetensorsTestWriter.writeRaw(dir.resolve("model.safetensors"), header + " ".repeat(7), one);
        try (SafetensorsWeightSource source = open(ScalarType.Float); Tensor w = source.load("w", 1)) {
            assertArrayEquals(new float[] {2.5f}, TensorValues.floats(w));
        }
    }

    @Test
    void shardedCheckpointLoadsFromEveryShard() throws Exception {
        new SafetensorsTestWriter().f32("a", shape(2), 1, 2).write(dir.resolve("model-00001-of-00002.safetensors"));
        new SafetensorsTestWriter().f32("b", shape(1), 3).f32("c", shape(1), 4)
                .write(dir.resolve("model-00002-of-00002.safetensors"));
        writeIndex("\"a\":\"model-00001-of-00002.safetensors\",\"b\":\"model-00002-of-00002.safetensors\","
                + "\"c\":\"model-00002-of-00002.safetensors\"");
        try (SafetensorsWeightSource source = open(ScalarType.Float);
             Tensor a = source.load("a", 2); Tensor c = source.load("c", 1)) {
            assertEquals(Set.of("a", "b", "c"), source.names());
            assertEquals(2, source.files().size());
            assertArrayEquals(new float[] {1, 2}, TensorValues.floats(a));
            assertArrayEquals(new float[] {4}, TensorValues.floats(c));
        }
    }

    @Test
    void indexNamingAMissingShardFails() throws Exception {
        new SafetensorsTestWriter().f32("a", shape(1), 1).write(dir.resolve("model-00001-of-00002.safetensors"));
        writeIndex("\"a\":\"model-00001-of-00002.safetensors\",\"b\":\"model-00002-of-00002.safetensors\"");
        String message = failure(() -> open(ScalarType.Float));
        assertTrue(message.contains("model-00002-of-00002.safetensors") && message.contains("'b'")
                && message.contains("no such file"), message);
    }

    @Test
    void indexPointingToTheWrongShardFails() throws Exception {
        new SafetensorsTestWriter().f32("a", shape(1), 1).write(dir.resolve("s1.safetensors"));
        new SafetensorsTestWriter().f32("b", shape(1), 1).write(dir.resolve("s2.safetensors"));
        writeIndex("\"a\":\"s2.safetensors\",\"b\":\"s2.safetensors\",\"x\":\"s1.safetensors\"");
        String message = failure(() -> open(ScalarType.Float));
        assertTrue(message.contains("'a' is in s2.safetensors, but it is in s1.safetensors"), message);
    }

    @Test
    void tensorInTwoShardsFails() throws Exception {
        new SafetensorsTestWriter().f32("a", shape(1), 1).write(dir.resolve("s1.safetensors"));
        new SafetensorsTestWriter().f32("a", shape(1), 2).write(dir.resolve("s2.safetensors"));
        writeIndex("\"a\":\"s1.safetensors\",\"b\":\"s2.safetensors\"");
        String message = failure(() -> open(ScalarType.Float));
        assertTrue(message.contains("'a' is in both") && message.contains("s1.safetensors")
                && message.contains("s2.safetensors"), message);
    }

    @Test
    void shapeMismatchNamesTensorAndBothShapes() throws Exception {
        new SafetensorsTestWriter().f32("layer.weight", shape(2, 3), new float[6]).write(dir.resolve("model.safetensors"));
        try (SafetensorsWeightSource source = open(ScalarType.Float)) {
            String message = failure(() -> source.load("layer.weight", 3, 2));
            assertTrue(message.contains("'layer.weight'") && message.contains("has shape [2, 3]")
                    && message.contains("expects [3, 2]"), message);
        }
    }

    @Test
    void missingTensorNamesItTheFilesAndSimilarNames() throws Exception {
        new SafetensorsTestWriter().f32("model.language_model.layers.0.mlp.up_proj.weight", shape(1), 1)
                .write(dir.resolve("model.safetensors"));
        try (SafetensorsWeightSource source = open(ScalarType.Float)) {
            String message = failure(() -> source.load("model.layers.0.mlp.up_proj.weight", 1));
            assertTrue(message.contains("No tensor 'model.layers.0.mlp.up_proj.weight'")
                    && message.contains(dir.resolve("model.safetensors").toString())
                    && message.contains("similar names: model.language_model.layers.0.mlp.up_proj.weight"), message);
        }
    }

    @Test
    void truncatedFileIsReportedWithItsName() throws Exception {
        Path file = new SafetensorsTestWriter().f32("a", shape(4), 1, 2, 3, 4).write(dir.resolve("model.safetensors"));
        byte[] whole = Files.readAllBytes(file);
        Files.write(file, java.util.Arrays.copyOf(whole, whole.length - 5));
        String message = failure(() -> open(ScalarType.Float));
        assertTrue(message.contains(file.toString()) && message.contains("is truncated")
                && message.contains("tensor 'a' ends at byte 16") && message.contains("only 11 bytes"), message);
    }

    @Test
    void headerLengthBeyondTheFileIsReported() throws Exception {
        byte[] header = "{}".getBytes(StandardCharsets.UTF_8);
        Path file = SafetensorsTestWriter.writeRaw(dir.resolve("model.safetensors"), 10_000, header, new byte[0]);
        String message = failure(() -> open(ScalarType.Float));
        assertTrue(message.contains(file.toString()) && message.contains("header length of 10000 bytes")
                && message.contains("only 2 bytes follow"), message);
    }

    @Test
    void fileShorterThanTheLengthFieldIsReported() throws Exception {
        Files.write(dir.resolve("model.safetensors"), new byte[] {1, 2, 3});
        String message = failure(() -> open(ScalarType.Float));
        assertTrue(message.contains("too short") && message.contains("3 bytes"), message);
    }

    @Test
    void invalidJsonHeaderIsReported() throws Exception {
        SafetensorsTestWriter.writeRaw(dir.resolve("model.safetensors"), "{\"a\": {\"dtype\": ", new byte[0]);
        String message = failure(() -> open(ScalarType.Float));
        assertTrue(message.contains("model.safetensors") && message.contains("not valid JSON"), message);
    }

    @Test
    void overlappingTensorsAreReported() throws Exception {
        SafetensorsTestWriter.writeRaw(dir.resolve("model.safetensors"),
                "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                        + "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}", new byte[12]);
        String message = failure(() -> open(ScalarType.Float));
        assertTrue(message.contains("overlapping tensors") && message.contains("'a' spans [0, 8)")
                && message.contains("'b' begins at 4"), message);
    }

    @Test
    void offsetsOutOfOrderAreReported() throws Exception {
        SafetensorsTestWriter.writeRaw(dir.resolve("model.safetensors"),
                "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[8,0]}}", new byte[8]);
        String message = failure(() -> open(ScalarType.Float));
        assertTrue(message.contains("'a'") && message.contains("out of order: begin 8 > end 0"), message);
    }

    @Test
    void offsetsThatDoNotMatchTheShapeAreReported() throws Exception {
        SafetensorsTestWriter.writeRaw(dir.resolve("model.safetensors"),
                "{\"a\":{\"dtype\":\"BF16\",\"shape\":[3],\"data_offsets\":[0,8]}}", new byte[8]);
        String message = failure(() -> open(ScalarType.Float));
        assertTrue(message.contains("span 8 bytes but BF16[3] needs 6"), message);
    }

    @Test
    void unknownDtypeIsReported() throws Exception {
        SafetensorsTestWriter.writeRaw(dir.resolve("model.safetensors"),
                "{\"a\":{\"dtype\":\"C64\",\"shape\":[1],\"data_offsets\":[0,8]}}", new byte[8]);
        String message = failure(() -> open(ScalarType.Float));
        assertTrue(message.contains("dtype C64") && message.contains("known: F64, F32"), message);
    }

    @Test
    void fp8TensorsFailClearlyWhenLoaded() throws Exception {
        new SafetensorsTestWriter().add("q", "F8_E4M3", shape(2), new byte[] {1, 2})
                .write(dir.resolve("model.safetensors"));
        try (SafetensorsWeightSource source = open(ScalarType.BFloat16)) {
            String message = failure(() -> source.load("q", 2));
            assertTrue(message.contains("'q'") && message.contains("fp8 weights are not supported yet"), message);
        }
    }

    @Test
    void tensorsNeverLoadedAreReportedUnlessIgnored() throws Exception {
        new SafetensorsTestWriter().f32("used", shape(1), 1).f32("rotary.inv_freq", shape(1), 2)
                .f32("extra.weight", shape(1), 3).write(dir.resolve("model.safetensors"));
        try (SafetensorsWeightSource source = open(ScalarType.Float)) {
            source.load("used", 1).close();
            assertEquals(List.of("extra.weight", "rotary.inv_freq"), source.unusedTensors(n -> false));
            String message = failure(() -> {
                source.checkAllUsed(n -> n.endsWith("inv_freq"));
                return null;
            });
            assertTrue(message.startsWith("1 tensor(s)") && message.contains("extra.weight")
                    && !message.contains("inv_freq"), message);
            source.checkAllUsed(n -> n.startsWith("extra.") || n.endsWith("inv_freq"));
        }
    }

    @Test
    void progressCountsEachTensorOnceAndEndsWhenAllAreLoaded() throws Exception {
        new SafetensorsTestWriter().f32("a", shape(4), new float[4]).f32("b", shape(2), new float[2])
                .write(dir.resolve("model.safetensors"));
        List<String> events = new ArrayList<>();
        LoadProgress.Factory recording = (task, total) -> {
            events.add("start " + total);
            return new LoadProgress() {
                @Override
                public void advance(long bytes) {
                    events.add("+" + bytes);
                }

                @Override
                public void close() {
                    events.add("end");
                }
            };
        };
        try (SafetensorsWeightSource source = SafetensorsWeightSource.open(dir, ScalarType.Float, CPU, recording)) {
            source.load("a", 4).close();
            source.load("a", 4).close();
            source.load("b", 2).close();
        }
        assertEquals(List.of("start 24", "+16", "+8", "end"), events);
    }

    @Test
    void folderWithoutCheckpointSuggestsDummy() throws IOException {
        Files.writeString(dir.resolve("pytorch_model.bin"), "x");
        String message = assertThrows(ModelLoadException.class,
                () -> WeightSources.open(dir, "auto", ScalarType.Float, CPU, 0)).getMessage();
        assertTrue(message.startsWith("no model.safetensors or model.safetensors.index.json in " + dir
                + "; use --load-format dummy for random weights"), message);
        assertTrue(message.contains("pytorch_model.bin"), message);
    }

    @Test
    void loadFormatsAreChecked() throws Exception {
        String message = assertThrows(IllegalArgumentException.class,
                () -> WeightSources.open(dir, "pt", ScalarType.Float, CPU, 0)).getMessage();
        assertTrue(message.contains("auto, safetensors, dummy") && message.contains("'pt'"), message);
        try (ModelWeights dummy = WeightSources.open(null, "dummy", ScalarType.Float, CPU, 0)) {
            assertTrue(dummy instanceof DummyWeightSource);
        }
        new SafetensorsTestWriter().f32("w", shape(1), 1).write(dir.resolve("model.safetensors"));
        try (ModelWeights weights = WeightSources.open(dir, "safetensors", ScalarType.Float, CPU, 0)) {
            assertEquals(Set.of("w"), weights.names());
        }
    }

    private void writeIndex(String weightMapEntries) throws IOException {
        Files.writeString(dir.resolve(ShardIndex.FILE_NAME),
                "{\"metadata\":{\"total_size\":0},\"weight_map\":{" + weightMapEntries + "}}");
    }
}
