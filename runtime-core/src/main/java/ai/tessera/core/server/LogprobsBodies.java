package ai.tessera.core.server;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import ai.tessera.core.engine.TokenLogprob;

/** Logprobs in the two shapes of the OpenAI API: chat's {@code content} list and completions' parallel lists. */
final class LogprobsBodies {
    private LogprobsBodies() {
    }

    static List<Map<String, Object>> chat(List<TokenLogprob> logprobs, PromptCodec codec) {
        List<Map<String, Object>> out = new ArrayList<>();
        for (TokenLogprob lp : logprobs) {
            Map<String, Object> entry = tokenEntry(codec.tokenText(lp.tokenId()), lp.logprob());
            List<Map<String, Object>> top = new ArrayList<>();
            for (TokenLogprob.Top t : lp.top()) {
                top.add(tokenEntry(codec.tokenText(t.tokenId()), t.logprob()));
            }
            entry.put("top_logprobs", top);
            out.add(entry);
        }
        return out;
    }

    private static Map<String, Object> tokenEntry(String token, float logprob) {
        Map<String, Object> e = new LinkedHashMap<>();
        e.put("token", token);
        e.put("logprob", logprob);
        List<Integer> bytes = new ArrayList<>();
        for (byte b : token.getBytes(StandardCharsets.UTF_8)) {
            bytes.add(b & 0xff);
        }
        e.put("bytes", bytes);
        return e;
    }

    /** Completions' {@code tokens}, {@code token_logprobs}, {@code top_logprobs}, {@code text_offset}. */
    static final class Completion {
        private final List<String> tokens = new ArrayList<>();
        private final List<Float> tokenLogprobs = new ArrayList<>();
        private final List<Map<String, Float>> top = new ArrayList<>();
        private final List<Integer> offsets = new ArrayList<>();
        private int offset;

        Completion(int startOffset) {
            this.offset = startOffset;
        }

        void add(List<TokenLogprob> logprobs, PromptCodec codec) {
            for (TokenLogprob lp : logprobs) {
                String token = codec.tokenText(lp.tokenId());
                tokens.add(token);
                tokenLogprobs.add(lp.logprob());
                Map<String, Float> alternatives = new LinkedHashMap<>();
                for (TokenLogprob.Top t : lp.top()) {
                    alternatives.put(codec.tokenText(t.tokenId()), t.logprob());
                }
                top.add(alternatives);
                offsets.add(offset);
                offset += token.length();
            }
        }

        boolean isEmpty() {
            return tokens.isEmpty();
        }

        Map<String, Object> body() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("tokens", tokens);
            m.put("token_logprobs", tokenLogprobs);
            m.put("top_logprobs", top);
            m.put("text_offset", offsets);
            return m;
        }
    }
}
