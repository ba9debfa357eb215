package ai.tessera.core.tokenizer;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.logging.Level;
import java.util.logging.Logger;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;

/**
 * Creates DJL's binding of the Rust {@code tokenizers} library so that it never touches the network and finds its
 * JNI library inside its own jar.
 *
 * <p>Left alone, DJL (a) calls EC2's metadata address for telemetry, (b) on a machine with CUDA asks for a
 * {@code cu122} build of the library that exists only on its download server, and (c) looks for the library
 * through the thread's context class loader, which inside a bundle cannot see the framework class path. Offline
 * mode turns off (a) and (b) (the CPU build in the jar is used everywhere; the tokenizer does not use the GPU) and
 * the context class loader is set to DJL's own for the call.
 */
final class NativeTokenizers {
    /** System property that DJL reads when the DJL_OFFLINE environment variable is not set. */
    static final String OFFLINE_PROPERTY = "ai.djl.offline";
    /**
     * DJL probes CUDA (through JNA) only to choose a GPU build of the library, which offline mode never uses; on a
     * machine with a CUDA runtime but no driver it warns twice per process. Kept here so the setting is not
     * collected with the logger.
     */
    private static final Logger CUDA_PROBE = Logger.getLogger("ai.djl.util.cuda.CudaUtils");
    /** Truncation and padding stay off: the engine sees every token, one sequence at a time. */
    private static final Map<String, String> OPTIONS = Map.of(
            "addSpecialTokens", "true",
            "truncation", "false",
            "padding", "false");

    private NativeTokenizers() {
    }

    /** A native tokenizer for the given {@code tokenizer.json} text. */
    static HuggingFaceTokenizer create(String tokenizerJson) throws IOException {
        keepOffline();
        Thread thread = Thread.currentThread();
        ClassLoader previous = thread.getContextClassLoader();
        thread.setContextClassLoader(HuggingFaceTokenizer.class.getClassLoader());
        try {
            return HuggingFaceTokenizer.newInstance(
                    new ByteArrayInputStream(tokenizerJson.getBytes(StandardCharsets.UTF_8)), OPTIONS);
        } finally {
            thread.setContextClassLoader(previous);
        }
    }

    /** Offline unless the operator said otherwise through DJL's own switches. */
    static void keepOffline() {
        if (CUDA_PROBE.getLevel() == null) {
            CUDA_PROBE.setLevel(Level.SEVERE);
        }
        if (System.getenv("DJL_OFFLINE") == null && System.getProperty(OFFLINE_PROPERTY) == null) {
            System.setProperty(OFFLINE_PROPERTY, "true");
        }
    }
}
