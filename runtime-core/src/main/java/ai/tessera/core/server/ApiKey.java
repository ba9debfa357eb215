package ai.tessera.core.server;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;

/** {@code --api-key}: requests must carry {@code Authorization: Bearer <key>}, compared in constant time. */
final class ApiKey {
    private final byte[] expected;

    ApiKey(String key) {
        this.expected = key == null || key.isEmpty() ? null : key.getBytes(StandardCharsets.UTF_8);
    }

    boolean required() {
        return expected != null;
    }

    /** @throws OpenAiException 401 when a key is required and the header does not carry it */
    void check(String authorization) {
        if (expected == null) {
            return;
        }
        String prefix = "Bearer ";
        byte[] given = authorization != null && authorization.regionMatches(true, 0, prefix, 0, prefix.length())
                ? authorization.substring(prefix.length()).trim().getBytes(StandardCharsets.UTF_8) : new byte[0];
        // MessageDigest.isEqual takes time independent of where the arrays differ.
        if (!MessageDigest.isEqual(expected, given)) {
            throw OpenAiException.unauthorized();
        }
    }
}
