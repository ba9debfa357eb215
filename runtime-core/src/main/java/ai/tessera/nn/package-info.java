/**
 * Layers that model bundles share, so that a model file reads like its paper or like its transformers modeling
 * file: {@link ai.tessera.nn.Linear}, {@link ai.tessera.nn.Embedding}, {@link ai.tessera.nn.RmsNorm},
 * {@link ai.tessera.nn.RotaryEmbedding} (default and LongRoPE, with partial rotary), {@link ai.tessera.nn.SiluAndMul}
 * and {@link ai.tessera.nn.FusedGateUpMlp}, and {@link ai.tessera.nn.Attention}, the call into the chosen backend.
 *
 * <p>Each layer computes what its Hugging Face counterpart computes, in the same order of operations, so that
 * float32 results agree with transformers to rounding. Layers load their weights by their Hugging Face names
 * ({@link ai.tessera.nn.WeightPrefix}) and hold a reference of their own to them until closed. A forward pass runs
 * inside a {@link ai.tessera.nn.ForwardScope}, which frees its temporary tensors.
 */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("1.1.0")
package ai.tessera.nn;
