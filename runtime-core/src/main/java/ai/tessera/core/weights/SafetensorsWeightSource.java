package ai.tessera.core.weights;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Predicate;
import java.util.stream.Collectors;

import ai.tessera.api.ModelLoadException;
import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch.ScalarType;

/**
 * Weights from a Hugging Face checkpoint: {@code model.safetensors}, or the shards named by
 * {@code model.safetensors.index.json}. All headers are read and checked when the source opens; tensor data is
 * read when the architecture asks for it, checked against the shape it expects, converted to the model dtype
 * (floating-point tensors only) and placed on the model's device. Safe to use from several threads.
 */
public final class SafetensorsWeightSource implements ModelWeights {
    public static final String SINGLE_FILE = "model.safetensors";

    private final List<SafetensorsFile> files;
    private final Map<String, Located> tensors;
    private final ScalarType dtype;
    private final Device device;
    private final LoadProgress.Factory progressFactory;
    private final Set<String> loaded = ConcurrentHashMap.newKeySet();
    private final AtomicLong loadedBytes = new AtomicLong();
    private final long totalBytes;
    private LoadProgress progress;
    private boolean progressOver;

    private record Located(SafetensorsFile file, SafetensorsEntry entry) {
    }

    private SafetensorsWeightSource(List<SafetensorsFile> files, Map<String, Located> tensors, ScalarType dtype,
                                    Device device, LoadProgress.Factory progressFactory) {
        this.files = List.copyOf(files);
        this.tensors = Collections.unmodifiableMap(tensors);
        this.dtype = dtype;
        this.device = device;
        this.progressFactory = progressFactory;
        this.totalBytes = tensors.values().stream().mapToLong(l -> l.entry().byteLength()).sum();
    }

    /** Whether {@code modelDir} holds a safetensors checkpoint this class can open. */
    public static boolean hasCheckpoint(Path modelDir) {
        return Files.isRegularFile(modelDir.resolve(ShardIndex.FILE_NAME))
                || Files.isRegularFile(modelDir.resolve(SINGLE_FILE));
    }

    /**
     * Opens the checkpoint in {@code modelDir}: the shard index when there is one, else {@code model.safetensors}.
     *
     * @param dtype the dtype floating-point weights are converted to
     */
    public static SafetensorsWeightSource open(Path modelDir, ScalarType dtype, Device device,
                                               LoadProgress.Factory progress) throws ModelLoadException {
        Path indexFile = modelDir.resolve(ShardIndex.FILE_NAME);
        if (Files.isRegularFile(indexFile)) {
            ShardIndex index = ShardIndex.read(indexFile);
            SafetensorsWeightSource source = open(new ArrayList<>(index.shardFiles()), dtype, device, progress);
            try {
                source.checkAgainst(index);
            } catch (ModelLoadException e) {
                source.close();
                throw e;
            }
            return source;
        }
        Path single = modelDir.resolve(SINGLE_FILE);
        if (Files.isRegularFile(single)) {
            return open(List.of(single), dtype, device, progress);
        }
        throw new ModelLoadException(WeightSources.noCheckpointMessage(modelDir));
    }

    /** Opens these safetensors files as one checkpoint; a tensor name may appear in only one of them. */
    public static SafetensorsWeightSource open(List<Path> paths, ScalarType dtype, Device device,
                                               LoadProgress.Factory progress) throws ModelLoadException {
        if (paths.isEmpty()) {
            throw new IllegalArgumentException("no safetensors files given");
        }
        List<SafetensorsFile> files = new ArrayList<>();
        try {
            Map<String, Located> tensors = new TreeMap<>();
            for (Path path : paths) {
                SafetensorsFile file = SafetensorsFile.open(path);
                files.add(file);
                for (SafetensorsEntry entry : file.header().entries().values()) {
                    Located earlier = tensors.putIfAbsent(entry.name(), new Located(file, entry));
                    if (earlier != null) {
                        throw new ModelLoadException("Tensor '" + entry.name() + "' is in both " + earlier.file()
                                + " and " + file + "; a checkpoint must hold each tensor once");
                    }
                }
            }
            return new SafetensorsWeightSource(files, tensors, dtype, device, progress);
        } catch (ModelLoadException | RuntimeException e) {
            files.forEach(SafetensorsFile::close);
            throw e;
        }
    }

