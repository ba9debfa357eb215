package ai.tessera.phi4mm;

import java.util.LinkedHashMap;
import java.util.Map;

import ai.tessera.api.ForwardBatch;
import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptions;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;

/** For one step: per adapter, the int64 indices of the packed tokens that run with it, on the model's device. */
record AdapterRows(Map<String, Tensor> byAdapter) {

    static final AdapterRows NONE = new AdapterRows(Map.of());

    static AdapterRows of(ForwardBatch batch, Device device) {
        Map<String, long[]> tokens = batch.adapterTokens();
        if (tokens.isEmpty()) {
            return NONE;
        }
        Map<String, Tensor> rows = new LinkedHashMap<>();
        tokens.forEach((name, indices) -> {
            Tensor cpu = torch.tensor(indices, new TensorOptions(ScalarType.Long));
            rows.put(name, device.is_cpu() ? cpu : cpu.to(device, ScalarType.Long));
        });
        return new AdapterRows(rows);
    }
}
