package ai.tessera.core.chat;

/**
 * A chat template that cannot be rendered: a syntax error, a construct the engine does not support, or an error
 * while evaluating it (the message names the template and the line). A request with messages the template refuses
 * gets a {@link TemplateRaisedException} instead.
 */
public class ChatTemplateException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public ChatTemplateException(String message) {
        super(message);
    }

    public ChatTemplateException(String message, Throwable cause) {
        super(message, cause);
    }
}
