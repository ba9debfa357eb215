/**
 * Decoding of request media shared by the processors of every model bundle: images to RGB bytes as Pillow's
 * {@code convert("RGB")} gives them (what Hugging Face processors start from).
 */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("1.0.0")
package ai.tessera.media;
