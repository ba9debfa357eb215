package ai.tessera.launcher;

import java.time.LocalTime;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.logging.ConsoleHandler;
import java.util.logging.Formatter;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

/**
 * One-line log records on standard error. Everything in the container logs through java.util.logging
 * (Jetty through slf4j-jdk14), so one handler formats it all.
 */
final class LogSetup {
    /** Held strongly: java.util.logging keeps only weak references to loggers, and their levels with them. */
    private static final Logger JETTY = Logger.getLogger("org.eclipse.jetty");
    /** The container's start-up lines (bundles installed, plugins registered): noise when only usage is asked. */
    private static final List<Logger> START_UP = List.of(Logger.getLogger("ai.tessera.launcher.Container"),
            Logger.getLogger("ai.tessera.core.registry.PluginRegistry"));
    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("HH:mm:ss.SSS");

    private LogSetup() {
    }

    /** @param args the command line: {@code --help}, {@code --version} or none quiet the start-up lines */
    static void configure(List<String> args) {
        if (System.getProperty("java.util.logging.config.file") != null) {
            return;
        }
        if (args.isEmpty() || args.stream().anyMatch(a -> a.equals("--help") || a.equals("-h")
                || a.equals("--version") || a.equals("-V"))) {
            START_UP.forEach(l -> l.setLevel(Level.WARNING));
        }
        Logger root = Logger.getLogger("");
        for (Handler handler : root.getHandlers()) {
            root.removeHandler(handler);
        }
        Level level = Level.parse(System.getProperty("tessera.log.level", "INFO"));
        ConsoleHandler console = new ConsoleHandler();
        console.setLevel(level);
        console.setFormatter(new Formatter() {
            @Override
            public String format(LogRecord r) {
                String logger = r.getLoggerName() == null ? "" : r.getLoggerName();
                String shortName = logger.substring(logger.lastIndexOf('.') + 1);
                String text = LocalTime.now().format(TIME) + " " + r.getLevel().getName() + " [" + shortName + "] "
                        + formatMessage(r) + System.lineSeparator();
                if (r.getThrown() != null && level.intValue() <= Level.FINE.intValue()) {
                    java.io.StringWriter trace = new java.io.StringWriter();
                    r.getThrown().printStackTrace(new java.io.PrintWriter(trace));
                    text += trace;
                }
                return text;
            }
        });
        // HTTP is off until `serve` turns it on; Felix HTTP warns about that at every start, which is expected.
        console.setFilter(r -> r.getMessage() == null || !r.getMessage().startsWith("Jetty not started"));
        root.addHandler(console);
        root.setLevel(level);
        // Jetty is chatty at INFO; its warnings still come through.
        JETTY.setLevel(Level.WARNING);
    }
}
