package ai.tessera.core.chat;

import java.beans.FeatureDescriptor;
import java.util.Iterator;

import com.hubspot.jinjava.objects.SafeString;
import jinjava.javax.el.ELContext;
import jinjava.javax.el.ELResolver;

/**
 * Resolves method calls on strings to {@link PythonStrings} when the name is a Python {@code str} method, and
 * leaves everything else to Jinjava's resolvers. First in the resolver chain.
 */
final class PythonStringMethods extends ELResolver {
    @Override
    public Object invoke(ELContext context, Object base, Object method, Class<?>[] paramTypes, Object[] params) {
        if (method == null || !(base instanceof String || base instanceof SafeString)
                || !PythonStrings.METHODS.contains(method.toString())) {
            return null;
        }
        Object result = PythonStrings.call(base.toString(), method.toString(), params == null ? new Object[0] : params);
        context.setPropertyResolved(true);
        return result;
    }

    @Override
    public Class<?> getCommonPropertyType(ELContext context, Object base) {
        return null;
    }

    @Override
    public Iterator<FeatureDescriptor> getFeatureDescriptors(ELContext context, Object base) {
        return null;
    }

    @Override
    public Class<?> getType(ELContext context, Object base, Object property) {
        return null;
    }

    @Override
    public Object getValue(ELContext context, Object base, Object property) {
        return null;
    }

    @Override
    public boolean isReadOnly(ELContext context, Object base, Object property) {
        return true;
    }

    @Override
    public void setValue(ELContext context, Object base, Object property, Object value) {
        // properties are left to the resolvers after this one
    }
}
