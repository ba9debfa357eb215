/**
 * The audio side of Phi-4-multimodal-instruct ({@code Phi4MMForCausalLM}): the log-mel feature extractor
 * ({@link ai.tessera.phi4mm.audio.LogMelFeatureExtractor}, transformers' {@code Phi4MultimodalFeatureExtractor}), the
 * conformer encoder and the speech/vision projections ({@link ai.tessera.phi4mm.audio.Phi4MMAudioEmbedding},
 * transformers' {@code Phi4MultimodalAudioEmbedding}) loaded under the original checkpoint's names. Private to the
 * bundle; tools/reference/phi4mm_audio.md maps the names to transformers'.
 */
package ai.tessera.phi4mm.audio;
