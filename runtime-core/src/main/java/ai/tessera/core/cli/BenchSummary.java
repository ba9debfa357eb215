package ai.tessera.core.cli;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalDouble;

/**
 * The closing table of {@code tessera bench --rows}, in Markdown so that it goes into docs/performance.md as
 * printed: one line per row, Tessera beside transformers' {@code generate} and continuous batching
 * ({@code generate_batch}), and Tessera / the better of the two.
 */
final class BenchSummary {
    /** A measured figure with a note, or why it is missing. */
    record Figure(OptionalDouble value, String note) {
        static Figure of(double value, String note) {
            return new Figure(Double.isNaN(value) ? OptionalDouble.empty() : OptionalDouble.of(value), note);
        }

        static Figure of(double value) {
            return of(value, "");
        }

        static Figure missing(String why) {
            return new Figure(OptionalDouble.empty(), why);
        }

        /** Not measured on this side (the row has no such baseline). */
        static Figure none() {
            return missing("-");
        }

        String text() {
            if (value.isEmpty()) {
                return note.isEmpty() ? "n/a" : note;
            }
            String v = BenchMath.figure(value, "n/a");
            return note.isEmpty() ? v : v + " (" + note + ")";
        }
    }

    private record Line(String measure, Figure tessera, Figure hfGenerate, Figure hfBatch) {
    }

    private final List<Line> lines = new ArrayList<>();

    void add(String measure, Figure tessera, Figure hfGenerate, Figure hfBatch) {
        lines.add(new Line(measure, tessera, hfGenerate, hfBatch));
    }

    boolean isEmpty() {
        return lines.isEmpty();
    }

    /** Tessera / the better of transformers' two figures, or {@code n/a}. */
    static String ratio(Figure tessera, Figure hfGenerate, Figure hfBatch) {
        return BenchMath.ratio(tessera.value(), BenchMath.best(hfGenerate.value(), hfBatch.value()));
    }

    void print(PrintWriter out, String title) {
        out.println();
        out.println(title);
        out.println();
        out.println("| measure | Tessera | transformers generate | transformers generate_batch | Tessera ÷ better |");
        out.println("|---|---|---|---|---|");
        for (Line l : lines) {
            out.printf("| %s | %s | %s | %s | %s |%n", l.measure(), cell(l.tessera()), cell(l.hfGenerate()),
                    cell(l.hfBatch()), ratio(l.tessera(), l.hfGenerate(), l.hfBatch()));
        }
        out.flush();
    }

    /** A table cell: one line, no pipe. */
    private static String cell(Figure f) {
        String text = f.text().replace('|', '/').replace('\n', ' ');
        return text.length() > 160 ? text.substring(0, 157) + "..." : text;
    }
}
