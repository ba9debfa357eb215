package ai.tessera.core.server;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.logging.Level;
import java.util.logging.Logger;

import com.fasterxml.jackson.databind.node.ObjectNode;
import jakarta.servlet.Servlet;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import org.osgi.framework.BundleContext;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

/**
 * The OpenAI-compatible API as an ordinary servlet on the OSGi servlet whiteboard: {@code /v1/chat/completions},
 * {@code /v1/completions}, {@code /v1/models}, plus {@code /version} and {@code /metrics}. Every failure a client
 * causes is an OpenAI error body with its status; the server keeps serving.
 */
@Component(service = Servlet.class, property = {
    "osgi.http.whiteboard.servlet.pattern=/v1/*",
    "osgi.http.whiteboard.servlet.pattern=/version",
    "osgi.http.whiteboard.servlet.pattern=/metrics",
    // the default servlet: any other path gets an OpenAI 404 body, not the container's HTML page
    "osgi.http.whiteboard.servlet.pattern=/"})
public class ApiServlet extends HttpServlet {
    private static final long serialVersionUID = 1L;
    private static final Logger LOG = Logger.getLogger(ApiServlet.class.getName());

    private final transient ServedModels models;
    private final transient ServerMetrics metrics;
    private final transient ChatCompletions chat;
    private final transient Completions completions;
    private final String version;

    @Activate
    public ApiServlet(@Reference ServedModels models, BundleContext context) {
        this.models = models;
        this.metrics = new ServerMetrics(models);
        this.chat = new ChatCompletions(metrics);
        this.completions = new Completions(metrics);
        this.version = context.getBundle().getVersion().toString();
    }

    @Override
    protected void service(HttpServletRequest request, HttpServletResponse response) throws IOException {
        String path = request.getServletPath() + (request.getPathInfo() == null ? "" : request.getPathInfo());
        String method = request.getMethod();
        // the served model a refused request was for, once known: its metrics count under that name
        String servedModel = null;
        try {
            if (path.equals("/version")) {
                requireMethod(method, "GET", path);
                writeJson(response, Map.of("version", version));
                return;
            }
            if (path.equals("/metrics")) {
                requireMethod(method, "GET", path);
                response.setStatus(200);
                response.setContentType("text/plain; version=0.0.4; charset=utf-8");
                metrics.write(response.getOutputStream());
                return;
            }
            if (!path.startsWith("/v1/")) {
                throw OpenAiException.notFound(null, "No endpoint " + method + " " + path);
            }
            models.apiKey().check(request.getHeader("Authorization"));
            switch (path) {
                case "/v1/models":
                    requireMethod(method, "GET", path);
                    writeJson(response, modelList());
                    break;
                case "/v1/chat/completions": {
                    requireMethod(method, "POST", path);
                    ObjectNode body = body(request);
                    // The lease keeps the model's version open until the last token is written.
                    try (ModelSlot.Lease lease = models.acquire(new Fields(body).optionalString("model"))) {
                        servedModel = lease.model().name();
                        chat.handle(body, lease.model(), response);
                    }
                    break;
                }
                case "/v1/completions": {
                    requireMethod(method, "POST", path);
                    ObjectNode body = body(request);
                    try (ModelSlot.Lease lease = models.acquire(new Fields(body).optionalString("model"))) {
                        servedModel = lease.model().name();
                        completions.handle(body, lease.model(), response);
                    }
                    break;
                }
                default:
                    throw OpenAiException.notFound(null, "No endpoint " + method + " " + path);
            }
        } catch (OpenAiException e) {
            metrics.rejected(servedModel, e.status());
            writeError(response, e);
        } catch (IllegalArgumentException e) {
            metrics.rejected(servedModel, 400);
            writeError(response, OpenAiException.badRequest(null, OpenAiException.firstLine(e.getMessage())));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            writeError(response, OpenAiException.unavailable("the server is shutting down"));
        } catch (IOException clientGone) {
            LOG.fine("client went away during " + path + ": " + clientGone.getMessage());
        } catch (RuntimeException e) {
            // A bug or a native failure: the log gets the details, the client a message without internals.
            LOG.log(Level.WARNING, "request " + method + " " + path + " failed", e);
            metrics.rejected(servedModel, 500);
            writeError(response, OpenAiException.internal("internal error (" + e.getClass().getSimpleName() + "): "
                    + e.getMessage()));
        }
    }

    private static void requireMethod(String method, String allowed, String path) {
        if (!method.equals(allowed)) {
            throw OpenAiException.methodNotAllowed(method, path);
        }
    }

    private static ObjectNode body(HttpServletRequest request) throws IOException {
        String type = request.getContentType();
        if (type != null && !type.toLowerCase(java.util.Locale.ROOT).startsWith("application/json")) {
            throw OpenAiException.unsupportedMediaType(type);
        }
        return Json.readObject(request.getInputStream());
    }

    private Map<String, Object> modelList() {
        List<Map<String, Object>> data = new ArrayList<>();
        for (ModelSlot slot : models.all()) {
            Optional<ModelSlot.Version> version = slot.current();
            Map<String, Object> entry = new LinkedHashMap<>();
            entry.put("id", slot.name());
            entry.put("object", "model");
            entry.put("created", version.map(v -> v.model().created()).orElse(slot.created()));
            entry.put("owned_by", "tessera");
            entry.put("root", slot.root());
            entry.put("parent", null);
            version.ifPresent(v -> entry.put("max_model_len", v.model().maxModelLen()));
            // Tessera's own fields: whether the model answers now, and which bundle version serves it.
            ModelSlot.State state = slot.state();
            entry.put("status", state.wireName());
            if (state != ModelSlot.State.READY) {
                entry.put("status_detail", slot.detail());
            }
            version.map(ModelSlot.Version::architecture).ifPresent(a -> entry.put("architecture",
                    Map.of("name", a.name(), "bundle", a.bundleName(), "version", a.bundleVersion())));
            data.add(entry);
        }
        Map<String, Object> list = new LinkedHashMap<>();
        list.put("object", "list");
        list.put("data", data);
        return list;
    }

    private static void writeJson(HttpServletResponse response, Object body) throws IOException {
        response.setStatus(200);
        response.setContentType("application/json");
        response.getOutputStream().write(Json.write(body).getBytes(StandardCharsets.UTF_8));
    }

    private static void writeError(HttpServletResponse response, OpenAiException e) throws IOException {
        if (response.isCommitted()) {
            // Mid-stream: the status line is gone; an SSE error event (then [DONE], as vLLM ends such a stream) is
            // all the client can still get.
            response.getOutputStream().write(("data: " + Json.write(Json.errorBody(e)) + "\n\ndata: [DONE]\n\n")
                    .getBytes(StandardCharsets.UTF_8));
            return;
        }
        response.resetBuffer();
        response.setStatus(e.status());
        response.setContentType("application/json");
        if (e.status() == 401) {
            response.setHeader("WWW-Authenticate", "Bearer");
        }
        response.getOutputStream().write(Json.write(Json.errorBody(e)).getBytes(StandardCharsets.UTF_8));
    }
}
