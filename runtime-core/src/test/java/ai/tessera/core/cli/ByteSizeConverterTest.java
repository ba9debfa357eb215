package ai.tessera.core.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import picocli.CommandLine;

class ByteSizeConverterTest {
    private final ByteSizeConverter converter = new ByteSizeConverter();

    @Test
    void readsPlainCountsAndBinaryUnits() {
        assertEquals(1073741824L, converter.convert("1073741824"));
        assertEquals(512L << 20, converter.convert("512MiB"));
        assertEquals(4L << 30, converter.convert("4GiB"));
        assertEquals(2L << 30, converter.convert("2g"));
        assertEquals(3L << 29, converter.convert("1.5GB"));
    }

    @Test
    void refusesOtherTextNamingIt() {
        CommandLine.TypeConversionException e = assertThrows(CommandLine.TypeConversionException.class,
                () -> converter.convert("lots"));
        assertTrue(e.getMessage().contains("'lots'"), e.getMessage());
    }
}
