package ai.tessera.core.cli;

import java.util.Arrays;
import java.util.EnumSet;
import java.util.Locale;
import java.util.Set;
import java.util.stream.Collectors;

/** The rows of issue 10's benchmark table that {@code tessera bench --rows} measures. */
enum BenchRow {
    /** Batch-1 decode tokens/s and its fraction of the HBM roofline. */
    DECODE,
    /** Output tokens/s of concurrent requests through the engine (continuous batching). */
    SERVE,
    /** One long prompt's prefill tokens/s and its fraction of the bf16 matmul peak. */
    PREFILL,
    /** The vision encoder's images/s. */
    VISION;

    String flagName() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** Parses {@code decode,serve,prefill,vision} (any subset, any order) or {@code all}. */
    static Set<BenchRow> parse(String[] names) {
        EnumSet<BenchRow> rows = EnumSet.noneOf(BenchRow.class);
        for (String raw : names) {
            String name = raw.trim().toLowerCase(Locale.ROOT);
            if (name.equals("all")) {
                rows.addAll(EnumSet.allOf(BenchRow.class));
                continue;
            }
            BenchRow row = Arrays.stream(values()).filter(r -> r.flagName().equals(name)).findFirst()
                    .orElseThrow(() -> new IllegalArgumentException("--rows takes " + names() + " or all, got '" + raw
                            + "'"));
            rows.add(row);
        }
        if (rows.isEmpty()) {
            throw new IllegalArgumentException("--rows needs at least one of " + names() + " or all");
        }
        return rows;
    }

    static String names() {
        return Arrays.stream(values()).map(BenchRow::flagName).collect(Collectors.joining(","));
    }

    static String join(Set<BenchRow> rows) {
        return rows.stream().map(BenchRow::flagName).collect(Collectors.joining(","));
    }
}
