package ai.tessera.qwen25vl.processor;

import ai.tessera.api.ModelConfig;
import ai.tessera.api.ModelLoadException;

/**
 * The token ids and the vision settings from {@code config.json} that placeholders and M-RoPE positions need, with
 * the defaults of transformers' {@code Qwen2_5_VLConfig} for absent keys.
 *
 * @param tokensPerSecond temporal rotary positions per second of video ({@code vision_config.tokens_per_second})
 */
record VisionTokens(int imageTokenId, int videoTokenId, int spatialMergeSize, int tokensPerSecond) {
    static VisionTokens from(ModelConfig config) throws ModelLoadException {
        VisionTokens t = new VisionTokens(config.getInt("image_token_id", 151655),
                config.getInt("video_token_id", 151656), config.getInt("vision_config.spatial_merge_size", 2),
                config.getInt("vision_config.tokens_per_second", 4));
        if (t.imageTokenId() == t.videoTokenId()) {
            throw new ModelLoadException("config.json: image_token_id and video_token_id must differ, both are "
                    + t.imageTokenId());
        }
        if (t.spatialMergeSize() <= 0 || t.tokensPerSecond() < 0) {
            throw new ModelLoadException("config.json: vision_config.spatial_merge_size must be positive and"
                    + " vision_config.tokens_per_second not negative, got " + t.spatialMergeSize() + " and "
                    + t.tokensPerSecond());
        }
        return t;
    }
}
