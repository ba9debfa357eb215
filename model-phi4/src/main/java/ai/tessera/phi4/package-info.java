/**
 * Phi-3 family text decoders: {@link ai.tessera.phi4.Phi3ForCausalLM} serves microsoft/Phi-3-* and
 * microsoft/Phi-4-mini-* checkpoints (LongRoPE, partial rotary, tied embeddings). The classes mirror transformers'
 * {@code modeling_phi3.py}: {@code Phi3Attention}, {@code Phi3DecoderLayer}, {@code Phi3Model},
 * {@code Phi3ForCausalLM}. {@link ai.tessera.phi4.Phi4ForCausalLMV} (Phi-4-reasoning-vision-15B) puts a SigLIP2 NaFlex
 * vision tower (package {@code vision}) in front of the same decoder.
 */
package ai.tessera.phi4;
