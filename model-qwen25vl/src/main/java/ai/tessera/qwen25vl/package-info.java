/**
 * Bundle for Qwen2.5-VL (Qwen2_5_VLForConditionalGeneration). It registers its services through Declarative Services once its issue implements them;
 * until then it deliberately registers nothing rather than a service that would pretend to work.
 */
package ai.tessera.qwen25vl;
