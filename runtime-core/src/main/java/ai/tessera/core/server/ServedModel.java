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
 * @param reasoningParser   the reasoning parser {@code --reasoning-parser} named, looked up per request
 * @param toolParser        the tool-call parser {@code --tool-call-parser} named, looked up per request
 * @param autoToolChoice    {@code --enable-auto-tool-choice}
 * @param media             how it takes media, or {@code null} for a text-only model
 */
public record ServedModel(String name, String root, long created, Engine engine, PromptCodec codec, int maxModelLen,
                          int vocabSize, java.util.List<String> modalities, Map<String, Integer> mmLimits,
                          NamedPlugin<ReasoningParser> reasoningParser, NamedPlugin<ToolParser> toolParser, boolean autoToolChoice,
                          MediaSupport media) {
    public ServedModel {
        modalities = java.util.List.copyOf(modalities);
        mmLimits = Map.copyOf(mmLimits);
    }

    /** The reasoning parser now: empty when none was chosen or its bundle is gone. */
    public Optional<ReasoningParser> reasoning() {
        return reasoningParser.current();
    }

    /** The tool-call parser now: empty when none was chosen or its bundle is gone. */
    public Optional<ToolParser> tools() {
        return toolParser.current();
    }
}