    private void checkAgainst(ShardIndex index) throws ModelLoadException {
        for (Map.Entry<String, String> e : new TreeMap<>(index.weightMap()).entrySet()) {
            Located located = tensors.get(e.getKey());
            Path shard = index.file().toAbsolutePath().getParent().resolve(e.getValue()).normalize();
            if (located == null || !located.file().path().toAbsolutePath().normalize().equals(shard)) {
                throw new ModelLoadException("Shard index " + index.file() + " says tensor '" + e.getKey()
                        + "' is in " + e.getValue() + ", but "
                        + (located == null ? "no shard holds it" : "it is in " + located.file().path().getFileName()));
            }
        }
    }

    @Override
    public Tensor load(String name, long... shape) throws ModelLoadException {
        Located located = tensors.get(name);
        if (located == null) {
            throw new ModelLoadException("No tensor '" + name + "' in the checkpoint (searched " + searchedFiles() + ")"
                    + similarNames(name));
        }
        SafetensorsEntry entry = located.entry();
        if (!entry.hasShape(shape)) {
            throw new ModelLoadException("Tensor '" + name + "' in " + located.file() + " has shape "
                    + Arrays.toString(entry.shape()) + " but the architecture expects " + Arrays.toString(shape));
        }
        Tensor tensor = located.file().read(entry, dtype, device);
        if (loaded.add(name)) {
            reportLoaded(entry.byteLength());
        }
        return tensor;
    }

    /** The header entry of {@code name}, to look at its shape or dtype without loading it. */
    public Optional<SafetensorsEntry> entry(String name) {
        Located located = tensors.get(name);
        return located == null ? Optional.empty() : Optional.of(located.entry());
    }

    @Override
    public Set<String> names() {
        return tensors.keySet();
    }

    /** The files of the checkpoint, in the order they were opened. */
    public List<Path> files() {
        return files.stream().map(SafetensorsFile::path).collect(Collectors.toList());
    }

    /** The checkpoint's {@code __metadata__}, merged over all files. */
    public Map<String, String> metadata() {
        Map<String, String> merged = new TreeMap<>();
        files.forEach(f -> merged.putAll(f.header().metadata()));
        return merged;
    }

    @Override
    public List<String> unusedTensors(Predicate<String> ignored) {
        endProgress();
        return tensors.keySet().stream().filter(n -> !loaded.contains(n) && !ignored.test(n)).sorted()
                .collect(Collectors.toList());
    }

    @Override
    public void close() {
        endProgress();
        files.forEach(SafetensorsFile::close);
    }

    private void reportLoaded(long bytes) {
        long now = loadedBytes.addAndGet(bytes);
        synchronized (this) {
            if (progressOver) {
                return;
            }
            if (progress == null) {
                progress = progressFactory.start("Loading weights", totalBytes);
            }
            progress.advance(bytes);
            if (now >= totalBytes) {
                endProgress();
            }
        }
    }

    private synchronized void endProgress() {
        if (progress != null && !progressOver) {
            progress.close();
        }
        progressOver = true;
    }

    private String searchedFiles() {
        if (files.size() == 1) {
            return files.get(0).toString();
        }
        Path folder = files.get(0).path().toAbsolutePath().getParent();
        return files.size() + " files in " + folder + ": " + files.stream()
                .map(f -> f.path().getFileName().toString()).collect(Collectors.joining(", "));
    }

    /** Names ending in the same last components, which catches a wrong prefix (e.g. {@code model.language_model.}). */
    private String similarNames(String name) {
        String[] parts = name.split("\\.");
        String suffix = String.join(".", Arrays.copyOfRange(parts, Math.max(0, parts.length - 3), parts.length));
        List<String> similar = tensors.keySet().stream()
                .filter(n -> n.equals(suffix) || n.endsWith("." + suffix)).limit(3).collect(Collectors.toList());
        return similar.isEmpty() ? "" : "; similar names: " + String.join(", ", similar);
    }
}
