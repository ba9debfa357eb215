#!/usr/bin/env python3
"""Transformers' side of Tessera's GPU checks, run on the GPU machine (torch + transformers, no network).

    gpu_check.py prepare --config CONFIG.json --out DIR
        writes DIR/config.json and DIR/model.safetensors (float32) with the named-PRNG weights that the parity
        fixtures use (tools/reference/phi3_reference.py), so Tessera loads the very same weights from DIR
    gpu_check.py greedy --model DIR --prompts PROMPTS.json --max-new N --out OUT.json
        greedy tokens of transformers in bfloat16 on CUDA (KV cache, no eos stop), per prompt
    gpu_check.py bench --config CONFIG.json --batch-sizes 1,8,32 --input-len 128 --output-len 64 --out OUT.json
        prefill and decode tokens/s of transformers in bfloat16 on CUDA with random weights (speed does not depend
        on the values), the same shapes that `tessera bench` measures. Vision-language configs run their language
        model: Qwen2.5-VL through AutoModelForImageTextToText, Phi4ForCausalLMV (whose composite transformers lacks)
        as the Phi3ForCausalLM it wraps, Phi4MMForCausalLM (original layout) as the Phi3ForCausalLM of its base decoder.
    gpu_check.py vision-bench --config CONFIG.json --image-size 1024x1024 --batch-sizes 1,8 --out OUT.json
        images/s of the vision encoder alone in bfloat16 on CUDA, random weights and pixels (Qwen2.5-VL's windowed
        ViT with its merger; SigLIP2 NaFlex for Phi4ForCausalLMV)
    gpu_check.py rows --config CONFIG.json --rows decode,serve,prefill,vision --out OUT.json [--input-len 512
            --output-len 256 --max-concurrency 1,8,64 --prefill-len 8192 --encoder-batch-sizes 1 --quick]
        transformers' side of `tessera bench --rows --compare-hf` (issue 10's table), bf16 on CUDA, random weights:
        decode: generate at batch 1, decode tokens/s and its fraction of the HBM roofline (weight bytes / bandwidth of
                a device-to-device copy measured here); prefill: one forward over --prefill-len tokens, tokens/s and
                its fraction of the bf16 matmul peak measured here; serve: output tokens/s of `generate` on a batch of
                N prompts (all of --input-len tokens, so no padding; min_new_tokens makes each produce --output-len)
                and of continuous batching `generate_batch` (N prompts at once; second call timed, the first warms
                up); vision: the encoder's images/s. Each row and level guards its own failure (an OOM is written as
                {"error": "..."} and the rest goes on); OUT.json is rewritten after every figure, so a run cut short
                keeps what it finished. Progress goes to stdout. --quick: one timed generate_batch call per level
                (no warm-up call) and one prefill run.
"""

import argparse
import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from phi3_reference import prng_values  # noqa: E402


def prepare(args):
    import torch
    from safetensors.torch import save_file
    from transformers import AutoConfig, AutoModelForCausalLM

    with open(args.config) as f:
        config_dict = json.load(f)
    os.makedirs(args.out, exist_ok=True)
    with open(os.path.join(args.out, "config.json"), "w") as f:
        json.dump(config_dict, f, indent=2)
    config = AutoConfig.from_pretrained(args.out)
    try:
        model = AutoModelForCausalLM.from_config(config, dtype=torch.float32)
    except ValueError:  # vision-language configs (Qwen2.5-VL): transformers' own names, which Tessera also reads
        from transformers import AutoModelForImageTextToText
        model = AutoModelForImageTextToText.from_config(config, dtype=torch.float32)
    tensors = {}
    tied = config_dict.get("tie_word_embeddings", False)
    # the state dict, not only the parameters: persistent buffers (Gemma 4's layer_scalar) are checkpoint tensors too
    for name, param in model.state_dict().items():
        if tied and name == "lm_head.weight":
            continue
        tensors[name] = torch.from_numpy(prng_values(name, param.numel()).reshape(tuple(param.shape)))
    save_file(tensors, os.path.join(args.out, "model.safetensors"), metadata={"format": "pt"})
    print(f"prepared {args.out}: {len(tensors)} tensors")


