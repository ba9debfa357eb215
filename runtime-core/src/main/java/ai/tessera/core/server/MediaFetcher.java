package ai.tessera.core.server;

import java.io.ByteArrayOutputStream;
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
import java.util.Base64;
import java.util.Locale;

import ai.tessera.api.MediaInput;

/**
 * Fetches the bytes of a media URL of a request, as vLLM's media connector does: {@code data:} URLs, {@code file:}
 * URLs only under {@code --allowed-local-media-path}, and {@code http(s):} URLs with a timeout and a size cap.
 * Every failure is an {@link IllegalArgumentException} that names the URL (data elided) and why.
 */
public final class MediaFetcher {
    private final Path allowedLocalPath;
    private final long maxBytes;
    private final Duration timeout;
    private volatile HttpClient http;

    /**
     * @param allowedLocalPath the folder {@code file:} URLs may read from, or {@code null} to refuse them
     * @param maxBytes         the largest media item accepted
     * @param timeout          connect and read time for one http(s) fetch
     */
    public MediaFetcher(Path allowedLocalPath, long maxBytes, Duration timeout) {
        this.allowedLocalPath = allowedLocalPath == null ? null : realFolder(allowedLocalPath);
        this.maxBytes = maxBytes;
        this.timeout = timeout;
    }

    private static Path realFolder(Path folder) {
        try {
            return folder.toRealPath();
        } catch (IOException e) {
            throw new IllegalArgumentException("--allowed-local-media-path " + folder + " cannot be read: " + e.getMessage());
        }
    }

    public MediaInput fetch(String modality, String url) {
        String shown = shown(url);
        String scheme = url.contains(":") ? url.substring(0, url.indexOf(':')).toLowerCase(Locale.ROOT) : "";
        switch (scheme) {
            case "data":
                return dataUrl(modality, url, shown);
            case "file":
                return file(modality, url, shown);
            case "http":
            case "https":
                return http(modality, url, shown);
            default:
                throw new IllegalArgumentException("the " + modality + " URL " + shown + " is not supported: expected a "
                        + "data:, http:, https: or (with --allowed-local-media-path) file: URL");
        }
    }

    /** Base64 {@code input_audio} data, as the OpenAI API sends audio. */
    public MediaInput base64(String modality, String data, String format, String where) {
        byte[] bytes = decodeBase64(data, where);
        checkSize(bytes.length, where);
        return MediaInput.of(modality, bytes, format == null ? null : modality + "/" + format, where);
    }

    private MediaInput dataUrl(String modality, String url, String shown) {
        int comma = url.indexOf(',');
        if (comma < 0) {
            throw new IllegalArgumentException("the data URL " + shown + " has no ',' before its data");
        }
        String meta = url.substring(5, comma);
        String payload = url.substring(comma + 1);
        boolean base64 = meta.endsWith(";base64");
        String mime = base64 ? meta.substring(0, meta.length() - 7) : meta;
        byte[] bytes = base64 ? decodeBase64(payload, shown) : percentDecode(payload, shown);
        checkSize(bytes.length, shown);
        return MediaInput.of(modality, bytes, mime.isEmpty() ? null : mime, shown);
    }

    /**
     * The bytes of a data: URL without {@code ;base64} (RFC 2397): each {@code %XX} is one byte, every other character
     * stands for itself ({@code +} included; it is not a space here).
     */
    static byte[] percentDecode(String payload, String shown) {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream(payload.length());
        for (int i = 0; i < payload.length(); i++) {
            char c = payload.charAt(i);
            if (c == '%') {
                int hi = i + 2 < payload.length() ? Character.digit(payload.charAt(i + 1), 16) : -1;
                int lo = hi < 0 ? -1 : Character.digit(payload.charAt(i + 2), 16);
                if (lo < 0) {
                    throw new IllegalArgumentException("the data URL " + shown + " has a '%' at character " + i
                            + " that is not followed by two hexadecimal digits");
                }
                out.write(hi << 4 | lo);
                i += 2;
            } else if (c > 0x7f) {
                throw new IllegalArgumentException("the data URL " + shown + " holds a character outside ASCII at "
                        + i + "; percent-encode its bytes or use ;base64");
            } else {
                out.write(c);
            }
        }
        return out.toByteArray();
    }

