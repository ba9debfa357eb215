package ai.tessera.core.engine;

/** Request states for unit tests of the engine's parts, with no engine around them. */
final class Requests {
    private Requests() {
    }

    static RequestState state(String id, int[] prompt, SamplingParams params) {
        GenerationRequest request = new GenerationRequest(id, prompt, params);
        OutputText text = new OutputText(TextDecoder.NONE.start(prompt), params.stop());
        return new RequestState(request, params, text, new RequestPublisher(Runnable::run, () -> { }, () -> { }));
    }

    static RequestState state(String id, int length) {
        int[] prompt = new int[length];
        for (int i = 0; i < length; i++) {
            prompt[i] = (i * 7 + id.hashCode()) & 0xff;
        }
        return state(id, prompt, SamplingParams.greedy());
    }
}
