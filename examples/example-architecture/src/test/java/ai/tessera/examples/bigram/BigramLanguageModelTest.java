package ai.tessera.examples.bigram;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import ai.tessera.api.AttentionMetadata;
import ai.tessera.api.ForwardBatch;
import ai.tessera.api.LoadedModel;
import ai.tessera.api.ModelLoadException;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptions;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;
import org.junit.jupiter.api.Test;

class BigramLanguageModelTest {
    private static final int VOCAB = 11;
    private static final int HIDDEN = 4;

    /** Weights with distinct values, so that a wrong row, column or transpose changes the logits. */
    private static float[][] weights(int rows, int cols, double phase) {
        float[][] w = new float[rows][cols];
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < cols; c++) {
                w[r][c] = (float) Math.sin(phase + 0.7 * r + 1.3 * c);
            }
        }
        return w;
    }

    private static TinyModelContext context(float[][] embed, float[][] head) {
        return new TinyModelContext(Map.of("architectures", List.of("TesseraExampleBigramLM"), "vocab_size", VOCAB,
                "hidden_size", HIDDEN), Map.of("model.embed_tokens.weight", embed, "lm_head.weight", head));
    }

    /** One sequence of the given tokens, as the engine batches a prompt. */
    private static ForwardBatch prompt(long... ids) {
        Tensor inputIds = torch.tensor(ids, new TensorOptions(ScalarType.Long));
        long[] positions = new long[ids.length];
        for (int i = 0; i < ids.length; i++) {
            positions[i] = i;
        }
        Tensor pos = torch.tensor(positions, new TensorOptions(ScalarType.Long));
        AttentionMetadata attention = new AttentionMetadata(pos,
                List.of(new AttentionMetadata.Sequence(0, ids.length, ids.length, new long[] {0})), 16);
        return new ForwardBatch(inputIds, pos, attention, null, null);
    }

    @Test
    void logitsOfEachTokenAreItsEmbeddingTimesTheHead() throws ModelLoadException {
        float[][] embed = weights(VOCAB, HIDDEN, 0.1);
        float[][] head = weights(VOCAB, HIDDEN, 2.0);
        long[] ids = {3, 0, 10};
        try (LoadedModel model = new BigramLanguageModel().load(context(embed, head))) {
            assertEquals(List.of(), model.attentionLayers());
            Tensor logits = model.forward(prompt(ids));
            assertArrayEquals(new long[] {ids.length, VOCAB}, new long[] {logits.size(0), logits.size(1)});
            for (int t = 0; t < ids.length; t++) {
                for (int v = 0; v < VOCAB; v++) {
                    double expected = 0;
                    for (int h = 0; h < HIDDEN; h++) {
                        expected += embed[(int) ids[t]][h] * head[v][h];
                    }
                    double actual = logits.get(t).get(v).item_double();
                    assertEquals(expected, actual, 1e-5, "logit of token " + v + " after " + ids[t]);
                }
            }
        }
    }

    @Test
    void weightsOfTheWrongShapeAreRefusedByName() {
        ModelLoadException e = assertThrows(ModelLoadException.class,
                () -> new BigramLanguageModel().load(context(weights(VOCAB, HIDDEN, 0), weights(VOCAB, HIDDEN + 1, 0))));
        assertTrue(e.getMessage().contains("lm_head.weight"), e.getMessage());
    }

    /** bnd wrote the component descriptor before the tests ran: the bundle registers the architecture by its name. */
    @Test
    void theBundleRegistersTheArchitectureByName() throws Exception {
        Path descriptor = Path.of("target/classes/OSGI-INF/" + BigramLanguageModel.class.getName() + ".xml");
        String xml = Files.readString(descriptor, StandardCharsets.UTF_8);
        assertTrue(xml.contains("interface=\"ai.tessera.api.ModelArchitecture\""), xml);
        assertTrue(xml.contains("name=\"tessera.architecture\"") && xml.contains("value=\"TesseraExampleBigramLM\""), xml);
    }
}
