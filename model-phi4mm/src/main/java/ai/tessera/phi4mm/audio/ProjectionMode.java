package ai.tessera.phi4mm.audio;

/**
 * Which of the two audio projections maps the encoder's output into the language model: {@code speech} for audio
 * alone, {@code vision} when the prompt also has images (transformers' {@code audio_projection_mode}; the checkpoint's
 * {@code audio_projection.speech} and {@code audio_projection.vision}).
 */
public enum ProjectionMode {
    SPEECH("speech"), VISION("vision");

    private final String checkpointName;

    ProjectionMode(String checkpointName) {
        this.checkpointName = checkpointName;
    }

    /** The module name under {@code audio_projection} in the checkpoint. */
    public String checkpointName() {
        return checkpointName;
    }
}
