/**
 * Qwen2.5-VL's media processor: images and videos decoded, resized and flattened into patches bit for bit as
 * transformers 5's {@code Qwen2_5_VLProcessor} (torchvision backend) does, placeholders expanded, and the M-RoPE
 * positions of {@code get_rope_index}. Private to the bundle; it registers
 * {@link ai.tessera.qwen25vl.processor.Qwen25VlMultimodalProcessor} with Declarative Services.
 */
package ai.tessera.qwen25vl.processor;
