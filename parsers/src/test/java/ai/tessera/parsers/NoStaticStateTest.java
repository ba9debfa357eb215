package ai.tessera.parsers;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import org.junit.jupiter.api.Test;

/**
 * Hot deployment: the bundle may be stopped and replaced at any time, so no class may keep state in static
 * fields; only constants of immutable types are allowed.
 */
class NoStaticStateTest {
    private static final Set<Class<?>> IMMUTABLE = Set.of(String.class, Pattern.class, List.class, long.class,
            JsonNodeFactory.class);

    @Test
    void staticFieldsAreImmutableConstants() throws IOException, URISyntaxException, ClassNotFoundException {
        Path classes = Path.of(ai.tessera.parsers.tool.Gemma4ToolParser.class.getProtectionDomain().getCodeSource()
                .getLocation().toURI());
        List<String> names = new ArrayList<>();
        try (Stream<Path> files = Files.walk(classes)) {
            files.filter(f -> f.toString().endsWith(".class") && !f.getFileName().toString().equals("package-info.class"))
                    .forEach(f -> names.add(classes.relativize(f).toString().replace('/', '.').replaceAll("\\.class$", "")));
        }
        assertFalse(names.isEmpty());
        for (String name : names) {
            for (Field field : Class.forName(name).getDeclaredFields()) {
                int modifiers = field.getModifiers();
                if (!Modifier.isStatic(modifiers) || field.isSynthetic() || field.isEnumConstant()) {
                    continue;
                }
                String where = name + "." + field.getName();
                assertTrue(Modifier.isFinal(modifiers), where + " is not final");
                assertTrue(IMMUTABLE.contains(field.getType()), where + " has type " + field.getType());
            }
        }
    }
}
