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
        as the Phi3ForCausalLM it wraps.
    gpu_check.py vision-bench --config CONFIG.json --image-size 1024x1024 --batch-sizes 1,8 --out OUT.json
        images/s of the vision encoder alone in bfloat16 on CUDA, random weights and pixels (Qwen2.5-VL's windowed
        ViT with its merger; SigLIP2 NaFlex for Phi4ForCausalLMV)
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


def vision_bench(args):
    import torch

    config_dict = json.load(open(args.config))
    width, height = (int(v) for v in args.image_size.lower().split("x"))
    arch = config_dict.get("architectures", [""])[0]
    rows = []
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
        raise SystemExit(f"vision-bench knows Qwen2.5-VL and Phi4ForCausalLMV, not {arch}")
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
        rows.append({"images": n, "images_per_s": n / best, "grid": [gh, gw]})
        print(json.dumps(rows[-1]))
    with open(args.out, "w") as f:
        json.dump({"device": torch.cuda.get_device_name(0), "rows": rows}, f, indent=1)


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
    v = sub.add_parser("vision-bench")
    v.add_argument("--config", required=True)
    v.add_argument("--image-size", default="1024x1024")
    v.add_argument("--batch-sizes", default="1,8")
    v.add_argument("--out", required=True)
    args = p.parse_args()
    {"prepare": prepare, "greedy": greedy, "bench": bench, "vision-bench": vision_bench}[args.cmd](args)


if __name__ == "__main__":
    main()
