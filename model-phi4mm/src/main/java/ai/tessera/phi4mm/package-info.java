/**
 * Phi-4-multimodal-instruct ({@code Phi4MMForCausalLM}): the Phi-3 decoder with the checkpoint's vision and speech
 * LoRA adapters, the SigLIP image embedding with the HD transform, and its processor. Bundle-private.
 */
package ai.tessera.phi4mm;
