package ai.tessera.core.server;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;

import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.Test;

/** The bytes of a request as the server reads them: JSON bodies with large data: URLs, percent-encoded data. */
class RequestDecodingTest {
    @Test
    void percentEncodedDataKeepsEveryByteAndPlusIsAPlus() {
        StringBuilder encoded = new StringBuilder();
        byte[] all = new byte[256];
        for (int b = 0; b < 256; b++) {
            all[b] = (byte) b;
            encoded.append(String.format("%%%02X", b));
        }
        assertArrayEquals(all, MediaFetcher.percentDecode(encoded.toString(), "data:..."));
        assertArrayEquals("a+b c".getBytes(StandardCharsets.US_ASCII), MediaFetcher.percentDecode("a+b%20c", "x"));
        String bad = assertThrows(IllegalArgumentException.class, () -> MediaFetcher.percentDecode("ab%4", "d"))
                .getMessage();
        assertTrue(bad.contains("'%' at character 2"), bad);
    }

    @Test
    void aDataUrlLongerThanJacksonsDefaultLimitIsRead() {
        // 21 M characters: base64 of a 15.75 MB image, under --media-max-bytes 32 MiB, over Jackson's 20 M default
        String url = "data:image/png;base64," + "A".repeat(21_000_000);
        ObjectNode body = Json.readObject(new ByteArrayInputStream(("{\"url\":\"" + url + "\"}")
                .getBytes(StandardCharsets.US_ASCII)));
        assertEquals(url.length(), body.get("url").asText().length());
    }
}
