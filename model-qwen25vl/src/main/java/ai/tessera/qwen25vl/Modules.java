package ai.tessera.qwen25vl;

import java.util.List;

/** Bookkeeping for loading: what a failed load had built is freed, and a failure to free joins the load's error. */
final class Modules {
    private Modules() {
    }

    static <T extends AutoCloseable> T track(List<AutoCloseable> built, T module) {
        built.add(module);
        return module;
    }

    static void closeAll(List<AutoCloseable> modules, Exception loadFailure) {
        for (AutoCloseable module : modules) {
            try {
                module.close();
            } catch (Exception e) {
                loadFailure.addSuppressed(e);
            }
        }
    }
}
