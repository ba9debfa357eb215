package ai.tessera.nn;

import ai.tessera.api.Platform;
import org.bytedeco.pytorch.CompilationUnit;
import org.bytedeco.pytorch.Function;
import org.bytedeco.pytorch.IValue;
import org.bytedeco.pytorch.IValueVector;
import org.bytedeco.pytorch.QualifiedName;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

/**
 * The SwiGLU gate over a fused projection: the last dimension holds {@code [gate | up]}; the result is
 * {@code up * silu(gate)}, half as wide. Fusing gate and up into one matmul is how Phi-3 checkpoints store them.
 *
 * <p>The platform decides how it runs ({@link #forPlatform}): where {@link Platform#nativeCompile()} allows
 * runtime-compiled kernels it is a TorchScript function, whose executor fuses the silu and the product into one
 * kernel it compiles at run time (on CUDA; elsewhere the same ops run one after the other); otherwise, as on ROCm,
 * plain libtorch ops. Both compute the same values.
 */
public final class SiluAndMul {
    /** How the gate is computed. */
    public enum Implementation {
        /** Two libtorch ops, {@code silu} then the product. */
        PLAIN,
        /** One TorchScript function that the JIT may fuse into a runtime-compiled kernel. */
        FUSED
    }

    private static final String SCRIPT = """
            def silu_and_mul(x: Tensor) -> Tensor:
                d = x.size(-1) // 2
                return torch.silu(x[..., :d]) * x[..., d:]
            """;
    /**
     * Compiled once per class loader and held for the life of the class (TorchScript functions are thread-safe);
     * the unit owns the function, so both stay strongly reachable here.
     */
    private static CompilationUnit scriptUnit;
    private static volatile Function scripted;

    private final Implementation implementation;

    private SiluAndMul(Implementation implementation) {
        this.implementation = implementation;
    }

    /** The implementation {@code platform} allows: fused where it may compile native kernels, else plain. */
    public static SiluAndMul forPlatform(Platform platform) {
        return of(platform.nativeCompile() ? Implementation.FUSED : Implementation.PLAIN);
    }

    /**
     * The implementation for a multimodal encoder: fused only where the platform compiles native kernels and the
     * user asked for compiled encoders ({@link ai.tessera.api.ModelContext#compileMultimodalEncoders()}).
     */
    public static SiluAndMul forEncoder(ai.tessera.api.ModelContext context) {
        return context.compileMultimodalEncoders() ? forPlatform(context.platform()) : of(Implementation.PLAIN);
    }

    public static SiluAndMul of(Implementation implementation) {
        if (implementation == Implementation.FUSED) {
            scriptedFunction();
        }
        return new SiluAndMul(implementation);
    }

    public Implementation implementation() {
        return implementation;
    }

    /** {@code gateUp [..., 2d]} → {@code [..., d]}, by this instance's implementation. */
    public Tensor forward(Tensor gateUp) {
        if (implementation == Implementation.PLAIN) {
            return apply(gateUp);
        }
        checkEven(gateUp);
        return scriptedFunction().apply(new IValueVector(new IValue(gateUp))).toTensor();
    }

    /** {@code gateUp [..., 2d]} → {@code [..., d]} with plain ops. */
    public static Tensor apply(Tensor gateUp) {
        long last = gateUp.dim() - 1;
        long width = checkEven(gateUp);
        Tensor gate = gateUp.narrow(last, 0, width / 2);
        Tensor up = gateUp.narrow(last, width / 2, width / 2);
        return up.mul(torch.silu(gate));
    }

    private static long checkEven(Tensor gateUp) {
        long width = gateUp.size(gateUp.dim() - 1);
        if (width % 2 != 0) {
            throw new IllegalArgumentException("SiluAndMul needs an even last dimension [gate | up], got " + width);
        }
        return width;
    }

    private static Function scriptedFunction() {
        Function function = scripted;
        if (function == null) {
            synchronized (SiluAndMul.class) {
                function = scripted;
                if (function == null) {
                    CompilationUnit unit = torch.compile(SCRIPT);
                    // Kept past any PointerScope open now: the function lives as long as this class.
                    unit.retainReference();
                    scriptUnit = unit;
                    function = unit.get_function(new QualifiedName("silu_and_mul"));
                    scripted = function;
                }
            }
        }
        return function;
    }
}
