/**
 * Reasoning parsers ({@code deepseek_r1}, {@code qwen3}, {@code gemma4}) and tool-call parsers ({@code gemma4}),
 * registered as Declarative Services components under the names vLLM's {@code --reasoning-parser} and
 * {@code --tool-call-parser} use. Components hold no per-request state and start no threads; each request's
 * streaming state lives in the object {@code newStream()} returns, so the bundle can be replaced at any time.
 */
package ai.tessera.parsers;
