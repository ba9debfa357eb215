#!/usr/bin/env python3
"""Transformers' side of Tessera's GPU checks, run on the GPU machine (torch + transformers, no network).

    gpu_check.py prepare --config CONFIG.json --out DIR
        writes DIR/config.json and DIR/model.safetensors (float32) with the named-PRNG weights that the parity
        fixtures use (tools/reference/phi3_reference.py), so Tessera loads the very same weights from DIR
    gpu_check.py greedy --model DIR --prompts PROMPTS.json --max-new N --out OUT.json
        greedy tokens of transformers in bfloat16 on CUDA (KV cache, no eos stop), per prompt
    gpu_check.py bench --config CONFIG.json --batch-sizes 1,8,32 --input-len 128 --output-len 64 --out OUT.json
        prefill and decode tokens/s of transformers in bfloat16 on CUDA with random weights (speed does not depend
        on the values), the same shapes that `tessera bench` measures
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
    model = AutoModelForCausalLM.from_config(config, dtype=torch.float32)
    tensors = {}
    tied = config_dict.get("tie_word_embeddings", False)
    for name, param in model.named_parameters(remove_duplicate=False):
        if tied and name == "lm_head.weight":
            continue
        tensors[name] = torch.from_numpy(prng_values(name, param.numel()).reshape(tuple(param.shape)))
    save_file(tensors, os.path.join(args.out, "model.safetensors"), metadata={"format": "pt"})
    print(f"prepared {args.out}: {len(tensors)} tensors")


def greedy(args):
    import torch
    from transformers import AutoModelForCausalLM

    model = AutoModelForCausalLM.from_pretrained(args.model, dtype=torch.bfloat16).to("cuda").eval()
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


def bench(args):
    import torch
    from transformers import AutoConfig, AutoModelForCausalLM

    config = AutoConfig.for_model(**{k: v for k, v in json.load(open(args.config)).items() if k != "architectures"})
    with torch.device("cuda"):  # random init on the GPU: minutes faster than on the CPU for billions of weights
        model = AutoModelForCausalLM.from_config(config, dtype=torch.bfloat16).eval()
    vocab = config.vocab_size
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
    args = p.parse_args()
    {"prepare": prepare, "greedy": greedy, "bench": bench}[args.cmd](args)


if __name__ == "__main__":
    main()
