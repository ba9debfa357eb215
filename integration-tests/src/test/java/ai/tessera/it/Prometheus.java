package ai.tessera.it;

import java.util.Map;

/** Reads samples out of the Prometheus text format that {@code GET /metrics} returns. */
final class Prometheus {
    private Prometheus() {
    }

    /**
     * The sum of the samples named {@code name} whose labels include {@code labels} (0 when there are none, as for
     * a counter no request has touched yet).
     */
    static double sum(String exposition, String name, Map<String, String> labels) {
        double total = 0;
        for (String line : exposition.split("\n")) {
            if (line.startsWith("#") || !line.startsWith(name)) {
                continue;
            }
            String rest = line.substring(name.length());
            String labelText = "";
            if (rest.startsWith("{")) {
                int end = rest.indexOf('}');
                labelText = rest.substring(1, end);
                rest = rest.substring(end + 1);
            } else if (!rest.startsWith(" ")) {
                continue; // a longer name that starts with this one
            }
            if (matches(labelText, labels)) {
                total += Double.parseDouble(rest.trim().split(" ")[0]);
            }
        }
        return total;
    }

    private static boolean matches(String labelText, Map<String, String> wanted) {
        for (Map.Entry<String, String> e : wanted.entrySet()) {
            if (!labelText.contains(e.getKey() + "=\"" + e.getValue() + "\"")) {
                return false;
            }
        }
        return true;
    }
}