def greedy(args):
    import torch
    from transformers import AutoModelForCausalLM

    try:
        model = AutoModelForCausalLM.from_pretrained(args.model, dtype=torch.bfloat16)
    except ValueError:
        from transformers import AutoModelForImageTextToText
        model = AutoModelForImageTextToText.from_pretrained(args.model, dtype=torch.bfloat16)
    model = model.to("cuda").eval()
    with open(args.prompts) as f:
        prompts = json.load(f)
    results = []
    for ids in prompts:
        input_ids = torch.tensor([ids], device="cuda")
        with torch.no_grad():
            out = model.generate(input_ids, attention_mask=torch.ones_like(input_ids), do_sample=False,
                                 max_new_tokens=args.max_new, min_new_tokens=args.max_new, eos_token_id=None,
                                 pad_token_id=0)
        results.append(out[0, len(ids):].tolist())
    with open(args.out, "w") as f:
        json.dump({"device": torch.cuda.get_device_name(0), "dtype": "bfloat16", "tokens": results}, f)
    print(f"greedy: {len(results)} prompts -> {args.out}")


def language_model(config_dict):
    """The transformers model whose generate() matches what Tessera decodes for this config, random, bf16, CUDA."""
    import torch
    from transformers import AutoConfig, AutoModelForCausalLM, AutoModelForImageTextToText

    fields = {k: v for k, v in config_dict.items() if k not in ("architectures", "auto_map")}
    if config_dict.get("architectures", [""])[0] == "Phi4ForCausalLMV":
        fields = {k: v for k, v in fields.items() if not k.startswith("mm_") and k != "vision_config"}
        fields["model_type"] = "phi3"
    elif config_dict.get("architectures", [""])[0] == "Phi4MMForCausalLM":
        # text requests run the base Phi-3 decoder (no LoRA adapter): transformers' Phi3ForCausalLM of the same shapes
        towers = ("embd_layer", "audio_processor", "vision_lora", "speech_lora", "img_processor")
        fields = {k: v for k, v in fields.items() if k not in towers}
        fields["model_type"] = "phi3"
    config = AutoConfig.for_model(**fields)
    with torch.device("cuda"):  # random init on the GPU: minutes faster than on the CPU for billions of weights
        try:
            model = AutoModelForCausalLM.from_config(config, dtype=torch.bfloat16)
        except ValueError:
            model = AutoModelForImageTextToText.from_config(config, dtype=torch.bfloat16)
    return model.eval(), config


def bench(args):
    import torch

    model, config = language_model(json.load(open(args.config)))
    vocab = getattr(config, "vocab_size", None) or config.get_text_config().vocab_size
    rows = []
    for batch in [int(b) for b in args.batch_sizes.split(",")]:
        ids = torch.randint(0, vocab, (batch, args.input_len), device="cuda", generator=None)
        mask = torch.ones_like(ids)
        with torch.no_grad():
            model(ids, attention_mask=mask)  # warm-up
            torch.cuda.synchronize()
            t0 = time.perf_counter()
            model(ids, attention_mask=mask)
            torch.cuda.synchronize()
            prefill = time.perf_counter() - t0
            t0 = time.perf_counter()
            model.generate(ids, attention_mask=mask, do_sample=False, max_new_tokens=args.output_len,
                           min_new_tokens=args.output_len, eos_token_id=None, pad_token_id=0)
            torch.cuda.synchronize()
            total = time.perf_counter() - t0
        decode = max(total - prefill, 1e-9)
        rows.append({"batch": batch, "prefill_tokens_per_s": batch * args.input_len / prefill,
                     "decode_tokens_per_s": batch * (args.output_len - 1) / decode})
        print(json.dumps(rows[-1]))
    with open(args.out, "w") as f:
        json.dump({"device": torch.cuda.get_device_name(0), "rows": rows}, f, indent=1)


