/**
 * Hugging Face tokenizers: {@link ai.tessera.core.tokenizer.HfTokenizer} loads {@code tokenizer.json} and
 * {@code tokenizer_config.json} of a model folder, {@link ai.tessera.core.tokenizer.IncrementalDetokenizer} streams
 * generated text without broken characters. The Rust library comes through DJL, which lives on the framework
 * class path because a JNI library binds to one class loader.
 */
package ai.tessera.core.tokenizer;
