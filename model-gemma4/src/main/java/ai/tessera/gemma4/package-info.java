/**
 * Gemma 4: {@link ai.tessera.gemma4.Gemma4ForConditionalGeneration} (the released checkpoints: the text decoder, the
 * vision tower and the audio tower) and {@link ai.tessera.gemma4.Gemma4ForCausalLM} (text-only), dense and mixture-of-experts. The classes mirror
 * transformers' {@code modeling_gemma4.py}: {@code Gemma4TextAttention}, {@code Gemma4TextMLP},
 * {@code Gemma4TextRouter}, {@code Gemma4TextExperts}, {@code Gemma4TextDecoderLayer}, {@code Gemma4TextModel}, with
 * sliding and full layers of different head sizes, proportional RoPE, Per-Layer Embeddings, KV sharing and final
 * logit soft-capping; {@code Gemma4VisionModel} and {@code Gemma4AudioModel} (the USM conformer) with their
 * multimodal embedders, {@code Gemma4ImageProcessor} and {@code Gemma4AudioFeatureExtractor}.
 */
package ai.tessera.gemma4;
