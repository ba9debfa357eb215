package ai.tessera.core.chat;

/**
 * The template called {@code raise_exception(message)}: it refuses the conversation (roles out of order, an
 * unsupported content type...). The message is the template's own, for the client; a server answers 400.
 */
public final class TemplateRaisedException extends ChatTemplateException {
    private static final long serialVersionUID = 1L;

    private final String templateMessage;

    public TemplateRaisedException(String templateMessage) {
        super(templateMessage);
        this.templateMessage = templateMessage;
    }

    /** The text the template passed to {@code raise_exception}. */
    public String templateMessage() {
        return templateMessage;
    }
}
