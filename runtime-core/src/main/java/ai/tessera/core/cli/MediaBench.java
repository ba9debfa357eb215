package ai.tessera.core.cli;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;

import javax.imageio.ImageIO;

import ai.tessera.api.MediaInput;
import ai.tessera.api.MediaProcessor;
import ai.tessera.api.MultimodalPrompt;
import ai.tessera.core.engine.GenerationRequest;
import ai.tessera.core.engine.ThroughputBenchmark;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;

/**
 * The media side of {@code tessera bench}: prompts with synthetic images (random pixels, PNG) for the throughput
 * runs, and the images/s of the model's processor and vision encoder alone.
 */
final class MediaBench {
    private final MediaProcessor processor;
    private final TokenizerCodec codec;
    private final int width;
    private final int height;

    MediaBench(MediaProcessor processor, TokenizerCodec codec, int width, int height) {
        this.processor = processor;
        this.codec = codec;
        this.width = width;
        this.height = height;
    }

    /** Parses {@code WIDTHxHEIGHT}. */
    static int[] size(String text) {
        String[] parts = text.toLowerCase(java.util.Locale.ROOT).split("x");
        try {
            int w = Integer.parseInt(parts[0].trim());
            int h = Integer.parseInt(parts[1].trim());
            if (parts.length == 2 && w > 0 && h > 0) {
                return new int[] {w, h};
            }
        } catch (NumberFormatException | ArrayIndexOutOfBoundsException e) {
            // reported below
        }
        throw new IllegalArgumentException("--image-size must be WIDTHxHEIGHT, e.g. 1024x1024, got " + text);
    }

    /** {@code batch} requests, each with {@code images} images before {@code inputLen} random text tokens. */
    List<GenerationRequest> requests(int batch, int images, int inputLen, int vocab, int outputLen, Random random) {
        List<GenerationRequest> requests = new ArrayList<>();
        for (int i = 0; i < batch; i++) {
            requests.add(GenerationRequest.of("bench-" + i + "-" + random.nextInt(), prompt(images, inputLen, vocab, random),
                    ThroughputBenchmark.sampling(outputLen)));
        }
        return requests;
    }

    private MultimodalPrompt prompt(int images, int inputLen, int vocab, Random random) {
        return prompt(images(images, random), inputLen, vocab, random);
    }

    private List<MediaInput> images(int images, Random random) {
        List<MediaInput> media = new ArrayList<>();
        for (int i = 1; i <= images; i++) {
            media.add(MediaInput.of("image", noisePng(random.nextLong()), "image/png", "bench image " + i));
        }
        return media;
    }

    private MultimodalPrompt prompt(List<MediaInput> media, int inputLen, int vocab, Random random) {
        StringBuilder text = new StringBuilder();
        for (int i = 1; i <= media.size(); i++) {
            text.append(processor.placeholderText("image", i));
        }
        int[] head = codec.encode(text.toString(), false);
        int[] ids = new int[head.length + inputLen];
        System.arraycopy(head, 0, ids, 0, head.length);
        for (int t = head.length; t < ids.length; t++) {
            ids[t] = random.nextInt(vocab);
        }
        return processor.process(ids, media, Map.of());
    }

    private byte[] noisePng(long seed) {
        Random random = new Random(seed);
        BufferedImage image = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < height; y++) {
            for (int x = 0; x < width; x++) {
                image.setRGB(x, y, random.nextInt(1 << 24));
            }
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try {
            ImageIO.write(image, "png", out);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    /**
     * Images/s of the processor (CPU: decode, resize, patches) and of the encoder (the model's
     * {@code embedMultimodal} with the result copied to the host, so device work is included), per batch size;
     * the best of {@code repeats} runs after one untimed run.
     */
    java.util.Map<Integer, Double> encoderRows(ai.tessera.api.LoadedModel model, int[] batchSizes, int repeats,
                                               PrintWriter out) {
        java.util.Map<Integer, Double> imagesPerSecond = new java.util.LinkedHashMap<>();
        out.printf("vision encoder, %dx%d images%n%6s  %20s  %18s  %8s%n", width, height, "images",
                "processor images/s", "encoder images/s", "tokens");
        Random random = new Random(1);
        for (int batch : batchSizes) {
            double bestProcess = Double.MAX_VALUE;
            double bestEncode = Double.MAX_VALUE;
            long tokens = 0;
            for (int run = 0; run <= repeats; run++) {
                List<MediaInput> media = images(batch, random);
                long t0 = System.nanoTime();
                try (MultimodalPrompt prompt = prompt(media, 1, 1000, random); PointerScope scope = new PointerScope()) {
                    long t1 = System.nanoTime();
                    List<Tensor> embeddings = model.embedMultimodal(prompt.items());
                    for (Tensor e : embeddings) {
                        e.sum().to(new org.bytedeco.pytorch.Device("cpu"), e.scalar_type()).close();
                    }
                    long t2 = System.nanoTime();
                    tokens = prompt.items().stream().mapToLong(ai.tessera.api.MultimodalItem::length).sum();
                    if (run > 0) {
                        bestProcess = Math.min(bestProcess, (t1 - t0) / 1e9);
                        bestEncode = Math.min(bestEncode, (t2 - t1) / 1e9);
                    }
                    embeddings.forEach(Tensor::close);
                }
            }
            out.printf("%6d  %20.2f  %18.2f  %8d%n", batch, batch / bestProcess, batch / bestEncode, tokens);
            out.flush();
            imagesPerSecond.put(batch, batch / bestEncode);
        }
        return imagesPerSecond;
    }
}
