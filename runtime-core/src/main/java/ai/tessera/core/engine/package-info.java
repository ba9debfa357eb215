/**
 * The generation engine: continuous batching over a paged KV cache with prefix caching, chunked prefill and
 * preemption by recompute, and vLLM-compatible sampling. {@link ai.tessera.core.engine.Engine} is the entry
 * point for embedding Tessera without HTTP: build it from a {@link ai.tessera.api.LoadedModel} and an
 * {@link ai.tessera.core.engine.EngineConfig}, then {@code generate} (streaming) or {@code complete} (blocking).
 *
 * <p>Exported so that bundles in the container can run models without going through the HTTP API.
 */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("1.1.0")
package ai.tessera.core.engine;