    private MediaInput file(String modality, String url, String shown) {
        if (allowedLocalPath == null) {
            throw new IllegalArgumentException("the " + modality + " URL " + shown + " reads a local file, which this "
                    + "server allows only under --allowed-local-media-path (not set)");
        }
        Path path;
        try {
            path = Path.of(URI.create(url)).toRealPath();
        } catch (IOException | IllegalArgumentException | java.nio.file.FileSystemNotFoundException e) {
            throw new IllegalArgumentException("cannot read the " + modality + " file " + shown + ": " + e.getMessage());
        }
        if (!path.startsWith(allowedLocalPath)) {
            throw new IllegalArgumentException("the " + modality + " file " + shown + " is outside "
                    + "--allowed-local-media-path " + allowedLocalPath);
        }
        try {
            checkSize(Files.size(path), shown);
            return MediaInput.of(modality, Files.readAllBytes(path), Files.probeContentType(path), shown);
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read the " + modality + " file " + shown + ": " + e.getMessage());
        }
    }

    private MediaInput http(String modality, String url, String shown) {
        HttpRequest request;
        try {
            request = HttpRequest.newBuilder(URI.create(url)).timeout(timeout).GET().build();
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("the " + modality + " URL " + shown + " is not a valid URL: " + e.getMessage());
        }
        try {
            HttpResponse<InputStream> response = client().send(request, HttpResponse.BodyHandlers.ofInputStream());
            try (InputStream body = response.body()) {
                if (response.statusCode() / 100 != 2) {
                    throw new IllegalArgumentException("fetching the " + modality + " from " + shown + " answered HTTP "
                            + response.statusCode());
                }
                long declared = response.headers().firstValueAsLong("Content-Length").orElse(-1);
                if (declared > maxBytes) {
                    checkSize(declared, shown);
                }
                byte[] bytes = readCapped(body, shown);
                return MediaInput.of(modality, bytes, response.headers().firstValue("Content-Type").orElse(null), shown);
            }
        } catch (java.net.http.HttpTimeoutException e) {
            throw new IllegalArgumentException("fetching the " + modality + " from " + shown + " timed out after "
                    + timeout.toMillis() + " ms");
        } catch (IOException e) {
            // the JDK's client says nothing about a refused connection: name it, and keep other messages
            String why = e instanceof java.net.ConnectException ? "could not connect (refused or unreachable)"
                    : e.getMessage() == null || e.getMessage().isBlank() ? e.getClass().getSimpleName() : e.getMessage();
            throw new IllegalArgumentException("fetching the " + modality + " from " + shown + " failed: " + why);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalArgumentException("fetching the " + modality + " from " + shown + " was interrupted");
        }
    }

    private HttpClient client() {
        HttpClient c = http;
        if (c == null) {
            synchronized (this) {
                if (http == null) {
                    http = HttpClient.newBuilder().connectTimeout(timeout).followRedirects(HttpClient.Redirect.NORMAL)
                            .build();
                }
                c = http;
            }
        }
        return c;
    }

    private byte[] readCapped(InputStream in, String shown) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] buffer = new byte[64 * 1024];
        long total = 0;
        for (int n; (n = in.read(buffer)) > 0; ) {
            total += n;
            checkSize(total, shown);
            out.write(buffer, 0, n);
        }
        return out.toByteArray();
    }

    private void checkSize(long bytes, String shown) {
        if (bytes > maxBytes) {
            throw new IllegalArgumentException("the media " + shown + " is larger than the " + maxBytes
                    + " bytes this server accepts (--media-max-bytes)" + (bytes > 0 ? ": at least " + bytes : ""));
        }
    }

    private static byte[] decodeBase64(String data, String shown) {
        try {
            // line breaks are tolerated, anything else outside the alphabet is an error
            return Base64.getDecoder().decode(data.replaceAll("\\s+", ""));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("the media " + shown + " is not valid base64: " + e.getMessage());
        }
    }

    /** The URL for messages: data URLs shortened to their header. */
    static String shown(String url) {
        if (url.regionMatches(true, 0, "data:", 0, 5)) {
            int comma = url.indexOf(',');
            return (comma < 0 ? url.substring(0, Math.min(40, url.length())) : url.substring(0, comma)) + ",...";
        }
        return url.length() > 200 ? url.substring(0, 200) + "..." : url;
    }
}
