package ai.tessera.core.cli;

import java.util.ArrayList;
import java.util.List;

import ai.tessera.boot.PluginInfo;
import ai.tessera.boot.PluginProblem;

/** The text form of {@code tessera plugins}: one aligned section per plugin kind, then problems. */
final class PluginTable {
    private PluginTable() {
    }

    static String render(List<PluginInfo> plugins, List<PluginProblem> problems) {
        StringBuilder text = new StringBuilder();
        for (PluginInfo.Kind kind : PluginInfo.Kind.values()) {
            boolean platform = kind == PluginInfo.Kind.PLATFORM;
            List<String[]> rows = new ArrayList<>();
            rows.add(platform ? new String[] {"NAME", "BUNDLE", "VERSION", "AVAILABLE", "DETAIL"}
                    : new String[] {"NAME", "BUNDLE", "VERSION"});
            for (PluginInfo p : plugins) {
                if (p.kind() == kind) {
                    rows.add(platform ? new String[] {p.name(), p.bundle(), p.version(), p.available() ? "yes" : "no", p.detail()}
                            : new String[] {p.name(), p.bundle(), p.version()});
                }
            }
            text.append(title(kind)).append(" (").append(rows.size() - 1).append(")\n");
            if (rows.size() > 1) {
                appendAligned(text, rows);
            }
            text.append('\n');
        }
        text.append("problems (").append(problems.size()).append(")\n");
        if (!problems.isEmpty()) {
            List<String[]> rows = new ArrayList<>();
            rows.add(new String[] {"BUNDLE", "VERSION", "COMPONENT", "PROBLEM"});
            problems.forEach(p -> rows.add(new String[] {p.bundle(), p.version(), p.component(), p.message()}));
            appendAligned(text, rows);
        }
        return text.toString();
    }

    private static String title(PluginInfo.Kind kind) {
        switch (kind) {
            case ARCHITECTURE: return "architectures";
            case MULTIMODAL_PROCESSOR: return "multimodal processors";
            case REASONING_PARSER: return "reasoning parsers";
            case TOOL_PARSER: return "tool parsers";
            case PLATFORM: return "platforms";
            default: return "attention backends";
        }
    }

    private static void appendAligned(StringBuilder text, List<String[]> rows) {
        int[] widths = new int[rows.get(0).length];
        for (String[] row : rows) {
            for (int i = 0; i < row.length; i++) {
                widths[i] = Math.max(widths[i], row[i].length());
            }
        }
        for (String[] row : rows) {
            StringBuilder line = new StringBuilder("  ");
            for (int i = 0; i < row.length; i++) {
                line.append(i == row.length - 1 ? row[i] : String.format("%-" + (widths[i] + 2) + "s", row[i]));
            }
            text.append(line.toString().stripTrailing()).append('\n');
        }
    }
}
