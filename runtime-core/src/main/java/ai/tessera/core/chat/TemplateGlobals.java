package ai.tessera.core.chat;

import java.time.LocalDateTime;

/** The functions transformers adds to every chat template, registered with Jinjava by reflection. */
final class TemplateGlobals {
    private TemplateGlobals() {
    }

    /** {@code raise_exception(message)}: the template refuses the conversation. */
    static Object raiseException(Object message) {
        throw new TemplateRaisedException(String.valueOf(message));
    }

    /** {@code strftime_now(format)}: the local time formatted with Python's strftime directives. */
    static String strftimeNow(String format) {
        return PythonStrftime.format(LocalDateTime.now(), format);
    }
}
