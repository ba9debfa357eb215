package ai.tessera.core.http;

import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.Map;

import ai.tessera.boot.RegistryView;
import ai.tessera.core.server.ServedModels;
import com.fasterxml.jackson.databind.ObjectMapper;
import jakarta.servlet.Servlet;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

/**
 * {@code GET /health}: 200 while the container runs, with how many plugins are registered, how many bundles or
 * components have problems, and the state of each served model. An ordinary servlet on the OSGi servlet whiteboard.
 */
@Component(service = Servlet.class, property = "osgi.http.whiteboard.servlet.pattern=/health")
public class HealthServlet extends HttpServlet {
    private static final long serialVersionUID = 1L;
    private static final ObjectMapper JSON = new ObjectMapper();
    private final transient RegistryView view;
    private final transient ServedModels models;

    @Activate
    public HealthServlet(@Reference RegistryView view, @Reference ServedModels models) {
        this.view = view;
        this.models = models;
    }

    /** Other methods than GET get an OpenAI error body too, not the container's HTML page. */
    @Override
    protected void service(HttpServletRequest request, HttpServletResponse response) throws IOException,
            jakarta.servlet.ServletException {
        String method = request.getMethod();
        if (method.equals("GET") || method.equals("HEAD")) {
            super.service(request, response);
            return;
        }
        ai.tessera.core.server.OpenAiException refused = ai.tessera.core.server.OpenAiException.methodNotAllowed(method,
                "/health");
        response.setStatus(refused.status());
        response.setHeader("Allow", "GET, HEAD");
        response.setContentType("application/json");
        JSON.writeValue(response.getOutputStream(), refused.body());
    }

    @Override
    protected void doGet(HttpServletRequest request, HttpServletResponse response) throws IOException {
        Map<String, Object> body = new LinkedHashMap<>();
        Map<String, String> states = new LinkedHashMap<>();
        models.all().forEach(m -> states.put(m.name(), m.state().wireName()));
        // still 200: the server serves its other models; "degraded" tells a monitor that one of them failed
        boolean anyFailed = models.all().stream().anyMatch(m -> m.state() == ai.tessera.core.server.ModelSlot.State.FAILED);
        body.put("status", anyFailed ? "degraded" : "ok");
        body.put("plugins", view.plugins().size());
        body.put("problems", view.problems().size());
        body.put("models", states);
        response.setStatus(200);
        response.setContentType("application/json");
        JSON.writeValue(response.getOutputStream(), body);
    }
}
