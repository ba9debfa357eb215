package ai.tessera.core.resolve;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;

import ai.tessera.api.AttentionBackend;
import ai.tessera.api.AttentionLayerSpec;
import ai.tessera.api.ModelArchitecture;
import ai.tessera.api.ModelLoadException;
import ai.tessera.api.Platform;
import ai.tessera.boot.PluginInfo.Kind;
import ai.tessera.core.registry.PluginRegistry;
import ai.tessera.core.registry.Registration;

/**
 * Resolution by name at run time: the architecture of a config, the platform (by availability or
 * {@code --device}) and the attention backend for a layer (the platform's preference among those that support
 * it, or {@code --attention-backend}).
 */
public final class Resolver {
    private final PluginRegistry registry;

    public Resolver(PluginRegistry registry) {
        this.registry = registry;
    }

    /** The registration of {@code architecture}, waiting up to {@code wait} for it to appear. */
    public Registration architecture(String architecture, Duration wait) throws InterruptedException {
        Optional<Registration> found = registry.await(Kind.ARCHITECTURE, architecture, wait);
        return found.orElseThrow(() -> registry.notRegistered(Kind.ARCHITECTURE, architecture));
    }

    public ModelArchitecture architectureService(Registration registration) {
        return registry.service(registration, ModelArchitecture.class);
    }

    /** {@code device} when given, else the available platform of highest priority. */
    public Platform platform(String device) {
        if (device != null && !device.isBlank() && !device.equals("auto")) {
            Registration r = registry.find(Kind.PLATFORM, device)
                    .orElseThrow(() -> registry.notRegistered(Kind.PLATFORM, device));
            Platform platform = registry.service(r, Platform.class);
            Platform.Availability a = platform.availability();
            if (!a.available()) {
                throw new IllegalArgumentException("--device " + device + " is not available here: " + a.reason());
            }
            return platform;
        }
        List<Platform> available = new ArrayList<>();
        for (Registration r : registry.registrations(Kind.PLATFORM)) {
            Platform p = registry.service(r, Platform.class);
            if (p.availability().available()) {
                available.add(p);
            }
        }
        return available.stream().max(Comparator.comparingInt(Platform::priority))
                .orElseThrow(() -> new IllegalStateException("No platform is available; the cpu platform of "
                        + "runtime-core should always be. Registered: " + registry.names(Kind.PLATFORM)));
    }

    /** One attention backend for all {@code layers}: see {@link AttentionChoice#forAllLayers}. */
    public AttentionBackend attentionForAll(List<AttentionLayerSpec> layers, Platform platform, String forced)
            throws ModelLoadException {
        return AttentionChoice.forAllLayers(layers, platform, forced, new AttentionChoice.Backends() {
            @Override
            public Optional<AttentionBackend> find(String name) {
                return registry.find(Kind.ATTENTION_BACKEND, name)
                        .map(r -> registry.service(r, AttentionBackend.class));
            }

            @Override
            public List<String> names() {
                return registry.names(Kind.ATTENTION_BACKEND);
            }
        });
    }

    /** The attention backend for one layer: {@code forced} if given, else the platform's first choice that fits. */
    public AttentionBackend attention(AttentionLayerSpec spec, Platform platform, String forced) throws ModelLoadException {
        List<String> candidates = forced != null ? List.of(forced) : platform.attentionPreference();
        List<String> reasons = new ArrayList<>();
        for (String name : candidates) {
            Optional<Registration> r = registry.find(Kind.ATTENTION_BACKEND, name);
            if (r.isEmpty()) {
                reasons.add(name + ": not registered");
                continue;
            }
            AttentionBackend backend = registry.service(r.get(), AttentionBackend.class);
            String why = backend.unsupportedReason(spec, platform);
            if (why == null) {
                return backend;
            }
            reasons.add(name + ": " + why);
        }
        throw new ModelLoadException("No attention backend supports " + spec + " on this platform ("
                + String.join("; ", reasons) + "). Registered backends: " + registry.names(Kind.ATTENTION_BACKEND));
    }
}
