#!/usr/bin/env python3
"""Reference outputs of a tiny random-weight Qwen2_5_VLForConditionalGeneration, computed by Hugging Face transformers.

Tessera's Qwen2.5-VL model (model-qwen25vl) is checked against these fixtures by its parity tests. The model keeps
the keys and values of the real Qwen/Qwen2.5-VL-7B-Instruct config.json (tools/device/qwen2.5-vl-7b.config.json:
vocabulary 152064, the real special-token ids, rope_theta 1e6, M-RoPE sections [16, 24, 24] over heads of 128,
vision heads of 80, patch 14, temporal patch 2, merge 2, window 112, tokens_per_second 2) with fewer layers and
narrower widths (SHRUNK_BY), so that transformers runs it in float32 on a CPU in seconds.

No weights are committed. Every parameter is drawn from the named PRNG of phi3_reference.py (the Java twin is
demo-model's NamedWeightPrng) by its name in the PUBLISHED checkpoints (visual.*, model.*, lm_head.*; transformers
5 names them model.visual.*, model.language_model.*, lm_head.*). Two deliberate additions, mirrored by the Java
test: the vision RMSNorm weights (names ending in norm1.weight, norm2.weight, ln_q.weight, which the PRNG does not
centre on one) get 1.0 added in float32, so that the vision tower carries signal; and pixel values are PRNG values
named "<input>.<case>.<item>" times 40 in float32 (about the range of normalised pixels). The image processor is
checked separately; here only the model is.

Cases: text only; one image (windows with an empty padded column); three images of different grids; one video of
three temporal patches. Token ids come from the real tokenizer (tokenizer.json of Qwen2.5-VL) on a chat-formatted
prompt, with each <|image_pad|> / <|video_pad|> expanded to t*h*w/4 tokens; mm_token_type_ids mark them (1 image,
2 video) as the processor does in transformers 5.

Recorded per case: input ids, the M-RoPE position ids [3, n] and rope delta as get_rope_index computes them, the
merged vision embeddings, prefill logits (a fixed vocabulary subset at every position, top-5 everywhere, the whole
row at the last position of one case), 64 greedy tokens from model.generate() (KV cache, rope delta) with a subset
and top-5 of every step's logits, and a check that recomputing the whole sequence at every step gives the same
tokens. Also the window index and cu_seqlens of the vision tower (transformers.vision_utils) for each case's grids.

Needs torch, transformers 5.17, tokenizers (no network). Usage:

    python3 tools/reference/qwen25vl_reference.py --tokenizer DIR/tokenizer.json --out DIR

The committed fixtures (model-qwen25vl/src/test/resources/fixtures/qwen25vl-model) came from transformers 5.17.0
and torch 2.11.0.
"""

import argparse
import copy
import json
import os
import random
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from phi3_reference import FloatBlob, prng_values, selftest  # noqa: E402  the shared named-weight PRNG

HERE = os.path.dirname(os.path.abspath(__file__))
REAL_CONFIG = os.path.join(HERE, "..", "device", "qwen2.5-vl-7b.config.json")
NAME = "qwen25vl_tiny"

VISION_NORM_SUFFIXES = ("norm1.weight", "norm2.weight", "ln_q.weight")
PIXEL_SCALE = np.float32(40.0)

SHRUNK_BY = ("text: hidden 3584->256, intermediate 18944->512, layers 28->2, heads 28/4->2/1 (head_dim 128 and "
             "mrope_section [16, 24, 24] as in the real model), max_window_layers 28->2; vision: depth 32->4, hidden "
             "1280->160, heads 16->2 (head_dim 80 as in the real model), intermediate 3420->432, out_hidden_size "
             "3584->256, fullatt_block_indexes [7, 15, 23, 31]->[1, 3]; everything else as in the real config")

NEW_TOKENS = 64
SUBSET = 256  # vocabulary ids whose logits are kept at every prompt position
DECODE_SUBSET = 64  # the first ids of that subset, kept at every generation step
FULL_LOGITS_CASE = "three_images"  # the case whose last-position logits are kept whole

SYSTEM = "<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n<|im_start|>user\n"
ASSISTANT = "<|im_end|>\n<|im_start|>assistant\n"
IMAGE = "<|vision_start|><|image_pad|><|vision_end|>"
VIDEO = "<|vision_start|><|video_pad|><|vision_end|>"

