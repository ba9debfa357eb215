package ai.tessera.core.registry;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

import ai.tessera.api.LoadedModel;
import ai.tessera.api.ModelArchitecture;
import ai.tessera.api.ModelLoadException;
import ai.tessera.api.Platform;
import ai.tessera.boot.PluginInfo;
import ai.tessera.boot.PluginInfo.Kind;
import ai.tessera.boot.PluginProblem;
import ai.tessera.boot.RegistryView;
import ai.tessera.core.config.HfConfigLoader;
import ai.tessera.core.kv.PagedKvCache;
import ai.tessera.core.kv.SingleSequence;
import ai.tessera.core.resolve.LoadedContext;
import ai.tessera.core.resolve.Resolver;
import ai.tessera.core.weights.DummyWeightSource;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch.ScalarType;
import org.osgi.framework.BundleContext;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.runtime.ServiceComponentRuntime;

/** The registry as the launcher, tests and embedding applications see it (through the boot API). */
@Component(service = RegistryView.class, immediate = true)
public class RegistryViewService implements RegistryView {
    private final PluginRegistry registry;
    private final ServiceComponentRuntime scr;
    private final BundleContext context;

    @Activate
    public RegistryViewService(@Reference PluginRegistry registry, @Reference ServiceComponentRuntime scr,
                               BundleContext context) {
        this.registry = registry;
        this.scr = scr;
        this.context = context;
    }

    @Override
    public List<PluginInfo> plugins() {
        List<PluginInfo> rows = new ArrayList<>();
        for (Kind kind : Kind.values()) {
            for (Registration r : registry.registrations(kind)) {
                boolean available = true;
                String detail = "";
                if (kind == Kind.PLATFORM) {
                    Platform.Availability a = availabilityOf(r);
                    available = a.available();
                    detail = a.reason();
                }
                rows.add(new PluginInfo(kind, r.name(), r.bundleName(), r.bundleVersion(), available, detail));
            }
        }
        return rows;
    }

    /** A platform that throws while checking itself is unavailable, with the exception's message as the reason. */
    private Platform.Availability availabilityOf(Registration r) {
        try {
            return registry.service(r, Platform.class).availability();
        } catch (RuntimeException | LinkageError e) {
            return Platform.Availability.no("availability check failed: " + e);
        }
    }

    @Override
    public List<PluginProblem> problems() {
        return ProblemReport.collect(context, scr);
    }

    @Override
    public PluginInfo resolve(Kind kind, String name) {
        Registration r = registry.find(kind, name).orElseThrow(() -> registry.notRegistered(kind, name));
        return new PluginInfo(kind, r.name(), r.bundleName(), r.bundleVersion(), true, "");
    }

    @Override
    public String smokeTest(String architecture, String tinyConfigJson) {
        Resolver resolver = new Resolver(registry);
        try (PointerScope scope = new PointerScope()) {
            Registration registration = resolver.architecture(architecture, Duration.ZERO);
            ModelArchitecture arch = resolver.architectureService(registration);
            Platform cpu = resolver.platform("cpu");
            LoadedContext ctx = new LoadedContext(HfConfigLoader.fromJson(tinyConfigJson, null),
                    new DummyWeightSource(ScalarType.Float, cpu.device(), 0), cpu, ScalarType.Float, Optional.empty(),
                    resolver, null, false);
            try (LoadedModel model = arch.load(ctx);
                 PagedKvCache cache = PagedKvCache.allocate(model.attentionLayers(), 1, PagedKvCache.DEFAULT_BLOCK_SIZE,
                         cpu.device())) {
                Tensor logits = model.forward(SingleSequence.prefill(new long[] {1, 2, 3}, cache, cpu.device()));
                Tensor argmax = logits.argmax(new org.bytedeco.pytorch.LongOptional(-1), false).contiguous();
                long[] best = new long[(int) argmax.size(0)];
                for (int i = 0; i < best.length; i++) {
                    best[i] = argmax.get(i).item_long();
                }
                return "logits " + Arrays.toString(shapeOf(logits)) + " argmax " + Arrays.toString(best)
                        + " from " + registration.bundleName() + " " + registration.bundleVersion();
            }
        } catch (ModelLoadException e) {
            throw new IllegalArgumentException(architecture + " did not load: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }

    private static long[] shapeOf(Tensor t) {
        long[] shape = new long[(int) t.dim()];
        for (int i = 0; i < shape.length; i++) {
            shape[i] = t.size(i);
        }
        return shape;
    }
}
