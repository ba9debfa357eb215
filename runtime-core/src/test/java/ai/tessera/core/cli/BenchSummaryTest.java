package ai.tessera.core.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;

import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

class BenchSummaryTest {
    private static final String HF = """
            {"device": "NVIDIA H100 80GB HBM3", "rows": {
              "decode": {"tokens_per_s": 30.0, "roofline_fraction": 0.156},
              "prefill": {"error": "OutOfMemoryError: CUDA out of memory"},
              "serve_generate": {"1": {"output_tokens_per_s": 28.0}, "64": {"error": "OutOfMemoryError: CUDA oom"}},
              "serve_generate_batch": {"1": {"output_tokens_per_s": 35.0}, "64": {"output_tokens_per_s": 400.0}}
            }}""";

    @Test
    void transformersFiguresComeWithTheirNotesOrTheirErrors() throws Exception {
        HfRows hf = HfRows.of(new ObjectMapper().readTree(HF), null);
        assertEquals("NVIDIA H100 80GB HBM3", hf.device());
        assertEquals("30.0 (0.16 of its roofline)",
                hf.figure("decode", null, "tokens_per_s", "roofline_fraction", "of its roofline").text());
        assertEquals("n/a: OutOfMemoryError: CUDA out of memory",
                hf.figure("prefill", null, "tokens_per_s", "peak_fraction", "x").text());
        assertEquals("n/a: OutOfMemoryError: CUDA oom",
                hf.figure("serve_generate", "64", "output_tokens_per_s", null, null).text());
        assertEquals("400.0", hf.figure("serve_generate_batch", "64", "output_tokens_per_s", null, null).text());
        assertEquals("n/a: not measured", hf.figure("vision", "1", "images_per_s", null, null).text());
        assertEquals("n/a: transformers ran past --hf-timeout 5 s", HfRows.of(new ObjectMapper().readTree(HF),
                "transformers ran past --hf-timeout 5 s").figure("vision", "1", "images_per_s", null, null).text());
        assertEquals("n/a: python3 could not start", HfRows.failed("python3 could not start")
                .figure("decode", null, "tokens_per_s", null, null).text());
        assertEquals("-", HfRows.none().figure("decode", null, "tokens_per_s", null, null).text());
    }

    /** The file gpu_check.py rows wrote on an H100 for the tiny Qwen2.5-VL config (64 in, 32 out, 2048 prefill). */
    @Test
    void readsWhatTheTransformersScriptWrites() throws Exception {
        HfRows hf;
        try (var in = BenchSummaryTest.class.getResourceAsStream("/bench/gpu_check_rows_qwen25vl_tiny.json")) {
            hf = HfRows.of(new ObjectMapper().readTree(in), null);
        }
        assertEquals("NVIDIA H100 80GB HBM3", hf.device());
        assertEquals("24.1 (0.00 of its roofline)",
                hf.figure("decode", null, "tokens_per_s", "roofline_fraction", "of its roofline").text());
        assertEquals(1274.626, hf.figure("serve_generate", "64", "output_tokens_per_s", null, null).value()
                .getAsDouble(), 1e-3);
        assertEquals(749.489, hf.figure("serve_generate_batch", "64", "output_tokens_per_s", null, null).value()
                .getAsDouble(), 1e-3);
        assertEquals("739776.7 (0.00 of its matmul peak)",
                hf.figure("prefill", null, "tokens_per_s", "peak_fraction", "of its matmul peak").text());
        assertEquals(61.628, hf.figure("vision", "1", "images_per_s", null, null).value().getAsDouble(), 1e-3);
    }

    @Test
    void theTableRatesTesseraAgainstTheBetterOfGenerateAndGenerateBatch() throws Exception {
        HfRows hf = HfRows.of(new ObjectMapper().readTree(HF), null);
        BenchSummary summary = new BenchSummary();
        summary.add("output tokens/s, 64 concurrent", BenchSummary.Figure.of(2000, "16384 tokens in 8.19 s"),
                hf.figure("serve_generate", "64", "output_tokens_per_s", null, null),
                hf.figure("serve_generate_batch", "64", "output_tokens_per_s", null, null));
        summary.add("output tokens/s, 1 concurrent", BenchSummary.Figure.of(70),
                hf.figure("serve_generate", "1", "output_tokens_per_s", null, null),
                hf.figure("serve_generate_batch", "1", "output_tokens_per_s", null, null));
        summary.add("prefill", BenchSummary.Figure.missing("failed: out of memory"),
                hf.figure("prefill", null, "tokens_per_s", null, null), BenchSummary.Figure.none());
        StringWriter text = new StringWriter();
        summary.print(new PrintWriter(text), "title");
        String table = text.toString();
        assertTrue(table.contains("| output tokens/s, 64 concurrent | 2000.0 (16384 tokens in 8.19 s) | n/a: "
                + "OutOfMemoryError: CUDA oom | 400.0 | 5.00x |"), table);
        assertTrue(table.contains("| output tokens/s, 1 concurrent | 70.0 | 28.0 | 35.0 | 2.00x |"), table);
        assertTrue(table.contains("| prefill | failed: out of memory | n/a: OutOfMemoryError: CUDA out of memory | - | n/a |"),
                table);
    }
}
