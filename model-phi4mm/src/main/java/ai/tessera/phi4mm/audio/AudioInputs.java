package ai.tessera.phi4mm.audio;

/** The names of an audio item's inputs. */
public final class AudioInputs {
    /** float32 {@code [frames, 80]}: transformers' {@code audio_input_features} of the clip. */
    public static final String FEATURES = "audio_input_features";
    /**
     * int64 {@code [1]}: the {@link ProjectionMode} ordinal, chosen per prompt (vision when it also has images), so
     * that items of different requests can be embedded together.
     */
    public static final String PROJECTION_MODE = "audio_projection_mode";

    private AudioInputs() {
    }
}
