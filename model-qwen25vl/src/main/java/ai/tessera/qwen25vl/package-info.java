/**
 * Qwen2.5-VL: {@link ai.tessera.qwen25vl.Qwen25VlForConditionalGeneration} serves
 * {@code Qwen2_5_VLForConditionalGeneration} checkpoints (Qwen/Qwen2.5-VL-3B/7B/32B/72B-Instruct). The classes mirror
 * transformers' {@code modeling_qwen2_5_vl.py}: the vision tower ({@code VisionPatchEmbed}, 2-D
 * {@code VisionRotaryEmbedding}, windowed {@code VisionAttention} laid out by {@code VisionLayout}, {@code VisionMlp},
 * {@code VisionBlock}, {@code PatchMerger}, {@code VisionTransformer}) and the Qwen2 language model with M-RoPE
 * ({@code MultimodalRotaryEmbedding}, {@code Qwen2Attention}, {@code Qwen2DecoderLayer}, {@code Qwen2TextModel}).
 * The image and video processor lives in {@code ai.tessera.qwen25vl.processor}.
 */
package ai.tessera.qwen25vl;
