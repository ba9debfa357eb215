package ai.tessera.core.server;

/**
 * An error for the client, rendered as OpenAI's error body {@code {"error":{"message","type","param","code"}}}
 * with the HTTP status it carries. The container keeps serving after every one of them.
 */
public final class OpenAiException extends RuntimeException {
    private static final long serialVersionUID = 1L;
    private final int status;
    private final String type;
    private final String param;

    public OpenAiException(int status, String type, String param, String message) {
        super(message);
        this.status = status;
        this.type = type;
        this.param = param;
    }

    /** 400: the request is malformed or asks for something this server cannot do. */
    public static OpenAiException badRequest(String param, String message) {
        return new OpenAiException(400, "invalid_request_error", param, message);
    }

    public static OpenAiException unauthorized() {
        return new OpenAiException(401, "authentication_error", null,
                "Missing or invalid API key: send it as 'Authorization: Bearer <key>'.");
    }

    /** OpenAI's error body: {@code {"error": {"message", "type", "param", "code"}}}. */
    public java.util.Map<String, Object> body() {
        java.util.Map<String, Object> error = new java.util.LinkedHashMap<>();
        error.put("message", getMessage());
        error.put("type", type);
        error.put("param", param);
        error.put("code", status);
        return java.util.Map.of("error", error);
    }

    public static OpenAiException notFound(String param, String message) {
        return new OpenAiException(404, "not_found_error", param, message);
    }

    /** 415, as vLLM answers a body that is not declared as JSON. */
    public static OpenAiException unsupportedMediaType(String contentType) {
        return new OpenAiException(415, "invalid_request_error", null, "Unsupported Media Type: only"
                + " 'application/json' is allowed, got '" + contentType + "'");
    }

    public static OpenAiException methodNotAllowed(String method, String path) {
        return new OpenAiException(405, "invalid_request_error", null, method + " is not allowed on " + path);
    }

    /** 500 without internals: the message names what failed in one line, never a native stack trace. */
    public static OpenAiException internal(String message) {
        return new OpenAiException(500, "internal_error", null, firstLine(message));
    }

    /** The first line of a message, e.g. of a libtorch error that goes on with its C++ frames. */
    static String firstLine(String message) {
        if (message == null) {
            return "no message";
        }
        int end = message.indexOf('\n');
        return (end < 0 ? message : message.substring(0, end)).strip();
    }

    /** 503: the model is loading, swapping or gone. */
    public static OpenAiException unavailable(String message) {
        return new OpenAiException(503, "service_unavailable", null, message);
    }

    public int status() {
        return status;
    }

    public String type() {
        return type;
    }

    public String param() {
        return param;
    }
}
