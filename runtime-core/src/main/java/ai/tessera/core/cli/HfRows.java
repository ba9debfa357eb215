package ai.tessera.core.cli;

import java.util.Locale;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * transformers' figures for the rows, as {@code gpu_check.py rows} writes them (row by row, so a run that died
 * part-way still gives the rows it finished): {@code rows.<row>} holds the figures or {@code error}; rows measured
 * per level ({@code serve_generate}, {@code serve_generate_batch}, {@code vision}) hold one such object per level.
 */
final class HfRows {
    private final JsonNode json;
    private final String absent;

    private HfRows(JsonNode json, String absent) {
        this.json = json;
        this.absent = absent;
    }

    /** No comparison asked for: every figure is "-". */
    static HfRows none() {
        return new HfRows(null, "-");
    }

    /** transformers did not give a result file at all. */
    static HfRows failed(String why) {
        return new HfRows(null, "n/a: " + why);
    }

    static HfRows of(JsonNode json, String whyIncomplete) {
        return new HfRows(json, whyIncomplete == null ? "n/a: not measured" : "n/a: " + whyIncomplete);
    }

    /** The device transformers ran on, for the summary's title. */
    String device() {
        return json == null ? "" : json.path("device").asText("");
    }

    /**
     * One figure: {@code rows.row[.level].field}, with {@code fractionField} (when not null) noted beside it as
     * "0.12 fractionNote"; an {@code error} there becomes "n/a: error".
     */
    BenchSummary.Figure figure(String row, String level, String field, String fractionField, String fractionNote) {
        if (json == null) {
            return BenchSummary.Figure.missing(absent);
        }
        JsonNode node = json.path("rows").path(row);
        if (node.has("error")) {
            return BenchSummary.Figure.missing("n/a: " + node.get("error").asText());
        }
        if (level != null) {
            node = node.path(level);
            if (node.has("error")) {
                return BenchSummary.Figure.missing("n/a: " + node.get("error").asText());
            }
        }
        JsonNode value = node.path(field);
        if (!value.isNumber()) {
            return BenchSummary.Figure.missing(absent);
        }
        String note = "";
        if (fractionField != null && node.path(fractionField).isNumber()) {
            note = String.format(Locale.ROOT, "%.2f %s", node.get(fractionField).asDouble(), fractionNote);
        }
        return BenchSummary.Figure.of(value.asDouble(), note);
    }
}
