package ai.tessera.platform.cuda;

import org.bytedeco.cuda.cudart.CUfunc_st;
import org.bytedeco.cuda.cudart.CUmod_st;
import org.bytedeco.cuda.cudart.CUstream_st;
import org.bytedeco.cuda.nvrtc._nvrtcProgram;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.javacpp.PointerPointer;
import org.bytedeco.javacpp.SizeTPointer;

import static org.bytedeco.cuda.global.cudart.CUDA_SUCCESS;
import static org.bytedeco.cuda.global.cudart.cuGetErrorString;
import static org.bytedeco.cuda.global.cudart.cuLaunchKernel;
import static org.bytedeco.cuda.global.cudart.cuModuleGetFunction;
import static org.bytedeco.cuda.global.cudart.cuModuleLoadData;
import static org.bytedeco.cuda.global.cudart.cudaDevAttrComputeCapabilityMajor;
import static org.bytedeco.cuda.global.cudart.cudaDevAttrComputeCapabilityMinor;
import static org.bytedeco.cuda.global.cudart.cudaDevAttrMultiProcessorCount;
import static org.bytedeco.cuda.global.cudart.cudaDeviceGetAttribute;
import static org.bytedeco.cuda.global.cudart.cudaFree;
import static org.bytedeco.cuda.global.cudart.cudaGetErrorString;
import static org.bytedeco.cuda.global.nvrtc.NVRTC_SUCCESS;
import static org.bytedeco.cuda.global.nvrtc.nvrtcCompileProgram;
import static org.bytedeco.cuda.global.nvrtc.nvrtcCreateProgram;
import static org.bytedeco.cuda.global.nvrtc.nvrtcDestroyProgram;
import static org.bytedeco.cuda.global.nvrtc.nvrtcGetCUBIN;
import static org.bytedeco.cuda.global.nvrtc.nvrtcGetCUBINSize;
import static org.bytedeco.cuda.global.nvrtc.nvrtcGetErrorString;
import static org.bytedeco.cuda.global.nvrtc.nvrtcGetProgramLog;
import static org.bytedeco.cuda.global.nvrtc.nvrtcGetProgramLogSize;

/**
 * CUDA C compiled at run time by NVRTC for this device's architecture and loaded through the driver API: the
 * kernels that platform-cuda owns. Loaded into the device's primary context, the one libtorch uses.
 */
final class CudaModule {
    private final CUmod_st module;

    private CudaModule(CUmod_st module) {
        this.module = module;
    }

    /** The device's multiprocessor count and compute capability (major, minor). */
    record DeviceInfo(int multiprocessors, int major, int minor) {
        static DeviceInfo of(int device) {
            runtime(cudaFree(null), "cudaFree(NULL) (context initialisation)");
            int[] v = new int[1];
            runtime(cudaDeviceGetAttribute(v, cudaDevAttrMultiProcessorCount, device), "cudaDeviceGetAttribute");
            int sms = v[0];
            runtime(cudaDeviceGetAttribute(v, cudaDevAttrComputeCapabilityMajor, device), "cudaDeviceGetAttribute");
            int major = v[0];
            runtime(cudaDeviceGetAttribute(v, cudaDevAttrComputeCapabilityMinor, device), "cudaDeviceGetAttribute");
            return new DeviceInfo(sms, major, v[0]);
        }
    }

    /** Compiles {@code source} to a cubin for {@code device} and loads it. */
    static CudaModule compile(String name, String source, DeviceInfo device) {
        _nvrtcProgram program = new _nvrtcProgram();
        nvrtc(nvrtcCreateProgram(program, new BytePointer(source), new BytePointer(name + ".cu"), 0,
                (PointerPointer<?>) null, (PointerPointer<?>) null), "nvrtcCreateProgram");
        try {
            String[] options = {"--gpu-architecture=sm_" + device.major() + device.minor(), "--std=c++17"};
            int result = nvrtcCompileProgram(program, options.length, new PointerPointer<>(options));
            if (result != NVRTC_SUCCESS) {
                throw new IllegalStateException("NVRTC could not compile " + name + " for sm_" + device.major()
                        + device.minor() + ": " + nvrtcGetErrorString(result).getString() + "\n" + log(program));
            }
            SizeTPointer size = new SizeTPointer(1);
            nvrtc(nvrtcGetCUBINSize(program, size), "nvrtcGetCUBINSize");
            BytePointer cubin = new BytePointer(size.get());
            nvrtc(nvrtcGetCUBIN(program, cubin), "nvrtcGetCUBIN");
            CUmod_st module = new CUmod_st();
            driver(cuModuleLoadData(module, cubin), "cuModuleLoadData(" + name + ")");
            return new CudaModule(module);
        } finally {
            nvrtcDestroyProgram(program);
        }
    }

    CUfunc_st function(String name) {
        CUfunc_st function = new CUfunc_st();
        driver(cuModuleGetFunction(function, module, name), "cuModuleGetFunction(" + name + ")");
        return function;
    }

    /**
     * Launches {@code function} on {@code stream}.
     *
     * @param arguments one pointer per kernel parameter, each to memory holding that parameter's value
     */
    static void launch(CUfunc_st function, int[] grid, int threads, CUstream_st stream, Pointer... arguments) {
        driver(cuLaunchKernel(function, grid[0], grid[1], grid[2], threads, 1, 1, 0, stream,
                new PointerPointer<>(arguments), (PointerPointer<?>) null), "cuLaunchKernel");
    }

    private static String log(_nvrtcProgram program) {
        SizeTPointer size = new SizeTPointer(1);
        if (nvrtcGetProgramLogSize(program, size) != NVRTC_SUCCESS || size.get() <= 1) {
            return "(no compiler log)";
        }
        BytePointer log = new BytePointer(size.get());
        nvrtcGetProgramLog(program, log);
        return log.getString();
    }

    private static void nvrtc(int result, String call) {
        if (result != NVRTC_SUCCESS) {
            throw new IllegalStateException(call + " failed: " + nvrtcGetErrorString(result).getString());
        }
    }

    static void driver(int result, String call) {
        if (result != CUDA_SUCCESS) {
            PointerPointer<?> text = new PointerPointer<>(1);
            String why = cuGetErrorString(result, text) == CUDA_SUCCESS && text.get(0) != null
                    ? text.getString(0) : "CUresult " + result;
            throw new IllegalStateException(call + " failed: " + why);
        }
    }

    static void runtime(int result, String call) {
        if (result != 0) {
            throw new IllegalStateException(call + " failed: " + cudaGetErrorString(result).getString());
        }
    }
}
