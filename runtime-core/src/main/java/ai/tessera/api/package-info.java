/**
 * Tessera's public API: the services that plugin bundles register and the container resolves by name.
 *
 * <p>Every service carries a name property: {@link ai.tessera.api.ModelArchitecture#PROPERTY},
 * {@link ai.tessera.api.MultimodalProcessor#PROPERTY}, {@link ai.tessera.api.AttentionBackend#PROPERTY},
 * {@link ai.tessera.api.Platform#PROPERTY}, {@link ai.tessera.api.ReasoningParser#PROPERTY},
 * {@link ai.tessera.api.ToolParser#PROPERTY}. Tensors are libtorch tensors of the JavaCPP PyTorch presets,
 * which the framework exports to every bundle.
 */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("1.1.0")
package ai.tessera.api;
