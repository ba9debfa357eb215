/**
 * Tool-call parsers. Gemma 4 writes calls in its own notation,
 * {@code <|tool_call>call:NAME{key:<|"|>text<|"|>,n:42}<tool_call|>}, which these classes turn into the
 * OpenAI-style name plus JSON-object arguments.
 */
package ai.tessera.parsers.tool;
