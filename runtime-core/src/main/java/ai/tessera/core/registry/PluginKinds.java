package ai.tessera.core.registry;

import ai.tessera.api.AttentionBackend;
import ai.tessera.api.ModelArchitecture;
import ai.tessera.api.MultimodalProcessor;
import ai.tessera.api.Platform;
import ai.tessera.api.ReasoningParser;
import ai.tessera.api.ToolParser;
import ai.tessera.boot.PluginInfo.Kind;

/** The API interface each plugin kind is registered under. */
final class PluginKinds {
    private PluginKinds() {
    }

    static Class<?> serviceType(Kind kind) {
        switch (kind) {
            case ARCHITECTURE: return ModelArchitecture.class;
            case MULTIMODAL_PROCESSOR: return MultimodalProcessor.class;
            case REASONING_PARSER: return ReasoningParser.class;
            case TOOL_PARSER: return ToolParser.class;
            case PLATFORM: return Platform.class;
            case ATTENTION_BACKEND: return AttentionBackend.class;
            default: throw new IllegalArgumentException("unknown plugin kind " + kind);
        }
    }
}