# name, user text, items as (modality, grid_thw); the grids are in patches of 14 px (t in temporal patches of 2)
CASES = [
    ("text_only", "Write a short poem about the sea.", []),
    ("one_image", IMAGE + "Describe this image.", [("image", (1, 12, 16))]),
    ("three_images", "Compare " + IMAGE + " with " + IMAGE + " and " + IMAGE + ".",
     [("image", (1, 8, 8)), ("image", (1, 10, 14)), ("image", (1, 6, 20))]),
    ("video", VIDEO + "What happens in this video?", [("video", (3, 8, 12))]),
]
SECOND_PER_GRID_T = 1.0  # temporal_patch_size 2 / 2 fps, the video processor's default


def tiny_config(real):
    config = copy.deepcopy(real)
    config.update({"hidden_size": 256, "intermediate_size": 512, "num_hidden_layers": 2, "num_attention_heads": 2,
                   "num_key_value_heads": 1, "max_window_layers": 2})
    config["vision_config"].update({"depth": 4, "hidden_size": 160, "num_heads": 2, "intermediate_size": 432,
                                    "out_hidden_size": 256, "fullatt_block_indexes": [1, 3]})
    return config


def published_name(hf_name):
    """transformers 5 parameter name -> the name in the published Qwen2.5-VL checkpoints."""
    if hf_name.startswith("model.visual."):
        return "visual." + hf_name[len("model.visual."):]
    if hf_name.startswith("model.language_model."):
        return "model." + hf_name[len("model.language_model."):]
    if hf_name == "lm_head.weight":
        return hf_name
    raise AssertionError(f"unexpected parameter {hf_name}")


def weight_values(name, count):
    values = prng_values(name, count)
    if name.startswith("visual.") and name.endswith(VISION_NORM_SUFFIXES):
        values = values + np.float32(1.0)  # float32 addition, as the Java test does
    return values


def pixel_values(input_name, case, item, rows, width):
    values = prng_values(f"{input_name}.{case}.{item}", rows * width) * PIXEL_SCALE
    assert values.dtype == np.float32
    return values.reshape(rows, width)


def build_model(config_dict, workdir):
    import torch
    from transformers import AutoConfig, Qwen2_5_VLForConditionalGeneration

    folder = os.path.join(workdir, NAME)
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, "config.json"), "w") as f:
        json.dump(config_dict, f, indent=2)
    config = AutoConfig.from_pretrained(folder)  # a local folder: no hub access
    model = Qwen2_5_VLForConditionalGeneration._from_config(config, attn_implementation="eager",
                                                             dtype=torch.float32).eval()
    for sub in (model.config, model.config.vision_config, model.config.text_config):
        if sub._attn_implementation != "eager":
            raise AssertionError(f"{type(sub).__name__} attention is {sub._attn_implementation}, eager expected")
    shapes = {}
    with torch.no_grad():
        for hf_name, param in model.named_parameters(remove_duplicate=False):
            name = published_name(hf_name)
            values = weight_values(name, param.numel()).reshape(tuple(param.shape))
            param.copy_(torch.from_numpy(values))
            shapes[name] = list(param.shape)
    for hf_name, param in model.named_parameters():
        if param.dtype != torch.float32:
            raise AssertionError(f"{hf_name} is {param.dtype}, float32 expected")
    return model, config, shapes


def tokenize(tokenizer, text, config):
    ids = tokenizer.encode(text, add_special_tokens=False).ids
    for token, key in [("<|vision_start|>", "vision_start_token_id"), ("<|vision_end|>", "vision_end_token_id"),
                       ("<|image_pad|>", "image_token_id"), ("<|video_pad|>", "video_token_id")]:
        if tokenizer.token_to_id(token) != config[key]:
            raise AssertionError(f"{token} is {tokenizer.token_to_id(token)} in the tokenizer, {config[key]} in the config")
    return ids


