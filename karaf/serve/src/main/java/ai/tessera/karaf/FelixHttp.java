package ai.tessera.karaf;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.Dictionary;
import java.util.Hashtable;
import java.util.logging.Logger;

import org.osgi.service.cm.Configuration;
import org.osgi.service.cm.ConfigurationAdmin;

/**
 * The HTTP server (Felix HTTP Jetty, configured through Config Admin). {@code tessera serve} turns it on at its
 * port once the model is loaded and checks before loading that the port is free; Config Admin keeps that setting
 * across restarts, so before each serve the server is turned off again and its port awaited.
 */
final class FelixHttp {
    static final String PID = "org.apache.felix.http";
    private static final String ENABLE = "org.apache.felix.http.enable";
    private static final Logger LOG = Logger.getLogger(FelixHttp.class.getName());

    private final ConfigurationAdmin configAdmin;

    FelixHttp(ConfigurationAdmin configAdmin) {
        this.configAdmin = configAdmin;
    }

    /** Turns the server off (if a configuration turned it on) and waits up to {@code limit} for the port to be free. */
    void turnOffAndAwaitPort(String host, int port, Duration limit) throws IOException, InterruptedException {
        turnOff();
        long deadline = System.nanoTime() + limit.toNanos();
        while (!portFree(host, port)) {
            if (System.nanoTime() > deadline) {
                LOG.warning(host + ":" + port + " is still taken after " + limit.toSeconds() + " s; serve will say by whom");
                return;
            }
            Thread.sleep(100);
        }
    }

    void turnOff() throws IOException {
        Configuration http = configAdmin.getConfiguration(PID, "?");
        Dictionary<String, Object> props = http.getProperties();
        if (props != null && "false".equals(String.valueOf(props.get(ENABLE)))) {
            return;
        }
        Dictionary<String, Object> off = props == null ? new Hashtable<>() : props;
        off.put(ENABLE, false);
        http.update(off);
    }

    private static boolean portFree(String host, int port) {
        try (ServerSocket probe = new ServerSocket()) {
            probe.setReuseAddress(true);
            probe.bind(new InetSocketAddress(InetAddress.getByName(host), port));
            return true;
        } catch (IOException taken) {
            return false;
        }
    }
}
