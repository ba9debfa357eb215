package ai.tessera.demo;

import java.nio.charset.StandardCharsets;

/**
 * Random weights that Python and Java draw identically, so that reference fixtures need no committed weights:
 * a splitmix64 stream seeded by FNV-1a 64 of the tensor's name, mapped to uniform floats in
 * {@code [-AMPLITUDE, AMPLITUDE)} (around 1 for RMSNorm weights). The specification and its Python twin are in
 * {@code tools/reference/phi3_reference.py}; change both together.
 */
public final class NamedWeightPrng {
    private static final long FNV_OFFSET = 0xCBF29CE484222325L;
    private static final long FNV_PRIME = 0x100000001B3L;
    private static final long GOLDEN_GAMMA = 0x9E3779B97F4A7C15L;
    private static final long MIX1 = 0xBF58476D1CE4E5B9L;
    private static final long MIX2 = 0x94D049BB133111EBL;
    private static final double AMPLITUDE = 0.05;

    private NamedWeightPrng() {
    }

    public static long fnv1a64(String name) {
        long hash = FNV_OFFSET;
        for (byte b : name.getBytes(StandardCharsets.UTF_8)) {
            hash ^= b & 0xFF;
            hash *= FNV_PRIME;
        }
        return hash;
    }

    /** The first {@code count} values of the tensor {@code name}. */
    public static float[] values(String name, int count) {
        double offset = name.endsWith("norm.weight") ? 1.0 : 0.0;
        long state = fnv1a64(name);
        float[] out = new float[count];
        for (int i = 0; i < count; i++) {
            state += GOLDEN_GAMMA;
            long z = state;
            z = (z ^ (z >>> 30)) * MIX1;
            z = (z ^ (z >>> 27)) * MIX2;
            z = z ^ (z >>> 31);
            out[i] = (float) (offset + ((((z >>> 40) / 16777216.0) - 0.5) * 2) * AMPLITUDE);
        }
        return out;
    }
}
