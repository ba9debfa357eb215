package ai.tessera.core.chat;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import com.hubspot.jinjava.Jinjava;
import com.hubspot.jinjava.JinjavaConfig;
import com.hubspot.jinjava.LegacyOverrides;
import com.hubspot.jinjava.el.JinjavaInterpreterResolver;
import com.hubspot.jinjava.interpret.RenderResult;
import com.hubspot.jinjava.interpret.TemplateError;
import com.hubspot.jinjava.lib.fn.ELFunctionDefinition;
import jinjava.javax.el.CompositeELResolver;

/**
 * Jinjava set up as transformers sets up Jinja2 for chat templates: the globals {@code raise_exception} and
 * {@code strftime_now}, its {@code tojson}, Python string methods, no HTML escaping, and message text that is
 * never interpreted as a template. Whitespace handling is off here because {@link JinjavaDialect} has already
 * applied Jinja2's. One instance serves concurrent renders.
 */
final class JinjaEngine {
    private static final JinjaEngine SHARED = new JinjaEngine();

    private final Jinjava jinjava;

    private JinjaEngine() {
        CompositeELResolver resolver = new CompositeELResolver();
        resolver.add(new PythonStringMethods());
        resolver.add(JinjavaInterpreterResolver.DEFAULT_RESOLVER_READ_ONLY);
        JinjavaConfig config = JinjavaConfig.newBuilder()
                .withTrimBlocks(false)
                .withLstripBlocks(false)
                // a user message holding "{{ ... }}" is text, not a template to render again
                .withNestedInterpretationEnabled(false)
                .withElResolver(resolver)
                // Jinja2 lets a macro call itself (Gemma 4's format_parameters does, for nested schemas); Jinjava
                // renders such a call as nothing unless told; the depth bound stands in for Python's recursion limit
                .withEnableRecursiveMacroCalls(true)
                .withMaxMacroRecursionDepth(64)
                .withInterperterFactory(new PythonPrinting())
                .withLegacyOverrides(LegacyOverrides.newBuilder()
                        // "{{ -1 }}" is minus one, not whitespace control
                        .withParseWhitespaceControlStrictly(true)
                        // dicts and lists print as Python prints them: {'a': 1}
                        .withUsePyishObjectMapper(true)
                        .withKeepNullableLoopValues(true)
                        .build())
                .build();
        jinjava = new Jinjava(config);
        jinjava.getGlobalContext().registerFunction(
                new ELFunctionDefinition("", "raise_exception", TemplateGlobals.class, "raiseException", Object.class));
        jinjava.getGlobalContext().registerFunction(
                new ELFunctionDefinition("", "strftime_now", TemplateGlobals.class, "strftimeNow", String.class));
        jinjava.getGlobalContext().registerFilter(new TojsonFilter());
    }

    static JinjaEngine shared() {
        return SHARED;
    }

    /**
     * Renders translated source; a {@code raise_exception} call becomes a {@link TemplateRaisedException}, any other
     * fatal error a {@link ChatTemplateException} naming {@code origin} and the line.
     */
    String render(String jinjavaSource, Map<String, Object> variables, String origin) {
        RenderResult result = jinjava.renderForResult(jinjavaSource, variables);
        List<TemplateError> fatal = new ArrayList<>();
        for (TemplateError error : result.getErrors()) {
            if (error.getSeverity() == TemplateError.ErrorType.FATAL) {
                fatal.add(error);
            }
        }
        if (fatal.isEmpty()) {
            return result.getOutput();
        }
        for (TemplateError error : fatal) {
            TemplateRaisedException raised = causeOfType(error.getException(), TemplateRaisedException.class);
            if (raised != null) {
                throw new TemplateRaisedException(raised.templateMessage());
            }
        }
        StringBuilder message = new StringBuilder("The chat template " + origin + " does not render:");
        for (TemplateError error : fatal) {
            message.append("\n  line ").append(error.getLineno()).append(": ").append(error.getMessage());
            ChatTemplateException ours = causeOfType(error.getException(), ChatTemplateException.class);
            if (ours != null && !error.getMessage().contains(ours.getMessage())) {
                message.append(" (").append(ours.getMessage()).append(')');
            }
        }
        throw new ChatTemplateException(message.toString());
    }

    private static <T extends Throwable> T causeOfType(Throwable error, Class<T> type) {
        for (Throwable cause = error; cause != null; cause = cause.getCause() == cause ? null : cause.getCause()) {
            if (type.isInstance(cause)) {
                return type.cast(cause);
            }
        }
        return null;
    }
}
