package ai.tessera.gemma4;

import java.util.ArrayList;
import java.util.List;

/** The special token ids of Gemma 4's tokenizer that the fixtures' prompts hold. */
final class Gemma4TokenIds {
    static final int BOS = 2;
    static final int IMAGE = 258880;
    static final int BOI = 255999;
    static final int EOI = 258882;
    static final int AUDIO = 258881;
    static final int BOA = 256000;
    static final int EOA = 258883;
    static final int VIDEO = 258884;

    private Gemma4TokenIds() {
    }

    /** The prompt as the chat template writes it, from the expanded one: one placeholder per image and per clip. */
    static int[] collapsed(long[] expanded) {
        List<Integer> ids = new ArrayList<>();
        for (int i = 0; i < expanded.length; i++) {
            if (expanded[i] == BOI || expanded[i] == BOA) {
                long end = expanded[i] == BOI ? EOI : EOA;
                ids.add(expanded[i] == BOI ? IMAGE : AUDIO);
                while (expanded[i] != end) {
                    i++;
                }
            } else {
                ids.add((int) expanded[i]);
            }
        }
        return ids.stream().mapToInt(Integer::intValue).toArray();
    }
}