def vision_tower(config_dict, image_size):
    """The config's vision encoder in bf16 on CUDA with random weights, as run(n) over n random images of this size
    (Qwen2.5-VL's windowed ViT with its merger; SigLIP2 NaFlex for Phi4ForCausalLMV), and the patch grid."""
    import torch

    width, height = (int(v) for v in image_size.lower().split("x"))
    arch = config_dict.get("architectures", [""])[0]
    if arch.startswith("Qwen2_5_VL"):
        from transformers import AutoConfig
        from transformers.models.qwen2_5_vl.modeling_qwen2_5_vl import Qwen2_5_VisionTransformerPretrainedModel
        config = AutoConfig.for_model(**{k: v for k, v in config_dict.items() if k != "architectures"})
        with torch.device("cuda"):
            tower = Qwen2_5_VisionTransformerPretrainedModel._from_config(config.vision_config,
                                                                           dtype=torch.bfloat16).eval()
        vc = config.vision_config
        factor = vc.patch_size * vc.spatial_merge_size
        gh, gw = round(height / factor) * vc.spatial_merge_size, round(width / factor) * vc.spatial_merge_size
        patch_dim = vc.in_channels * vc.temporal_patch_size * vc.patch_size ** 2

        def run(n):
            pixels = torch.randn(n * gh * gw, patch_dim, device="cuda", dtype=torch.bfloat16)
            grid = torch.tensor([[1, gh, gw]] * n, device="cuda")
            return tower(pixels, grid_thw=grid)
    elif arch == "Phi4ForCausalLMV":
        from transformers import Siglip2VisionConfig, Siglip2VisionModel
        vc = Siglip2VisionConfig(**{k: v for k, v in config_dict["vision_config"].items() if k != "model_type"})
        with torch.device("cuda"):
            tower = Siglip2VisionModel._from_config(vc, dtype=torch.bfloat16).eval()
        # the patch grid NaFlex picks for this size under max_num_patches, keeping the aspect ratio
        budget = config_dict.get("max_num_patches", 256)
        scale = (budget * vc.patch_size ** 2 / (width * height)) ** 0.5
        gh, gw = max(1, int(height * scale // vc.patch_size)), max(1, int(width * scale // vc.patch_size))
        while gh * gw > budget:
            gh, gw = (gh - 1, gw) if gh >= gw else (gh, gw - 1)

        def run(n):
            pixels = torch.randn(n, gh * gw, 3 * vc.patch_size ** 2, device="cuda", dtype=torch.bfloat16)
            mask = torch.ones(n, gh * gw, device="cuda", dtype=torch.long)
            shapes = torch.tensor([[gh, gw]] * n, device="cuda")
            return tower(pixel_values=pixels, pixel_attention_mask=mask, spatial_shapes=shapes,
                         output_hidden_states=True)
    else:
        raise ValueError(f"the vision bench knows Qwen2.5-VL and Phi4ForCausalLMV, not {arch}")
    return run, [gh, gw]


def vision_bench(args):
    import torch

    try:
        run, grid = vision_tower(json.load(open(args.config)), args.image_size)
    except ValueError as e:
        raise SystemExit(str(e))
    rows = []
    for n in [int(b) for b in args.batch_sizes.split(",")]:
        with torch.no_grad():
            run(n)
            torch.cuda.synchronize()
            best = float("inf")
            for _ in range(3):
                t0 = time.perf_counter()
                run(n)
                torch.cuda.synchronize()
                best = min(best, time.perf_counter() - t0)
        rows.append({"images": n, "images_per_s": n / best, "grid": grid})
        print(json.dumps(rows[-1]))
    with open(args.out, "w") as f:
        json.dump({"device": torch.cuda.get_device_name(0), "rows": rows}, f, indent=1)


# Name fragments of the media towers and projectors (the same rule as Tessera's WeightCensus).
TOWER_MARKS = ("visual", "vision", "audio", "speech", "mm_projector", "multi_modal_projector", "embed_tokens_extend",
               "image_embed")


def weight_census(model):
    """Bytes one decode step reads and parameters each prefill token multiplies, as Tessera counts them: the language
    model's weights with lm_head (the embedding table only when tied to lm_head), no tower; prefill leaves out the
    embedding lookup and lm_head (computed for the last token only)."""
    named = dict(model.named_parameters())  # tied weights appear once, under the embedding's name
    lm_head = any(n.startswith("lm_head.") or ".lm_head." in n for n in named)
    decode_bytes = prefill_params = 0
    for name, p in named.items():
        if any(m in name for m in TOWER_MARKS):
            continue
        if name.startswith("lm_head.") or ".lm_head." in name:
            decode_bytes += p.numel() * p.element_size()
        elif "embed_tokens" in name:
            if not lm_head and name.endswith("embed_tokens.weight"):
                decode_bytes += p.numel() * p.element_size()
        else:
            decode_bytes += p.numel() * p.element_size()
            prefill_params += p.numel()
    return decode_bytes, prefill_params


def attention_flops(text_config, tokens):
    """4 * heads * head_dim FLOPs per causal query-key pair (QK^T and PV), per layer, windowed where the layer slides."""
    layers = text_config.num_hidden_layers
    heads = text_config.num_attention_heads
    head_dim = getattr(text_config, "head_dim", None) or text_config.hidden_size // heads
    window = getattr(text_config, "sliding_window", None)
    types = getattr(text_config, "layer_types", None) or ["full_attention"] * layers
    total = 0.0
    for kind in types[:layers]:
        w = window if (kind == "sliding_attention" and window) else None
        pairs = tokens * (tokens + 1) / 2 if not w or w >= tokens else w * (w + 1) / 2 + (tokens - w) * w
        total += 4.0 * heads * head_dim * pairs
    return total


def copy_bandwidth(nbytes, repeats=10):
    import torch
    src = torch.ones(nbytes, dtype=torch.uint8, device="cuda")
    dst = torch.empty_like(src)
    best = float("inf")
    for run in range(6):
        torch.cuda.synchronize()
        t0 = time.perf_counter()
        for _ in range(repeats):
            dst.copy_(src)
        torch.cuda.synchronize()
        if run:
            best = min(best, time.perf_counter() - t0)
    del src, dst
    torch.cuda.empty_cache()
    return 2.0 * nbytes * repeats / best


def matmul_peak(n, repeats=10):
    import torch
    a = torch.randn(n, n, device="cuda", dtype=torch.bfloat16)
    b = torch.randn(n, n, device="cuda", dtype=torch.bfloat16)
    best = float("inf")
    for run in range(6):
        torch.cuda.synchronize()
        t0 = time.perf_counter()
        for _ in range(repeats):
            c = a @ b
        torch.cuda.synchronize()
        if run:
            best = min(best, time.perf_counter() - t0)
    del a, b, c
    torch.cuda.empty_cache()
    return 2.0 * n ** 3 * repeats / best


def rows(args):
    import torch

    selected = set(args.rows.split(","))
    if "all" in selected:
        selected = {"decode", "serve", "prefill", "vision"}
    unknown = selected - {"decode", "serve", "prefill", "vision"}
    if unknown:
        raise SystemExit(f"--rows takes decode,serve,prefill,vision or all, got {sorted(unknown)}")
    levels = [int(c) for c in args.max_concurrency.split(",")]
    result = {"device": torch.cuda.get_device_name(0), "torch": torch.__version__, "rows": {},
              "settings": {k: v for k, v in vars(args).items() if k not in ("out", "cmd")}}
    try:
        import transformers
        result["transformers"] = transformers.__version__
    except ImportError as e:
        result["transformers"] = f"missing: {e}"
    started = time.perf_counter()

    def save():
        tmp = args.out + ".tmp"
        with open(tmp, "w") as f:
            json.dump(result, f, indent=1)
        os.replace(tmp, args.out)

    def log(message):
        print(f"[{time.perf_counter() - started:7.1f}s] {message}", flush=True)

    def guarded(what, measure):
        """Runs one measurement; an exception (out of memory included) becomes {"error": ...} and the rest goes on."""
        log(f"{what} ...")
        try:
            figures = measure()
        except Exception as e:  # noqa: BLE001 -- each row reports its own failure and the others still run
            reason = f"{type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''}"[:300]
            figures = {"error": reason}
            torch.cuda.empty_cache()
        log(f"{what}: {json.dumps(figures)}")
        return figures

    save()
    if "decode" in selected:
        peak = guarded(f"memory bandwidth: copy of {args.bandwidth_probe_bytes} bytes",
                       lambda: {"bytes_per_s": copy_bandwidth(args.bandwidth_probe_bytes)})
        if "bytes_per_s" in peak:
            result["bandwidth_bytes_per_s"] = peak["bytes_per_s"]
    if "prefill" in selected:
        peak = guarded(f"bf16 matmul peak: {args.matmul_probe_size}^3",
                       lambda: {"flops_per_s": matmul_peak(args.matmul_probe_size)})
        if "flops_per_s" in peak:
            result["matmul_flops_per_s"] = peak["flops_per_s"]
    save()

    text_rows = selected & {"decode", "serve", "prefill"}
    if text_rows:
        config_dict = json.load(open(args.config))
        try:
            log("building the language model from the config (bf16, random weights, on the GPU)")
            model, config = language_model(config_dict)
        except Exception as e:  # noqa: BLE001 -- the vision row may still run
            reason = f"{type(e).__name__}: {e}"[:300]
            for row in text_rows:
                result["rows"]["serve_generate" if row == "serve" else row] = {"error": reason}
                if row == "serve":
                    result["rows"]["serve_generate_batch"] = {"error": reason}
            save()
            model = None
        if model is not None:
            text_rows_on(model, config, selected, levels, args, result, guarded, save, log)
            del model
            import gc
            gc.collect()
            torch.cuda.empty_cache()
    if "vision" in selected:
        result["rows"]["vision"] = guarded("vision encoder", lambda: vision_rows(args))
        save()
    log("done")


def text_rows_on(model, config, selected, levels, args, result, guarded, save, log):
    import torch

    text_config = config.get_text_config() if hasattr(config, "get_text_config") else config
    vocab = text_config.vocab_size
    decode_bytes, prefill_params = weight_census(model)
    result["decode_weight_bytes"] = decode_bytes
    result["prefill_params"] = prefill_params
    log(f"weights read per decode step {decode_bytes / 1e9:.2f} GB, {prefill_params / 1e9:.3f} B params per prefill token")
    generator = torch.Generator(device="cuda").manual_seed(0)

    def prompts(n, length):
        return torch.randint(0, vocab, (n, length), device="cuda", generator=generator)

    def forward(ids):
        try:
            return model(ids, attention_mask=torch.ones_like(ids), logits_to_keep=1)
        except TypeError:  # a model without logits_to_keep
            return model(ids, attention_mask=torch.ones_like(ids))

    def generate(ids, new_tokens):
        return model.generate(ids, attention_mask=torch.ones_like(ids), do_sample=False, max_new_tokens=new_tokens,
                              min_new_tokens=new_tokens, eos_token_id=None, pad_token_id=0)

    def decode_row():
        ids = prompts(1, args.input_len)
        with torch.no_grad():
            forward(ids)  # warm-up
            generate(ids, 8)
            torch.cuda.synchronize()
            t0 = time.perf_counter()
            forward(ids)
            torch.cuda.synchronize()
            prefill = time.perf_counter() - t0
            t0 = time.perf_counter()
            out = generate(ids, args.output_len)
            torch.cuda.synchronize()
            total = time.perf_counter() - t0
        produced = out.shape[1] - args.input_len
        tokens_per_s = (produced - 1) / max(total - prefill, 1e-9)
        if "bandwidth_bytes_per_s" not in result:
            raise RuntimeError("the bandwidth probe failed (see above), so there is no roofline")
        roofline = result["bandwidth_bytes_per_s"] / decode_bytes
        return {"tokens_per_s": tokens_per_s, "roofline_fraction": tokens_per_s / roofline,
                "roofline_tokens_per_s": roofline, "output_tokens": produced}

    def prefill_row():
        ids = prompts(1, args.prefill_len)
        runs = 1 if args.quick else 2
        with torch.no_grad():
            forward(ids)  # warm-up
            best = float("inf")
            for _ in range(runs):
                torch.cuda.synchronize()
                t0 = time.perf_counter()
                forward(ids)
                torch.cuda.synchronize()
                best = min(best, time.perf_counter() - t0)
        if "matmul_flops_per_s" not in result:
            raise RuntimeError("the matmul probe failed (see above), so there is no peak")
        flops = 2.0 * prefill_params * args.prefill_len + attention_flops(text_config, args.prefill_len)
        return {"tokens_per_s": args.prefill_len / best, "seconds": best, "tflop": flops / 1e12,
                "peak_fraction": flops / best / result["matmul_flops_per_s"]}

    def generate_level(level):
        n = args.num_prompts or level
        produced = 0
        with torch.no_grad():
            torch.cuda.synchronize()
            t0 = time.perf_counter()
            for start in range(0, n, level):  # padded batches of `level` prompts (equal lengths: no padding needed)
                ids = prompts(min(level, n - start), args.input_len)
                out = generate(ids, args.output_len)
                produced += (out.shape[1] - args.input_len) * out.shape[0]
            torch.cuda.synchronize()
            seconds = time.perf_counter() - t0
        return {"output_tokens_per_s": produced / seconds, "seconds": seconds, "output_tokens": produced,
                "requests": n}

    def batch_level(level):
        import inspect
        from transformers import GenerationConfig

        n = args.num_prompts or level
        try:
            gen_config = GenerationConfig(max_new_tokens=args.output_len, do_sample=False, eos_token_id=-1,
                                          pad_token_id=0)
        except Exception:  # noqa: BLE001 -- a version that refuses -1: None makes the manager disable eos itself
            gen_config = GenerationConfig(max_new_tokens=args.output_len, do_sample=False, pad_token_id=0)
        accepted = inspect.signature(model.generate_batch).parameters
        extra = {k: v for k, v in {"progress_bar": False, "max_new_tokens": args.output_len}.items() if k in accepted}
        calls = 1 if args.quick else 2
        figures = {}
        for call in range(calls):  # the first call builds the paged cache and warms up; the last one is timed
            inputs = prompts(n, args.input_len).tolist()
            torch.cuda.synchronize()
            t0 = time.perf_counter()
            outputs = model.generate_batch(inputs=inputs, generation_config=gen_config, **extra)
            torch.cuda.synchronize()
            seconds = time.perf_counter() - t0
            produced = sum(len(o.generated_tokens) for o in outputs.values())
            figures = {"output_tokens_per_s": produced / seconds, "seconds": seconds, "output_tokens": produced,
                       "requests": n, "timed_call": call + 1}
            if call == 0 and calls > 1:
                figures_first = seconds
        if calls > 1:
            figures["first_call_seconds"] = figures_first
        if produced < n * args.output_len:
            figures["note"] = f"only {produced} of {n * args.output_len} tokens came back"
        return figures

    if "decode" in selected:
        result["rows"]["decode"] = guarded(f"decode, batch 1, {args.input_len} in / {args.output_len} out", decode_row)
        save()
    if "prefill" in selected:
        result["rows"]["prefill"] = guarded(f"prefill, one prompt of {args.prefill_len} tokens", prefill_row)
        save()
    if "serve" in selected:
        result["rows"]["serve_generate"] = {}
        for level in levels:
            result["rows"]["serve_generate"][str(level)] = guarded(f"generate, batch {level}",
                                                                    lambda: generate_level(level))
            save()
        # last: continuous batching switches the model to paged attention for good
        result["rows"]["serve_generate_batch"] = {}
        for level in levels:
            result["rows"]["serve_generate_batch"][str(level)] = guarded(f"generate_batch, {level} requests",
                                                                          lambda: batch_level(level))
            save()


def vision_rows(args):
    """images/s per image count, each count guarded on its own."""
    import torch

    run, grid = vision_tower(json.load(open(args.config)), args.image_size)
    figures = {}
    for n in [int(b) for b in args.encoder_batch_sizes.split(",")]:
        try:
            with torch.no_grad():
                run(n)
                torch.cuda.synchronize()
                best = float("inf")
                for _ in range(3):
                    t0 = time.perf_counter()
                    run(n)
                    torch.cuda.synchronize()
                    best = min(best, time.perf_counter() - t0)
            figures[str(n)] = {"images_per_s": n / best, "grid": grid}
        except Exception as e:  # noqa: BLE001 -- an OOM at 8 images must not lose the figure for 1
            figures[str(n)] = {"error": f"{type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''}"[:300]}
            torch.cuda.empty_cache()
    return figures


def main():
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest="cmd", required=True)
    a = sub.add_parser("prepare")
    a.add_argument("--config", required=True)
    a.add_argument("--out", required=True)
    b = sub.add_parser("greedy")
    b.add_argument("--model", required=True)
    b.add_argument("--prompts", required=True)
    b.add_argument("--max-new", type=int, default=32)
    b.add_argument("--out", required=True)
    c = sub.add_parser("bench")
    c.add_argument("--config", required=True)
    c.add_argument("--batch-sizes", default="1,8,32")
    c.add_argument("--input-len", type=int, default=128)
    c.add_argument("--output-len", type=int, default=64)
    c.add_argument("--out", required=True)
    r = sub.add_parser("rows")
    r.add_argument("--config", required=True)
    r.add_argument("--rows", default="all")
    r.add_argument("--input-len", type=int, default=512)
    r.add_argument("--output-len", type=int, default=256)
    r.add_argument("--max-concurrency", default="1,8,64")
    r.add_argument("--num-prompts", type=int, default=None)
    r.add_argument("--prefill-len", type=int, default=8192)
    r.add_argument("--encoder-batch-sizes", default="1")
    r.add_argument("--image-size", default="1024x1024")
    r.add_argument("--bandwidth-probe-bytes", type=int, default=2 << 30)
    r.add_argument("--matmul-probe-size", type=int, default=8192)
    r.add_argument("--quick", action="store_true")
    r.add_argument("--out", required=True)
    v = sub.add_parser("vision-bench")
    v.add_argument("--config", required=True)
    v.add_argument("--image-size", default="1024x1024")
    v.add_argument("--batch-sizes", default="1,8")
    v.add_argument("--out", required=True)
    args = p.parse_args()
    {"prepare": prepare, "greedy": greedy, "bench": bench, "vision-bench": vision_bench, "rows": rows}[args.cmd](args)


if __name__ == "__main__":
    main()
