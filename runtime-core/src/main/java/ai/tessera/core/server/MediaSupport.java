package ai.tessera.core.server;

import java.util.Map;

import ai.tessera.api.MediaProcessor;

/**
 * What a served model needs to take media: its processor, the fetcher for media URLs, and the server's default
 * {@code mm_processor_kwargs} (a request's own override them key by key).
 */
public record MediaSupport(MediaProcessor processor, MediaFetcher fetcher, Map<String, Object> processorKwargs) {
    public MediaSupport {
        processorKwargs = Map.copyOf(processorKwargs);
    }
}
