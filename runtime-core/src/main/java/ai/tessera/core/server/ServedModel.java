package ai.tessera.core.server;

import java.util.Map;
import java.util.Optional;

import ai.tessera.api.ReasoningParser;
import ai.tessera.api.ToolParser;
import ai.tessera.core.engine.Engine;

/**
 * A model the API serves under a name: its engine, prompt codec, limits and the parsers chosen for it.
 *
 * @param name              the served model name ({@code --served-model-name}, default the folder name)
 * @param root              where it came from (the model folder), shown by {@code /v1/models}
 * @param created           Unix seconds when it was loaded
 * @param maxModelLen       prompt plus output tokens at most
 * @param vocabSize         token ids in prompts must be below it (an id past the embedding table would fail the
 *                          engine step of every request batched with it)
 * @param modalities        what it accepts besides text
 * @param mmLimits          {@code --limit-mm-per-prompt}
 * @param reasoning         the reasoning parser, when {@code --reasoning-parser} chose one
 * @param tools             the tool-call parser, when {@code --tool-call-parser} chose one
 * @param autoToolChoice    {@code --enable-auto-tool-choice}
 */
public record ServedModel(String name, String root, long created, Engine engine, PromptCodec codec, int maxModelLen,
                          int vocabSize, java.util.List<String> modalities, Map<String, Integer> mmLimits,
                          Optional<ReasoningParser> reasoning, Optional<ToolParser> tools, boolean autoToolChoice) {
    public ServedModel {
        modalities = java.util.List.copyOf(modalities);
        mmLimits = Map.copyOf(mmLimits);
    }
}
