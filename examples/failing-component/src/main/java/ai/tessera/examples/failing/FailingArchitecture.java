package ai.tessera.examples.failing;

import ai.tessera.api.LoadedModel;
import ai.tessera.api.ModelArchitecture;
import ai.tessera.api.ModelContext;
import ai.tessera.api.ModelLoadException;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;

/**
 * A test fixture: a component whose activation throws, as a buggy third-party bundle might. The container must
 * stay up, keep every other registration and report this one in {@code tessera plugins}.
 */
@Component(service = ModelArchitecture.class, immediate = true,
        property = ModelArchitecture.PROPERTY + "=BrokenForCausalLM")
public class FailingArchitecture implements ModelArchitecture {

    @Activate
    void activate() {
        throw new IllegalStateException("deliberate activation failure of the failing-component fixture");
    }

    @Override
    public LoadedModel load(ModelContext context) throws ModelLoadException {
        throw new ModelLoadException("never activated");
    }
}
