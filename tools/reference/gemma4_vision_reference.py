#!/usr/bin/env python3
"""Reference outputs of Gemma 4's image path (processor, vision tower, embed_vision, text decoder with images).

The tiny E2B-style Gemma4ForConditionalGeneration of gemma4_reference.py gets a tiny vision tower (VISION_CONFIG)
and its weights from the same named PRNG (phi3_reference.py; Java twin NamedWeightPrng). Multiplicative tensors
initialised to ones get 1.0 added (gemma4_reference.py's rule plus the vision tower's std_scale).

Images are small deterministic patterns written as PNG by this script (pure Python, no Pillow needed to write
them) into the fixture folder; transformers reads them back with Pillow as its processor does.

Fixtures (gemma4_vision.json + gemma4_vision.bin, little-endian float32):
  processor  per (image, max_soft_tokens): resized size, soft tokens, sha256 of the real patches' float32 bytes,
             per-patch sums, the first patch, and the patch count after padding (positions are the raster grid).
  model      per prompt (one image, two images): token ids (placeholders expanded as Gemma4Processor does:
             <|image> + N x <|image|> + <image|>), embed_vision output per image, vision tower debug tensors,
             logits on a vocabulary subset at every position, top-5, and 64 greedy tokens with their logits.

With --bidirectional the same model gets text_config.use_bidirectional_attention "vision" (the larger
checkpoints' setting) and mm_token_type_ids (1 on the <|image|> tokens, as Gemma4Processor makes them), so each
image's tokens attend to each other both ways on the sliding layers; it writes gemma4_vision_bidi.* with the model
cases only (the processor does not change).

Usage: python3 tools/reference/gemma4_vision_reference.py --tokenizer DIR/tokenizer.json --out DIR [--bidirectional]
"""

import argparse
import copy
import hashlib
import json
import os
import random
import struct
import sys
import time
import zlib

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from phi3_reference import FloatBlob, prng_values, selftest  # noqa: E402
from gemma4_reference import GEMMA4_E2B  # noqa: E402

ONE_OFFSET_SUFFIXES = ("router.scale", "router.per_expert_scale", "layer_scalar", "std_scale")

VISION_CONFIG = {
    "model_type": "gemma4_vision",
    "attention_bias": False,
    "attention_dropout": 0.0,
    "default_output_length": 280,
    "head_dim": 16,
    "hidden_activation": "gelu_pytorch_tanh",
    "hidden_size": 32,
    "initializer_range": 0.02,
    "intermediate_size": 64,
    "max_position_embeddings": 131072,
    "num_attention_heads": 2,
    "num_hidden_layers": 2,
    "num_key_value_heads": 2,
    "patch_size": 16,
    "pooling_kernel_size": 3,
    "position_embedding_size": 64,
    "rms_norm_eps": 1e-06,
    "rope_parameters": {"rope_theta": 100.0, "rope_type": "default"},
    "standardize": True,
    "use_clipped_linears": False,
}

SHRUNK_BY = ("vision tower of google/gemma-4-E2B-it shrunk: hidden 768->32, intermediate 3072->64, layers 16->2, "
             "heads 12->2, head_dim 64->16, position_embedding_size 10240->64; standardize on (std_bias/std_scale "
             "from the PRNG, std_scale around 1) to exercise it; clipped linears off")

