/**
 * Phi-4-reasoning-vision's image processor: the checkpoint's {@code Siglip2ImageProcessorNoUpscale} (patch budget,
 * Pillow bilinear resize, normalisation, patches, padding) and the placeholder expansion vLLM performs, registered
 * as the {@code Phi4ForCausalLMV} multimodal processor. Private to the bundle.
 */
package ai.tessera.phi4.vision.processor;
