package ai.tessera.core.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.EnumSet;

import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** {@code tessera bench --rows} flags: vLLM's names, issue 10's defaults, and clear refusals. */
class BenchRowsOptionsTest {
    private static BenchCommand parse(String... args) {
        BenchCommand command = new BenchCommand(null);
        new CommandLine(command).parseArgs(args);
        return command;
    }

    @Test
    void defaultsAreTheIssueShapes() {
        RowSettings s = parse("--model", "m", "--rows", "all").rowSettings(true);
        assertEquals(EnumSet.allOf(BenchRow.class), s.rows());
        assertEquals(512, s.inputLen());
        assertEquals(256, s.outputLen());
        assertArrayEquals(new int[] {1, 8, 64}, s.maxConcurrency());
        assertNull(s.numPrompts());
        assertEquals(64, s.prompts(64));
        assertEquals(8192, s.prefillLen());
        assertArrayEquals(new int[] {1}, s.encoderBatchSizes());
        assertArrayEquals(new int[] {1024, 1024}, s.imageSize());
        assertEquals(2L << 30, s.copyBytes());
        assertEquals(8192, s.matmulSize());
        assertFalse(s.quick());
        assertEquals(64, s.largestConcurrency());
        assertEquals(8193, s.longestRequest());
        assertEquals(8192, s.batchedTokens());
        RowSettings cpu = parse("--model", "m", "--rows", "decode").rowSettings(false);
        assertEquals(64L << 20, cpu.copyBytes());
        assertEquals(512, cpu.matmulSize());
        assertEquals(768, cpu.longestRequest());
        assertEquals(2048, cpu.batchedTokens());
    }

    @Test
    void vllmStyleFlagsAndRowSelection() {
        RowSettings s = parse("--model", "m", "--rows", "serve,prefill", "--num-prompts", "128", "--max-concurrency",
                "64", "--input-len", "1024", "--output-len", "128", "--prefill-len", "4096", "--quick",
                "--bandwidth-probe-bytes", "1GiB", "--matmul-probe-size", "4096").rowSettings(true);
        assertEquals(EnumSet.of(BenchRow.SERVE, BenchRow.PREFILL), s.rows());
        assertEquals(128, s.prompts(64));
        assertEquals(1024, s.inputLen());
        assertEquals(128, s.outputLen());
        assertEquals(4096, s.prefillLen());
        assertEquals(1L << 30, s.copyBytes());
        assertEquals(4096, s.matmulSize());
        assertTrue(s.quick());
        assertEquals(4097, s.longestRequest());
    }

    @Test
    void withoutRowsTheBatchTableKeepsItsFlags() {
        BenchCommand c = parse("--model", "m", "--batch-sizes", "1,8", "--input-len", "128", "--output-len", "64");
        assertNull(c.rows);
        assertArrayEquals(new int[] {1, 8}, c.batchSizes);
        assertEquals(128, c.inputLen);
    }

    @Test
    void badRowsAndLevelsAreRefusedWithTheReason() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> parse("--model", "m", "--rows", "decode,speed").rowSettings(true));
        assertEquals("--rows takes decode,serve,prefill,vision or all, got 'speed'", e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> parse("--model", "m", "--rows", "serve", "--max-concurrency", "8,0").rowSettings(true));
        assertEquals("--max-concurrency needs positive levels, got [8, 0]", e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> parse("--model", "m", "--rows", "prefill", "--prefill-len", "0").rowSettings(true));
        assertEquals("--prefill-len must be positive, got 0", e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> parse("--model", "m", "--rows", "decode", "--output-len", "0").rowSettings(true));
        assertEquals("--input-len and --output-len must be positive, got 512 and 0", e.getMessage());
        // a level that the row does not use is not checked
        parse("--model", "m", "--rows", "decode", "--max-concurrency", "0").rowSettings(true);
    }
}