def expand(ids, items, config, merge):
    """Each pad token -> t*h*w/merge^2 copies, in item order; returns ids, mm_token_type_ids and item spans."""
    pads = {"image": config["image_token_id"], "video": config["video_token_id"]}
    out, types, spans = [], [], []
    pending = list(items)
    for token in ids:
        if pending and token == pads[pending[0][0]]:
            modality, (t, h, w) = pending.pop(0)
            count = t * h * w // (merge * merge)
            spans.append({"offset": len(out), "length": count})
            out += [token] * count
            types += [1 if modality == "image" else 2] * count
        else:
            if token in pads.values():
                raise AssertionError(f"pad token {token} without an item")
            out.append(token)
            types.append(0)
    if pending:
        raise AssertionError(f"{len(pending)} items without a pad token")
    return out, types, spans


def top5(logits):
    import torch

    values, ids = torch.topk(logits, 5, dim=-1)
    return ids.tolist(), values.numpy()


def run_case(model, config_dict, tokenizer, case, blob, subset_t, decode_subset_t):
    import torch
    from transformers import GenerationConfig
    from transformers.vision_utils import get_vision_cu_seqlens, get_vision_position_ids, get_vision_window_index

    name, text, items = case
    vision = config_dict["vision_config"]
    merge = vision["spatial_merge_size"]
    width = 3 * vision["temporal_patch_size"] * vision["patch_size"] ** 2
    ids, types, spans = expand(tokenize(tokenizer, SYSTEM + text + ASSISTANT, config_dict), items, config_dict, merge)
    n = len(ids)
    input_ids = torch.tensor([ids])
    mm_types = torch.tensor([types], dtype=torch.int32)
    attention_mask = torch.ones_like(input_ids)
    kwargs = {"input_ids": input_ids, "attention_mask": attention_mask, "mm_token_type_ids": mm_types}
    entry = {"name": name, "input_ids": ids, "items": []}
    grids = {"image": [], "video": []}
    pixels = {"image": [], "video": []}
    for index, ((modality, grid), span) in enumerate(zip(items, spans)):
        input_name = "pixel_values" if modality == "image" else "pixel_values_videos"
        rows = grid[0] * grid[1] * grid[2]
        pixels[modality].append(torch.from_numpy(pixel_values(input_name, name, index, rows, width)))
        grids[modality].append(list(grid))
        item = {"modality": modality, "grid_thw": list(grid), "pixel_name": f"{input_name}.{name}.{index}", **span}
        if modality == "video":
            item["second_per_grid_ts"] = SECOND_PER_GRID_T
        entry["items"].append(item)
    if pixels["image"]:
        kwargs["pixel_values"] = torch.cat(pixels["image"])
        kwargs["image_grid_thw"] = torch.tensor(grids["image"])
    if pixels["video"]:
        kwargs["pixel_values_videos"] = torch.cat(pixels["video"])
        kwargs["video_grid_thw"] = torch.tensor(grids["video"])
        kwargs["second_per_grid_ts"] = torch.tensor([SECOND_PER_GRID_T] * len(pixels["video"]))

    # Positions as transformers computes them for the prompt
    if items:
        positions, deltas = model.model.get_rope_index(
            input_ids, mm_token_type_ids=mm_types, image_grid_thw=kwargs.get("image_grid_thw"),
            video_grid_thw=kwargs.get("video_grid_thw"), second_per_grid_ts=kwargs.get("second_per_grid_ts"),
            attention_mask=attention_mask)
        positions = positions[:, 0, :]
        delta = int(deltas.reshape(-1)[0])
    else:
        positions = torch.arange(n).view(1, -1).expand(3, -1)
        delta = 0
    entry["positions"] = positions.tolist()
    entry["rope_delta"] = delta

    # Vision tower outputs, and its window bookkeeping; for one case also probes of its intermediate states
    # (patch embedding in patch order, then every block and the merger in window order) to locate a difference
    embeds = []
    entry["vision"] = {}
    captured = {}
    hooks = []
    if name == "one_image":
        visual = model.model.visual
        modules = [("patch_embed", visual.patch_embed)] + [(f"block{b}", blk) for b, blk in enumerate(visual.blocks)]
        modules.append(("merger", visual.merger))
        for key, module in modules:
            hooks.append(module.register_forward_hook(lambda m, i, o, key=key: captured.__setitem__(key, o)))
    for modality in ("image", "video"):
        if not pixels[modality]:
            continue
        grid_t = torch.tensor(grids[modality])
        if modality == "image":
            out = model.model.get_image_features(kwargs["pixel_values"], grid_t).pooler_output
        else:
            out = model.model.get_video_features(kwargs["pixel_values_videos"], grid_t).pooler_output
        for hook in hooks:
            hook.remove()
        hooks = []
        embeds += list(out)
        window_index, cu_window = get_vision_window_index(grid_t, spatial_merge_size=merge,
                                                          window_size=vision["window_size"],
                                                          patch_size=vision["patch_size"])
        entry["vision"][modality] = {
            "grid_thw": grids[modality],
            "window_index": window_index.tolist(),
            "cu_window_seqlens": cu_window.tolist(),
            "cu_seqlens": get_vision_cu_seqlens(grid_t).tolist(),
            "position_ids": get_vision_position_ids(grid_t, merge).tolist(),
        }
    if embeds:
        entry["embeddings"] = blob.add(torch.cat(embeds).numpy())
    if captured:
        entry["vision_probes"] = {key: {"rows": blob.add(value[:4, :8].numpy()), "sum": float(value.double().sum()),
                                        "abs_sum": float(value.double().abs().sum())}
                                  for key, value in captured.items()}

    # Prefill
    model.model.rope_deltas = None
    logits = model(**kwargs, use_cache=False).logits[0].float()
    model.model.rope_deltas = None
    explicit = model(**kwargs, position_ids=positions.unsqueeze(1).clone(), use_cache=False).logits[0].float()
    entry["explicit_positions_max_abs"] = float((explicit - logits).abs().max())
    if entry["explicit_positions_max_abs"] > 1e-6:
        raise AssertionError(f"{name}: the recorded positions are not those transformers used "
                             f"(max |delta logit| {entry['explicit_positions_max_abs']})")
    entry["prefill_subset"] = blob.add(logits[:, subset_t].numpy())
    ids5, values5 = top5(logits)
    entry["prefill_top5_ids"] = ids5
    entry["prefill_top5_values"] = blob.add(values5)
    if name == FULL_LOGITS_CASE:
        entry["last_logits"] = blob.add(logits[-1].numpy())

    # Greedy generation with the KV cache and the rope delta, as transformers generates
    gen_config = GenerationConfig(do_sample=False, num_beams=1, max_new_tokens=NEW_TOKENS, eos_token_id=None,
                                  pad_token_id=config_dict["bos_token_id"], use_cache=True)
    model.generation_config.eos_token_id = None
    model.model.rope_deltas = None
    out = model.generate(**kwargs, generation_config=gen_config, output_logits=True, return_dict_in_generate=True)
    greedy = out.sequences[0, n:].tolist()
    if len(greedy) != NEW_TOKENS:
        raise AssertionError(f"{name}: generate() gave {len(greedy)} tokens, {NEW_TOKENS} expected")
    step_logits = torch.cat([s.float() for s in out.logits], dim=0)
    entry["generate_first_step_vs_prefill_max_abs"] = float((step_logits[0] - logits[-1]).abs().max())
    entry["greedy"] = greedy
    entry["decode_subset"] = blob.add(step_logits[:, decode_subset_t].numpy())
    ids5, values5 = top5(step_logits)
    entry["decode_top5_ids"] = ids5
    entry["decode_top5_values"] = blob.add(values5)
    top2 = torch.topk(step_logits, 2, dim=-1).values
    entry["decode_min_margin"] = float((top2[:, 0] - top2[:, 1]).min())

    # The same tokens from the whole sequence recomputed at every step (the model's own semantics, no cache)
    sequence = list(ids)
    seq_types = list(types)
    recompute_max = 0.0
    first_difference = None
    for step in range(NEW_TOKENS):
        step_kwargs = dict(kwargs)
        step_kwargs["input_ids"] = torch.tensor([sequence])
        step_kwargs["attention_mask"] = torch.ones_like(step_kwargs["input_ids"])
        step_kwargs["mm_token_type_ids"] = torch.tensor([seq_types], dtype=torch.int32)
        model.model.rope_deltas = None
        last = model(**step_kwargs, use_cache=False, logits_to_keep=1).logits[0, -1].float()
        recompute_max = max(recompute_max, float((last - step_logits[step]).abs().max()))
        token = int(last.argmax())
        if token != greedy[step] and first_difference is None:
            first_difference = step
        sequence.append(greedy[step])  # follow generate()'s tokens so that later steps stay comparable
        seq_types.append(0)
    entry["recompute_first_difference"] = first_difference
    entry["recompute_vs_generate_max_abs"] = recompute_max
    return entry, (f"{name}: {n} tokens, {len(items)} items, rope delta {delta}, recompute == generate: "
                   f"{first_difference is None} (max |delta| {recompute_max:.3g}), first step vs prefill "
                   f"{entry['generate_first_step_vs_prefill_max_abs']:.3g}, min top-2 margin "
                   f"{entry['decode_min_margin']:.3g}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", required=True, help="folder for the fixtures")
    parser.add_argument("--tokenizer", required=True, help="tokenizer.json of Qwen2.5-VL")
    parser.add_argument("--real-config", default=REAL_CONFIG, help="the real Qwen2.5-VL-7B-Instruct config.json")
    parser.add_argument("--workdir", default="/tmp/qwen25vl_reference", help="scratch folder for config.json")
    args = parser.parse_args()
    selftest()
    import torch
    import transformers
    from tokenizers import Tokenizer

    torch.set_grad_enabled(False)
    torch.set_num_threads(min(16, os.cpu_count() or 1))
    os.makedirs(args.out, exist_ok=True)
    with open(args.real_config) as f:
        real = json.load(f)
    config_dict = tiny_config(real)
    tokenizer = Tokenizer.from_file(args.tokenizer)
    started = time.time()
    model, config, shapes = build_model(config_dict, args.workdir)
    print(f"model built in {time.time() - started:.1f} s", flush=True)

    vocab = config_dict["vocab_size"]
    rng = random.Random(20251125)
    subset = sorted(rng.sample(range(vocab), SUBSET))
    subset_t = torch.tensor(subset)
    rotary = model.model.language_model.rotary_emb
    vision_rotary = model.model.visual.rotary_pos_emb
    fixture = {
        "config": f"{NAME}.config.json",
        "floats": f"{NAME}.bin",
        "shrunk_by": SHRUNK_BY,
        "transformers_version": transformers.__version__,
        "torch_version": torch.__version__,
        "attn_implementation": "eager",
        "weight_names": "published checkpoint names (visual.*, model.*, lm_head.*)",
        "vision_norm_suffixes_plus_one": list(VISION_NORM_SUFFIXES),
        "pixel_scale": float(PIXEL_SCALE),
        "text_inv_freq": rotary.inv_freq.float().tolist(),
        "mrope_section": rotary.mrope_section,
        "vision_inv_freq": vision_rotary.inv_freq.float().tolist(),
        "parameters": shapes,
        "prng_check": {n: weight_values(n, 4).tolist()
                       for n in ["model.embed_tokens.weight", "visual.blocks.0.norm1.weight", "visual.merger.ln_q.weight"]},
        "vocab_subset": subset,
        "decode_subset_size": DECODE_SUBSET,
        "new_tokens": NEW_TOKENS,
        "cases": [],
    }
    with open(os.path.join(args.out, f"{NAME}.config.json"), "w") as f:
        json.dump(config_dict, f, indent=2)
        f.write("\n")
    blob = FloatBlob()
    lines = []
    for case in CASES:
        case_started = time.time()
        entry, line = run_case(model, config_dict, tokenizer, case, blob, subset_t, subset_t[:DECODE_SUBSET])
        fixture["cases"].append(entry)
        # written after every case, so that a run cut short still leaves what it computed
        with open(os.path.join(args.out, f"{NAME}.json"), "w") as f:
            json.dump(fixture, f, separators=(",", ":"))
        blob.write(os.path.join(args.out, f"{NAME}.bin"))
        lines.append(f"{line}; {time.time() - case_started:.1f} s")
        print(lines[-1], flush=True)
    print("\n".join(lines))
    failed = [e["name"] for e in fixture["cases"] if e["recompute_first_difference"] is not None]
    if failed:
        print("generate() and the recomputed greedy tokens differ for:", ", ".join(failed))
    print(f"total {time.time() - started:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
