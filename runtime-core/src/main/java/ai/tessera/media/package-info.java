/**
 * Decoding of request media shared by the processors of every model bundle: images to RGB bytes as Pillow's
 * {@code convert("RGB")} gives them (what Hugging Face processors start from), audio files to mono float PCM at the
 * feature extractor's rate (FFmpeg), videos (files through FFmpeg, or lists of frame images) to the RGB frames a
 * processor picks.
 */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("1.1.0")
package ai.tessera.media;
