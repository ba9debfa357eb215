package ai.tessera.core.chat;

import com.hubspot.jinjava.Jinjava;
import com.hubspot.jinjava.JinjavaConfig;
import com.hubspot.jinjava.interpret.Context;
import com.hubspot.jinjava.interpret.InterpreterFactory;
import com.hubspot.jinjava.interpret.JinjavaInterpreter;

/**
 * Makes {@code {{ value }}} print booleans and floats as Python's {@code str} does ({@code True}, {@code 1e-05},
 * {@code 2.0}) instead of Java's ({@code true}, {@code 1.0E-5}). None still prints as nothing: Jinjava cannot tell
 * it from an undefined variable, which Jinja2 prints as nothing, and templates print undefined special tokens far
 * more often than None.
 */
final class PythonPrinting implements InterpreterFactory {
    @Override
    public JinjavaInterpreter newInstance(JinjavaInterpreter original) {
        return new Interpreter(original);
    }

    @Override
    public JinjavaInterpreter newInstance(Jinjava application, Context context, JinjavaConfig config) {
        return new Interpreter(application, context, config);
    }

    private static final class Interpreter extends JinjavaInterpreter {
        Interpreter(JinjavaInterpreter original) {
            super(original);
        }

        Interpreter(Jinjava application, Context context, JinjavaConfig config) {
            super(application, context, config);
        }

        @Override
        public String getAsString(Object object) {
            if (object instanceof Boolean) {
                return (Boolean) object ? "True" : "False";
            }
            if (object instanceof Double || object instanceof Float) {
                return PythonJson.floatRepr(((Number) object).doubleValue());
            }
            return super.getAsString(object);
        }
    }
}
