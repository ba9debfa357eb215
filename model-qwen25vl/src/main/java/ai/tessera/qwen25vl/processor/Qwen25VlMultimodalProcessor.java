package ai.tessera.qwen25vl.processor;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import ai.tessera.api.MediaProcessor;
import ai.tessera.api.ModelConfig;
import ai.tessera.api.ModelLoadException;
import ai.tessera.api.MultimodalProcessor;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Modified;

/**
 * The media processor of {@code Qwen2_5_VLForConditionalGeneration}: images and videos, as transformers'
 * {@code Qwen2_5_VLProcessor} prepares them. Its one setting, {@value #MAX_IMAGE_PIXELS} (configuration PID
 * {@value #PID}), bounds the pixels of every image and video frame before it is decoded (default 8192 × 8192).
 */
@Component(service = MultimodalProcessor.class, configurationPid = Qwen25VlMultimodalProcessor.PID,
        property = MultimodalProcessor.PROPERTY + "=Qwen2_5_VLForConditionalGeneration")
public class Qwen25VlMultimodalProcessor implements MultimodalProcessor {
    public static final String PID = "ai.tessera.qwen25vl.processor";
    public static final String MAX_IMAGE_PIXELS = "max.image.pixels";
    static final long DEFAULT_MAX_IMAGE_PIXELS = 8192L * 8192;

    private volatile long maxImagePixels = DEFAULT_MAX_IMAGE_PIXELS;

    public Qwen25VlMultimodalProcessor() {
    }

    Qwen25VlMultimodalProcessor(long maxImagePixels) {
        this.maxImagePixels = maxImagePixels;
    }

    @Activate
    @Modified
    void configure(Map<String, Object> properties) {
        Object v = properties.get(MAX_IMAGE_PIXELS);
        if (v == null) {
            maxImagePixels = DEFAULT_MAX_IMAGE_PIXELS;
            return;
        }
        long pixels;
        try {
            pixels = v instanceof Number n ? n.longValue() : Long.parseLong(v.toString().trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(PID + ": " + MAX_IMAGE_PIXELS + " must be a positive integer, got " + v, e);
        }
        if (pixels <= 0) {
            throw new IllegalArgumentException(PID + ": " + MAX_IMAGE_PIXELS + " must be a positive integer, got " + v);
        }
        maxImagePixels = pixels;
    }

    @Override
    public List<String> modalities() {
        return List.of("image", "video");
    }

    @Override
    public MediaProcessor forModel(ModelConfig config, Optional<Path> modelDirectory) throws ModelLoadException {
        return new Qwen25VlMediaProcessor(VisionTokens.from(config), VisionSettings.images(modelDirectory),
                VisionSettings.videos(modelDirectory), maxImagePixels);
    }
}
