package ai.tessera.it;

import java.util.Collections;
import java.util.List;
import java.util.stream.Stream;

import org.junit.jupiter.params.provider.Arguments;

/**
 * Malformed or unservable requests and what the server must answer: the HTTP status and words the error message
 * must contain, so that a client learns what to fix.
 */
final class BadRequests {
    static final String CHAT = "/v1/chat/completions";
    static final String COMPLETIONS = "/v1/completions";
    /** Authorization header values: the server's key, none, a wrong one. */
    static final String KEY = "key";
    static final String NO_KEY = "none";
    static final String WRONG_KEY = "wrong";

    private BadRequests() {
    }

    /** One request of the table. {@code body} null sends no body (with {@code method} other than POST). */
    record Case(String name, String method, String path, String auth, String body, int status, List<String> words) {
        @Override
        public String toString() {
            return name;
        }
    }

    static Stream<Arguments> cases(int maxModelLen) {
        String manyIds = String.join(",", Collections.nCopies(maxModelLen + 88, "13225"));
        return Stream.of(
                chat("bad JSON", "{\"model\":", 400, "not valid JSON"),
                chat("trailing garbage after the JSON", hi("") + " garbage", 400, "not valid JSON"),
                chat("body not an object", "[1,2]", 400, "JSON object"),
                chat("empty body", "", 400, "empty"),
                chat("missing messages", "{\"model\":\"tessera-demo\"}", 400, "messages", "required"),
                chat("messages not a list", "{\"messages\":\"hi\"}", 400, "messages", "list"),
                chat("message not an object", "{\"messages\":[5]}", 400, "messages[0]"),
                chat("bad role", msgs("{\"role\":\"wizard\",\"content\":\"hi\"}", ""), 400, "role", "wizard"),
                chat("content wrong type", msgs("{\"role\":\"user\",\"content\":5}", ""), 400, "content", "number"),
                chat("unknown content part", msgs("{\"role\":\"user\",\"content\":[{\"type\":\"blob\"}]}", ""), 400,
                        "blob"),
                chat("temperature as a string", hi(",\"temperature\":\"hot\""), 400, "temperature", "number"),
                chat("temperature 5", hi(",\"temperature\":5"), 400, "temperature", "5"),
                chat("top_p 0", hi(",\"top_p\":0"), 400, "top_p"),
                chat("max_tokens 0", hi(",\"max_tokens\":0"), 400, "max_tokens"),
                chat("max_tokens not an integer", hi(",\"max_tokens\":2.5"), 400, "max_tokens", "integer"),
                chat("n 0", hi(",\"n\":0"), 400, "'n'"),
                chat("stream not a boolean", hi(",\"stream\":\"yes\""), 400, "stream", "boolean"),
                completion("prompt longer than --max-model-len", "{\"prompt\":[" + manyIds + "]}", 400,
                        Integer.toString(maxModelLen), Integer.toString(maxModelLen + 88)),
                completion("prompt plus max_tokens over --max-model-len",
                        "{\"prompt\":[13225,2375],\"max_tokens\":" + (maxModelLen - 1) + "}", 400,
                        Integer.toString(maxModelLen), Integer.toString(maxModelLen + 1)),
                chat("unknown model", "{\"model\":\"nope\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}",
                        404, "nope", "tessera-demo"),
                of("missing API key", "POST", CHAT, NO_KEY, hi(""), 401, "API key"),
                of("wrong API key", "POST", CHAT, WRONG_KEY, hi(""), 401, "API key"),
                of("GET on chat completions", "GET", CHAT, KEY, null, 405, "GET"),
                of("unknown path", "GET", "/v1/nothing", KEY, null, 404, "/v1/nothing"),
                of("unknown path outside /v1", "GET", "/ping", NO_KEY, null, 404, "/ping"),
                of("POST on /health", "POST", "/health", KEY, "{}", 405, "POST", "/health"),
                chat("image for a text-only model", msgs("{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":"
                        + "\"hi\"},{\"type\":\"image_url\",\"image_url\":{\"url\":\"http://x/y.png\"}}]}", ""), 400,
                        "image"),
                chat("tool_choice required", hi(",\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"f\"}}],"
                        + "\"tool_choice\":\"required\""), 400, "tool_choice", "required"),
                chat("stop with 5 items", hi(",\"stop\":[\"a\",\"b\",\"c\",\"d\",\"e\"]"), 400, "stop", "4"),
                chat("top_logprobs 21", hi(",\"logprobs\":true,\"top_logprobs\":21"), 400, "top_logprobs", "20"),
                completion("logprobs 21", "{\"prompt\":\"hi\",\"logprobs\":21}", 400, "logprobs", "20"),
                completion("token id out of vocabulary", "{\"prompt\":[999999999]}", 400, "999999999"),
                chat("response_format json_object", hi(",\"response_format\":{\"type\":\"json_object\"}"), 400,
                        "response_format"),
                completion("response_format json_schema on completions", "{\"prompt\":\"hi\",\"response_format\":"
                        + "{\"type\":\"json_schema\"}}", 400, "response_format", "guided"),
                chat("response_format of no known type", hi(",\"response_format\":{\"type\":\"bogus\"}"), 400,
                        "must be one of", "bogus"),
                completion("guided_json with an empty schema", "{\"prompt\":\"hi\",\"guided_json\":{}}", 400,
                        "guided_json"),
                completion("use_beam_search", "{\"prompt\":\"hi\",\"use_beam_search\":true}", 400,
                        "use_beam_search"),
                chat("truncate_prompt_tokens", hi(",\"truncate_prompt_tokens\":2"), 400, "truncate_prompt_tokens"),
                completion("return_tokens_as_token_ids", "{\"prompt\":\"hi\",\"return_tokens_as_token_ids\":true}",
                        400, "return_tokens_as_token_ids"),
                chat("stream_options without stream", hi(",\"stream_options\":{\"include_usage\":true}"), 400,
                        "stream_options"));
    }

    private static String msgs(String message, String extra) {
        return "{\"messages\":[" + message + "]" + extra + "}";
    }

    private static String hi(String extra) {
        return msgs("{\"role\":\"user\",\"content\":\"hi\"}", extra);
    }

    private static Arguments chat(String name, String body, int status, String... words) {
        return of(name, "POST", CHAT, KEY, body, status, words);
    }

    private static Arguments completion(String name, String body, int status, String... words) {
        return of(name, "POST", COMPLETIONS, KEY, body, status, words);
    }

    private static Arguments of(String name, String method, String path, String auth, String body, int status,
                                String... words) {
        return Arguments.of(new Case(name, method, path, auth, body, status, List.of(words)));
    }
}