IMAGES = {
    # name: (width, height, pattern(x, y) -> (r, g, b))
    "gemma4_a.png": (56, 40, lambda x, y: ((x * 4 + y * 3) % 256, (x * y) % 256, 255 if (x // 8 + y // 8) % 2 else 40)),
    "gemma4_b.png": (100, 60, lambda x, y: ((200 - y * 3) % 256, (x * 2) % 256, ((x ^ y) * 3) % 256)),
    "gemma4_c.png": (720, 400, lambda x, y: (x * 255 // 719, y * 255 // 399, 220 if (x // 40 + y // 40) % 2 else 20)),
}
PROCESSOR_CASES = [("gemma4_a.png", 70), ("gemma4_b.png", 70), ("gemma4_a.png", 140), ("gemma4_c.png", 70),
                   ("gemma4_c.png", 280)]
MODEL_CASES = [
    {"text": ["Look:", " What is in the picture?"], "images": ["gemma4_a.png"]},
    {"text": ["First", " and second", " differ how?"], "images": ["gemma4_a.png", "gemma4_b.png"]},
]
MAX_SOFT_TOKENS = 70
BOS, BOI, IMAGE, EOI = 2, 255999, 258880, 258882
NEW_TOKENS = 64
SUBSET = 256
DECODE_SUBSET = 64


def weight_values(name, count):
    values = prng_values(name, count)
    if name.endswith(ONE_OFFSET_SUFFIXES):
        values = (values + np.float32(1.0)).astype(np.float32)
    return values


def write_png(path, width, height, pattern):
    """An 8-bit RGB PNG, filter 0 on every row: the same bytes on every machine."""
    raw = bytearray()
    for y in range(height):
        raw.append(0)
        for x in range(width):
            raw.extend(bytes(pattern(x, y)))

    def chunk(kind, data):
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    with open(path, "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(bytes(raw), 9))
                + chunk(b"IEND", b""))


def image_processor():
    try:
        from transformers.models.gemma4.image_processing_gemma4 import Gemma4ImageProcessor
    except ImportError as e:
        print(f"image_processing_gemma4.Gemma4ImageProcessor: {e}; using transformers.Gemma4ImageProcessor", flush=True)
        from transformers import Gemma4ImageProcessor

    return Gemma4ImageProcessor()


def load_image(out_dir, name):
    from PIL import Image

    return Image.open(os.path.join(out_dir, name))


def run_processor(out_dir, blob):
    processor = image_processor()
    cases = []
    for name, max_soft_tokens in PROCESSOR_CASES:
        result = processor(images=[load_image(out_dir, name)], max_soft_tokens=max_soft_tokens, return_tensors="pt")
        pixels = result["pixel_values"][0]
        positions = result["image_position_ids"][0]
        soft = int(result["num_soft_tokens_per_image"][0])
        real = int((positions[:, 0] >= 0).sum())
        grid_w = int(positions[:real, 0].max()) + 1
        grid_h = int(positions[:real, 1].max()) + 1
        expected = np.stack(np.meshgrid(np.arange(grid_w), np.arange(grid_h), indexing="xy"), -1).reshape(-1, 2)
        if not np.array_equal(positions[:real].numpy(), expected) or not bool((positions[real:] == -1).all()):
            raise AssertionError(f"{name}: positions are not the raster grid padded with -1")
        if bool((pixels[real:] != 0).any()):
            raise AssertionError(f"{name}: padding patches are not zero")
        real_pixels = pixels[:real].contiguous().numpy().astype("<f4")
        case = {
            "image": name, "max_soft_tokens": max_soft_tokens, "dtype": str(pixels.dtype),
            "resized_height": grid_h * 16, "resized_width": grid_w * 16, "num_soft_tokens": soft,
            "real_patches": real, "padded_patches": int(pixels.shape[0]), "patch_values": int(pixels.shape[1]),
            "sha256": hashlib.sha256(real_pixels.tobytes()).hexdigest(),
            "patch_sums": blob.add(real_pixels.astype(np.float64).sum(axis=1)),
            "first_patch": blob.add(real_pixels[0]),
            "last_patch": blob.add(real_pixels[real - 1]),
        }
        print(f"processor {name} max_soft_tokens {max_soft_tokens}: {grid_w * 16}x{grid_h * 16}, {real} patches, "
              f"{soft} soft tokens", flush=True)
        cases.append(case)
    return cases


def build_model(workdir, bidirectional=False):
    import torch
    import transformers
    from transformers import AutoConfig

    config_dict = copy.deepcopy(GEMMA4_E2B)
    config_dict["vision_config"] = copy.deepcopy(VISION_CONFIG)
    if bidirectional:
        config_dict["text_config"]["use_bidirectional_attention"] = "vision"
    folder = os.path.join(workdir, "gemma4_vision_bidi" if bidirectional else "gemma4_vision")
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, "config.json"), "w") as f:
        json.dump(config_dict, f, indent=2)
    config = AutoConfig.from_pretrained(folder)
    model = transformers.Gemma4ForConditionalGeneration._from_config(
        config, attn_implementation="eager", dtype=torch.float32).eval()
    if config.get_text_config().use_bidirectional_attention != ("vision" if bidirectional else None):
        raise AssertionError(f"use_bidirectional_attention is {config.get_text_config().use_bidirectional_attention}")
    shapes = {}
    with torch.no_grad():
        for pname, tensor in model.state_dict().items():
            if pname == "lm_head.weight":
                continue
            tensor.copy_(torch.from_numpy(weight_values(pname, tensor.numel()).reshape(tuple(tensor.shape))))
            shapes[pname] = list(tensor.shape)
    if model.lm_head.weight.data_ptr() != model.get_input_embeddings().weight.data_ptr():
        raise AssertionError("lm_head is not tied")
    print(f"model: {len(shapes)} tensors, vision {sorted(n for n in shapes if 'vision' in n)[:4]}...", flush=True)
    return model, config_dict, shapes


def first_tensor(value):
    """The tensor itself, or the first tensor of a tuple (the return types of some transformers helpers vary)."""
    while isinstance(value, (tuple, list)):
        print(f"note: {type(value).__name__} of {len(value)} where a tensor was expected; taking the first", flush=True)
        value = value[0]
    return value


def tokens(tokenizer, text):
    return tokenizer.encode(text, add_special_tokens=False).ids


def mm_token_type_ids(ids):
    """What Gemma4Processor(return_mm_token_type_ids=True) gives: 1 on <|image|>, 0 elsewhere."""
    import torch
    return torch.tensor([[1 if t == IMAGE else 0 for t in ids]])


def run_model(out_dir, workdir, tokenizer_json, blob, on_case, bidirectional=False):
    import torch
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(tokenizer_json)
    model, config_dict, shapes = build_model(workdir, bidirectional)

    def extra(ids):
        return {"mm_token_type_ids": mm_token_type_ids(ids)} if bidirectional else {}
    processor = image_processor()
    rng = random.Random(20260425)
    subset = sorted(rng.sample(range(262144), SUBSET))
    subset_t = torch.tensor(subset)
    vision = model.model.vision_tower
    entries = []
    for index, case in enumerate(MODEL_CASES):
        started = time.time()
        images = [load_image(out_dir, n) for n in case["images"]]
        processed = processor(images=images, max_soft_tokens=MAX_SOFT_TOKENS, return_tensors="pt")
        soft = [int(n) for n in processed["num_soft_tokens_per_image"]]
        ids = [BOS]
        offsets = []
        for i, text in enumerate(case["text"]):
            ids += tokens(tokenizer, text)
            if i < len(soft):
                ids.append(BOI)
                offsets.append(len(ids))
                ids += [IMAGE] * soft[i]
                ids.append(EOI)
        pixel_values = processed["pixel_values"]
        positions = processed["image_position_ids"]
        captured = {"patch_embeds": None, "layers": []}
        hooks = [vision.patch_embedder.register_forward_hook(
                     lambda m, a, o: captured.__setitem__("patch_embeds", o.clone()))]
        for layer in vision.encoder.layers:
            hooks.append(layer.register_forward_hook(
                lambda m, a, o: captured["layers"].append((o[0] if isinstance(o, tuple) else o).clone())))
        with torch.no_grad():
            tower = first_tensor(vision(pixel_values=pixel_values, pixel_position_ids=positions).last_hidden_state)
            embedded = first_tensor(model.model.embed_vision(inputs_embeds=tower))
        for h in hooks:
            h.remove()
        print(f"tower {tuple(tower.shape)}, embed_vision {tuple(embedded.shape)}", flush=True)
        if embedded.shape[0] != sum(soft):
            raise AssertionError(f"{embedded.shape[0]} image features for {sum(soft)} soft tokens")
        input_ids = torch.tensor([ids])
        with torch.no_grad():
            logits = model(input_ids=input_ids, pixel_values=pixel_values, image_position_ids=positions,
                           use_cache=False, **extra(ids)).logits[0].float()
        entry = {"text": case["text"], "images": case["images"], "num_soft_tokens": soft, "input_ids": ids,
                 "image_offsets": offsets}
        reals = [int((positions[i, :, 0] >= 0).sum()) for i in range(len(soft))]
        entry["real_patches"] = reals
        if not bidirectional:  # the tower does not change with the decoder's mask: its tensors are in gemma4_vision.*
            entry["patch_embeds"] = [blob.add(captured["patch_embeds"][i, :reals[i]].numpy())
                                     for i in range(len(soft))]
            entry["layer_out"] = [[blob.add(t[i, :reals[i]].numpy()) for i in range(len(soft))]
                                  for t in captured["layers"]]
            entry["tower_out"] = blob.add(tower.numpy())
            entry["image_features"] = blob.add(embedded.numpy())
        entry["prefill_subset"] = blob.add(logits[:, subset_t].numpy())
        values5, ids5 = torch.topk(logits, 5, dim=-1)
        entry["prefill_top5_ids"] = ids5.tolist()
        entry["prefill_top5_values"] = blob.add(values5.numpy())
        sequence = list(ids)
        steps = []
        with torch.no_grad():
            for _ in range(NEW_TOKENS):
                # the whole sequence again, so the image tokens keep their two-way attention (a KV cache would
                # hold what the prefill computed) and the new tokens are causal
                last = model(input_ids=torch.tensor([sequence]), pixel_values=pixel_values,
                             image_position_ids=positions, use_cache=False, logits_to_keep=1,
                             **extra(sequence)).logits[0, -1].float()
                steps.append(last)
                sequence.append(int(last.argmax()))
        steps = torch.stack(steps)
        top2 = torch.topk(steps, 2, dim=-1).values
        entry["greedy"] = sequence[len(ids):]
        entry["decode_subset"] = blob.add(steps[:, subset_t[:DECODE_SUBSET]].numpy())
        values5, ids5 = torch.topk(steps, 5, dim=-1)
        entry["decode_top5_ids"] = ids5.tolist()
        entry["decode_top5_values"] = blob.add(values5.numpy())
        entry["decode_min_margin"] = float((top2[:, 0] - top2[:, 1]).min())
        entries.append(entry)
        on_case(config_dict, shapes, subset, entries)
        print(f"model case {index}: {len(ids)} tokens, soft {soft}, greedy {entry['greedy'][:8]}..., min margin "
              f"{entry['decode_min_margin']:.3g}, {time.time() - started:.1f} s", flush=True)
    return config_dict, shapes, subset, entries


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", required=True)
    parser.add_argument("--tokenizer", required=True)
    parser.add_argument("--workdir", default="/tmp/gemma4_vision_reference")
    parser.add_argument("--images-only", action="store_true", help="write the PNGs and stop")
    parser.add_argument("--bidirectional", action="store_true",
                        help="use_bidirectional_attention 'vision': write gemma4_vision_bidi.* (model cases only)")
    args = parser.parse_args()
    os.makedirs(args.out, exist_ok=True)
    for name, (w, h, pattern) in IMAGES.items():
        write_png(os.path.join(args.out, name), w, h, pattern)
    if args.images_only:
        return 0
    selftest()
    import torch
    import transformers

    torch.set_grad_enabled(False)
    torch.manual_seed(0)
    blob = FloatBlob()
    name = "gemma4_vision_bidi" if args.bidirectional else "gemma4_vision"
    processor_cases = [] if args.bidirectional else run_processor(args.out, blob)
    blob.write(os.path.join(args.out, name + ".bin"))  # partial, in case the model part fails
    def write(config_dict, shapes, subset, entries):
        write_fixture(args.out, blob, processor_cases, config_dict, shapes, subset, entries, name)

    run_model(args.out, args.workdir, args.tokenizer, blob, write, args.bidirectional)
    print("done", flush=True)
    return 0


def write_fixture(out, blob, processor_cases, config_dict, shapes, subset, entries, name="gemma4_vision"):
    import torch
    import transformers

    fixture = {
        "config": name + ".config.json", "floats": name + ".bin",
        "transformers_version": transformers.__version__, "torch_version": torch.__version__,
        "attn_implementation": "eager", "shrunk_by": SHRUNK_BY, "image_processor": "Gemma4ImageProcessor (torchvision)",
        "prng_one_offset_suffixes": list(ONE_OFFSET_SUFFIXES), "parameters": shapes,
        "max_soft_tokens": MAX_SOFT_TOKENS, "vocab_subset": subset, "decode_subset_size": DECODE_SUBSET,
        "new_tokens": NEW_TOKENS, "processor": processor_cases, "prompts": entries,
    }
    with open(os.path.join(out, name + ".config.json"), "w") as f:
        json.dump(config_dict, f, indent=2)
        f.write("\n")
    with open(os.path.join(out, name + ".json"), "w") as f:
        json.dump(fixture, f, separators=(",", ":"))
    blob.write(os.path.join(out, name + ".bin"))


if __name__ == "__main__":
    sys.exit(main())
