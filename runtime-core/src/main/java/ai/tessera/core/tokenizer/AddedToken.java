package ai.tessera.core.tokenizer;

/**
 * A token added over the model's vocabulary ({@code added_tokens} of {@code tokenizer.json} or
 * {@code added_tokens_decoder} of {@code tokenizer_config.json}); special ones are dropped by
 * {@code skip_special_tokens}.
 */
public record AddedToken(int id, String content, boolean special) {
}
