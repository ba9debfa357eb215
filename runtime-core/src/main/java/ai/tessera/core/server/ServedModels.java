package ai.tessera.core.server;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;

/** The models the HTTP API serves now, by name, and the server-wide settings (the API key). */
@Component(service = ServedModels.class, immediate = true)
public class ServedModels {
    private final Map<String, ServedModel> models = new ConcurrentHashMap<>();
    private volatile ApiKey apiKey = new ApiKey(null);

    public void add(ServedModel model) {
        ServedModel previous = models.putIfAbsent(model.name(), model);
        if (previous != null) {
            throw new IllegalArgumentException("a model named '" + model.name() + "' is already served");
        }
    }

    /** Removes a model from the API and stops its engine. */
    public void remove(String name) {
        ServedModel model = models.remove(name);
        if (model != null) {
            model.engine().close();
        }
    }

    public List<ServedModel> all() {
        return new ArrayList<>(models.values());
    }

    public Optional<ServedModel> find(String name) {
        return Optional.ofNullable(models.get(name));
    }

    /** The model a request names; with one model served, a request may leave the name out. */
    ServedModel resolve(Optional<String> requested) {
        if (requested.isEmpty()) {
            if (models.size() == 1) {
                return models.values().iterator().next();
            }
            throw OpenAiException.badRequest("model", "'model' is required; served models: " + models.keySet());
        }
        ServedModel model = models.get(requested.get());
        if (model == null) {
            throw OpenAiException.notFound("model", "The model '" + requested.get() + "' does not exist. Served models: "
                    + models.keySet());
        }
        return model;
    }

    public void setApiKey(String key) {
        this.apiKey = new ApiKey(key);
    }

    ApiKey apiKey() {
        return apiKey;
    }

    @Deactivate
    void deactivate() {
        for (String name : List.copyOf(models.keySet())) {
            remove(name);
        }
    }
}
