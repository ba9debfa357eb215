/**
 * The vision side of {@code Phi4ForCausalLMV}: SigLIP2's NaFlex vision transformer
 * ({@link ai.tessera.phi4.vision.Siglip2VisionModel}, mirroring transformers' {@code modeling_siglip2.py}) over
 * packed variable-resolution images, the {@code mlp2x_gelu} projector, and the checks and packing of the processed
 * inputs ({@link ai.tessera.phi4.vision.ImageInputs}, {@link ai.tessera.phi4.vision.TensorSchema}). Private to the
 * bundle.
 */
package ai.tessera.phi4.vision;
