package ai.tessera.core.weights;

import java.io.IOException;
import java.lang.ref.Reference;
import java.nio.ByteOrder;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

import ai.tessera.api.ModelLoadException;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.pytorch.BoolOptional;
import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.DeviceOptional;
import org.bytedeco.pytorch.LayoutOptional;
import org.bytedeco.pytorch.MemoryFormatOptional;
import org.bytedeco.pytorch.ScalarTypeOptional;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptions;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;

/**
 * One open safetensors file. Tensors are read by memory-mapping their bytes and copying them once into a tensor
 * on the target device, which then owns its memory (the mapping is released by the JVM later). A tensor is mapped
 * in pieces of at most {@link #DEFAULT_MAX_MAP_BYTES}, because one Java mapping cannot exceed 2 GiB while large
 * embeddings (e.g. 262k × 5376 in bf16) do.
 */
public final class SafetensorsFile implements AutoCloseable {
    static final long DEFAULT_MAX_MAP_BYTES = 1L << 30;

    private final Path path;
    private final FileChannel channel;
    private final SafetensorsHeader header;
    private final long maxMapBytes;

    private SafetensorsFile(Path path, FileChannel channel, SafetensorsHeader header, long maxMapBytes) {
        this.path = path;
        this.channel = channel;
        this.header = header;
        this.maxMapBytes = maxMapBytes;
    }

    /** Opens {@code path} and checks its header. */
    public static SafetensorsFile open(Path path) throws ModelLoadException {
        return open(path, DEFAULT_MAX_MAP_BYTES);
    }

    static SafetensorsFile open(Path path, long maxMapBytes) throws ModelLoadException {
        if (ByteOrder.nativeOrder() != ByteOrder.LITTLE_ENDIAN) {
            throw new ModelLoadException("Safetensors data is little-endian; this " + ByteOrder.nativeOrder()
                    + " machine is not supported");
        }
        FileChannel channel;
        try {
            channel = FileChannel.open(path, StandardOpenOption.READ);
        } catch (NoSuchFileException e) {
            throw new ModelLoadException("Safetensors file " + path + " does not exist");
        } catch (IOException e) {
            throw new ModelLoadException("Cannot open safetensors file " + path + ": " + e.getMessage(), e);
        }
        try {
            return new SafetensorsFile(path, channel, SafetensorsHeader.read(path, channel), maxMapBytes);
        } catch (IOException e) {
            closeQuietly(channel, e);
            throw new ModelLoadException("Cannot read safetensors file " + path + ": " + e.getMessage(), e);
        } catch (ModelLoadException | RuntimeException e) {
            closeQuietly(channel, e);
            throw e;
        }
    }

    public Path path() {
        return path;
    }

    public SafetensorsHeader header() {
        return header;
    }

    /**
     * The tensor of {@code entry}: floating-point data converted to {@code floatDtype}, integer and bool data in
     * their stored type, on {@code device}. The caller owns (and closes) the result.
     */
    public Tensor read(SafetensorsEntry entry, ScalarType floatDtype, Device device) throws ModelLoadException {
        if (entry.dtype().isFp8()) {
            throw new ModelLoadException("Tensor '" + entry.name() + "' in " + path + " is " + entry.dtype()
                    + ": fp8 weights are not supported yet");
        }
        ScalarType stored = entry.dtype().scalarType();
        // intern(): a ScalarType that came back from native code is a distinct object of the same constant
        ScalarType wanted = entry.dtype().isFloatingPoint() ? floatDtype.intern() : stored;
        Tensor tensor = allocate(entry.shape(), stored, device);
        try {
            copyBytes(entry, tensor);
            if (wanted == stored) {
                return tensor;
            }
            Tensor converted = tensor.to(wanted);
            tensor.close();
            return converted;
        } catch (IOException | RuntimeException e) {
            tensor.close();
            throw new ModelLoadException("Cannot read tensor '" + entry.name() + "' from " + path + ": "
                    + e.getMessage(), e);
        }
    }

    private static Tensor allocate(long[] shape, ScalarType dtype, Device device) {
        try (TemporaryPointers temps = new TemporaryPointers()) {
            return torch.empty(shape, temps.add(new ScalarTypeOptional(dtype)), temps.add(new LayoutOptional()),
                    temps.add(new DeviceOptional(device)), temps.add(new BoolOptional()),
                    temps.add(new MemoryFormatOptional()));
        }
    }

    /** Copies the entry's bytes from the file into {@code target} (contiguous, of the stored dtype). */
    private void copyBytes(SafetensorsEntry entry, Tensor target) throws IOException {
        long total = entry.byteLength();
        try (TemporaryPointers temps = new TemporaryPointers()) {
            Tensor bytes = temps.add(temps.add(target.view(-1)).view(ScalarType.Byte));
            TensorOptions byteOptions = temps.add(new TensorOptions(ScalarType.Byte));
            for (long done = 0; done < total; ) {
                long n = Math.min(maxMapBytes, total - done);
                MappedByteBuffer mapped = channel.map(FileChannel.MapMode.READ_ONLY,
                        header.dataStart() + entry.begin() + done, n);
                try (BytePointer pointer = new BytePointer(mapped);
                     Tensor source = torch.from_blob(pointer, new long[] {n}, byteOptions);
                     Tensor slice = bytes.narrow(0, done, n)) {
                    slice.copy_(source);
                } finally {
                    Reference.reachabilityFence(mapped);
                }
                done += n;
            }
        }
    }

    @Override
    public void close() {
        try {
            channel.close();
        } catch (IOException e) {
            throw new IllegalStateException("Cannot close " + path + ": " + e.getMessage(), e);
        }
    }

    private static void closeQuietly(FileChannel channel, Exception cause) {
        try {
            channel.close();
        } catch (IOException suppressed) {
            cause.addSuppressed(suppressed);
        }
    }

    @Override
    public String toString() {
        return path.toString();
    }
}
