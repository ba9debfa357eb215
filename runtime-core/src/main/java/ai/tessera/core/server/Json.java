package ai.tessera.core.server;

import java.io.IOException;
import java.io.InputStream;
import java.util.LinkedHashMap;
import java.util.Map;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

/** One shared mapper, and the request/response JSON helpers of the OpenAI API. */
final class Json {
    /** Strict about trailing content: {@code {...} garbage} is a malformed body, not the object before it. */
    /**
     * The longest string a request may hold: Jackson's default (20 M characters) would refuse an image data: URL of
     * 15 MB, below the default --media-max-bytes of 32 MiB (base64 adds a third); this takes 96 MiB of media.
     */
    static final int MAX_STRING_LENGTH = 128 << 20;
    static final ObjectMapper MAPPER = new ObjectMapper(com.fasterxml.jackson.core.JsonFactory.builder()
            .streamReadConstraints(com.fasterxml.jackson.core.StreamReadConstraints.builder()
                    .maxStringLength(MAX_STRING_LENGTH).build()).build())
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

    private Json() {
    }

    /** The request body as a JSON object, or a 400 that says what is wrong with it. */
    static ObjectNode readObject(InputStream body) {
        JsonNode node;
        try {
            node = MAPPER.readTree(body);
        } catch (com.fasterxml.jackson.core.exc.StreamConstraintsException e) {
            throw OpenAiException.badRequest(null, "The request body holds a string longer than " + MAX_STRING_LENGTH
                    + " characters, the most this server reads (a data: URL of more than 96 MiB of media)");
        } catch (JsonProcessingException e) {
            throw OpenAiException.badRequest(null, "The request body is not valid JSON: " + e.getOriginalMessage());
        } catch (IOException e) {
            throw OpenAiException.badRequest(null, "Could not read the request body: " + e.getMessage());
        }
        if (node == null || node.isMissingNode()) {
            throw OpenAiException.badRequest(null, "The request body is empty; a JSON object is expected.");
        }
        if (!node.isObject()) {
            throw OpenAiException.badRequest(null, "The request body must be a JSON object, got " + node.getNodeType());
        }
        return (ObjectNode) node;
    }

    static String write(Object value) {
        try {
            return MAPPER.writeValueAsString(value);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot serialise a response: " + e.getOriginalMessage(), e);
        }
    }

    /** OpenAI's error body. */
    static Map<String, Object> errorBody(OpenAiException e) {
        return e.body();
    }
}
