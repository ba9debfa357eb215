#!/usr/bin/env python3
"""Reference outputs of a tiny random-weight Phi4ForCausalLMV (microsoft/Phi-4-reasoning-vision-15B), computed by
Hugging Face transformers.

transformers has no Phi4ForCausalLMV: the checkpoint ships it as remote code (modeling_phi4_visionr.py), which vLLM
reimplemented in PR #38306. This script builds the same composite from transformers' own parts, following that code:

  images   -> Siglip2ImageProcessorNoUpscale's resize budget (the image's own patch count clamped to
              [min_num_patches, max_num_patches]) fed to transformers' SigLIP2 image processor as max_num_patches,
              then padded to max_num_patches (what NoUpscale does); PIL backend (the checkpoint's processor
              subclasses the PIL one), the torchvision backend recorded for comparison
  tower    -> transformers' Siglip2VisionModel (padded batch + pixel_attention_mask), hidden_states[-2]
              (the output of the last-but-one layer, before post_layernorm), padding rows dropped
  projector-> plain torch: Linear(mm_hidden, hidden), GELU, Linear(hidden, hidden)  ("mlp2x_gelu")
  language -> transformers' Phi3ForCausalLM fed with inputs_embeds, the image rows replacing the placeholder tokens

Weight names are the checkpoint's (model.vision_tower.vision_tower.vision_model.*, model.mm_projector.{0,2}.*,
model.layers.*, lm_head.*); every value comes from the named PRNG of phi3_reference.py (Java twin NamedWeightPrng).

Needs torch, transformers, Pillow and the Phi-4 tokenizer folder (tools/fetch-tokenizers.sh lays it out as
~/.cache/tessera/tokenizers/phi4). Usage:

    python3 tools/reference/phi4v_reference.py --tokenizer DIR --out DIR

Writes phi4v_tiny.config.json, phi4v.json (token ids, shapes, layout of the floats), phi4v.bin (little-endian
float32) and images/*.png (the test images, generated here) into --out.
"""

import argparse
import json
import math
import os
import random
import sys
import time
import traceback

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from phi3_reference import FloatBlob, prng_values, selftest  # noqa: E402  (the same PRNG; change both together)

IMAGE_TOKEN_ID = 100256  # <|dummy_0|>: vLLM's placeholder id for this model (phi4siglip.py, _IMAGE_TOKEN_ID)
VISION_PREFIX = "model.vision_tower.vision_tower."
PROJECTOR_PREFIX = "model.mm_projector."
NEW_TOKENS = 64
SUBSET = 256        # vocabulary ids whose logits are kept at every prompt position
DECODE_SUBSET = 64  # the first ids of that subset, kept at every generation step

# The real config.json's keys (tools/device/phi4-reasoning-vision-15b.config.json), shrunk; see SHRUNK_BY.
TINY = {
    "architectures": ["Phi4ForCausalLMV"],
    "model_type": "phi4-siglip",
    "attention_bias": False,
    "attention_dropout": 0.0,
    "bos_token_id": 100257,
    "eos_token_id": 100265,
    "pad_token_id": 100349,
    "embd_pdrop": 0.0,
    "resid_pdrop": 0.0,
    "hidden_act": "silu",
    "hidden_size": 128,
    "initializer_range": 0.02,
    "intermediate_size": 448,
    "max_position_embeddings": 32768,
    "original_max_position_embeddings": 32768,
    "num_attention_heads": 4,
    "num_hidden_layers": 2,
    "num_key_value_heads": 1,
    "rms_norm_eps": 1e-05,
    "rope_scaling": None,
    "rope_theta": 500000.0,
    "sliding_window": None,
    "tie_word_embeddings": False,
    "torch_dtype": "bfloat16",
    "use_cache": True,
    "vocab_size": 100352,
    "mm_vision_tower": "google/siglip2-so400m-patch16-naflex",
    "mm_projector_type": "mlp2x_gelu",
    "mm_hidden_size": 64,
    "min_num_patches": 16,
    "max_num_patches": 64,
    "vision_config": {
        "model_type": "siglip2_vision_model",
        "hidden_size": 64,
        "intermediate_size": 240,
        "num_hidden_layers": 3,
        "num_attention_heads": 4,
        "num_channels": 3,
        "num_patches": 256,
        "patch_size": 16,
        "hidden_act": "gelu_pytorch_tanh",
        "layer_norm_eps": 1e-06,
        "attention_dropout": 0.0,
    },
}

SHRUNK_BY = ("hidden 5120->128, intermediate 17920->448, layers 40->2, heads 40/10->4/1 (head_dim 32); vision "
             "hidden 1152->64 (mm_hidden_size with it), intermediate 4304->240, layers 27->3 (features from layer 2, "
             "hidden_states[-2]), heads 16->4; patch budget [256, 3600]->[16, 64] so that the small test images "
             "take all three resize branches (up to min, in range, down to max). Patch size 16, the 16x16 position "
             "table, vocabulary 100352 and the token ids are the real ones.")

# Test images: width x height, chosen for the three resize branches and different aspect ratios.
IMAGES = {
    "wide_96x64": (96, 64),        # 6x4 = 24 patches: in range, kept
    "tall_40x120": (40, 120),      # 2x7 = 14 < 16: resized to the minimum budget
    "large_200x136": (200, 136),   # 12x8 = 96 > 64: resized down to the maximum
    "square_56x56": (56, 56),      # 3x3 = 9 < 16: scaled up
}

SYSTEM = "<|im_start|>system<|im_sep|>You are Phi, a language model trained by Microsoft.<|im_end|>"
PROMPTS = [
    {"name": "one_image", "images": ["wide_96x64"],
     "text": SYSTEM + "<|im_start|>user<|im_sep|><image>\nWhat is in this picture?<|im_end|>"
                      "<|im_start|>assistant<|im_sep|>"},
    {"name": "three_images", "images": ["tall_40x120", "large_200x136", "square_56x56"],
     "text": SYSTEM + "<|im_start|>user<|im_sep|>Compare these:\n<image>\n<image>\nand <image>\n"
                      "Which one is the tallest?<|im_end|><|im_start|>assistant<|im_sep|><think>"},
]


def make_image(name, width, height):
    """A deterministic RGB pattern: gradients, stripes and a block, so that resampling has edges to show."""
    y, x = np.mgrid[0:height, 0:width]
    seed = sum(ord(c) for c in name)
    r = (x * 255) // max(1, width - 1)
    g = (y * 255) // max(1, height - 1)
    b = ((x // 5 + y // 7 + seed) % 2) * 200 + ((x * y + seed) % 37)
    img = np.stack([r, g, b], axis=-1)
    img[height // 4: height // 2, width // 3: width // 2] = [250, 30, 90]
    return np.clip(img, 0, 255).astype(np.uint8)


def budget(width, height, patch, lo, hi):
    """Siglip2ImageProcessorNoUpscale: the image's own patch count, clamped to [min_num_patches, max_num_patches]."""
    n = max((width // patch) * (height // patch), 1)
    return lo if n < lo else hi if n > hi else n


def image_processors():
    """transformers' SigLIP2 image processors: the PIL one (what the checkpoint's processor derives from) and, for
    comparison, the torchvision one (the default of transformers 5) when this transformers has both."""
    import transformers

    kwargs = dict(do_resize=True, resample=2, do_rescale=True, rescale_factor=1 / 255, do_normalize=True,
                  image_mean=[0.5, 0.5, 0.5], image_std=[0.5, 0.5, 0.5], patch_size=16)

    def backend(proc):
        name = getattr(proc, "backend", None)
        if name is None:
            name = "torchvision" if getattr(proc, "is_fast", False) else "pil"
        return name

    found = {}
    candidates = [getattr(transformers, n, None) for n in
                  ["Siglip2ImageProcessorPil", "Siglip2ImageProcessor", "Siglip2ImageProcessorFast"]]
    try:
        from transformers.models.siglip2 import image_processing_pil_siglip2 as module
        candidates.append(getattr(module, "Siglip2ImageProcessorPil", None))
    except ImportError:
        pass
    for cls in candidates:
        if cls is None:
            continue
        try:
            proc = cls(**kwargs)
        except Exception as e:  # e.g. torchvision missing: reported, the PIL one is what counts
            print(f"cannot build {cls.__name__}: {type(e).__name__}: {e}", flush=True)
            continue
        found.setdefault(backend(proc), proc)
    if "pil" not in found:
        raise RuntimeError(f"no PIL-backend Siglip2 image processor in transformers {transformers.__version__}")
    try:
        default_backend = backend(transformers.Siglip2ImageProcessor(**kwargs))
    except Exception as e:
        default_backend = f"unavailable ({type(e).__name__})"
    print("image processors:", {k: type(v).__name__ for k, v in found.items()}, "default:", default_backend,
          flush=True)
    return found["pil"], found.get("torchvision"), default_backend


def size_function():
    """get_image_size_for_max_num_patches, from whichever module this transformers has it in."""
    for module_name in ["image_processing_pil_siglip2", "image_processing_siglip2", "image_processing_siglip2_fast"]:
        try:
            module = __import__("transformers.models.siglip2." + module_name, fromlist=["x"])
        except ImportError:
            continue
        if hasattr(module, "get_image_size_for_max_num_patches"):
            return module.get_image_size_for_max_num_patches
    raise RuntimeError("no get_image_size_for_max_num_patches in transformers.models.siglip2")


def process(proc, image, patch, max_patches, hi):
    """Processor outputs for one image at budget max_patches, padded on to hi patches as NoUpscale pads."""
    out = proc(images=[image], max_num_patches=max_patches, patch_size=patch, return_tensors="pt")
    pv = np.asarray(out["pixel_values"], dtype=np.float32)[0]
    mask = np.asarray(out["pixel_attention_mask"])[0]
    shape = [int(v) for v in np.asarray(out["spatial_shapes"])[0]]
    n = shape[0] * shape[1]
    if not (mask[:n] == 1).all() or (mask[n:] != 0).any():
        raise AssertionError(f"mask is not {n} ones then zeros: {mask.tolist()}")
    padded = np.zeros((hi, pv.shape[1]), dtype=np.float32)
    padded[:n] = pv[:n]
    full_mask = np.zeros((hi,), dtype=np.int64)
    full_mask[:n] = 1
    return padded, full_mask, shape


def tower_name(pname):
    """The checkpoint's name of a Siglip2VisionModel parameter: transformers 5 drops the module's vision_model level
    (restoring it when it loads a checkpoint); the checkpoint and vLLM keep it."""
    return pname if pname.startswith("vision_model.") else "vision_model." + pname


def fill(module, prefix, shapes, rename=lambda n: n):
    import torch

    for pname, param in module.named_parameters():
        name = prefix + rename(pname)
        values = prng_values(name, param.numel()).reshape(tuple(param.shape))
        with torch.no_grad():
            param.copy_(torch.from_numpy(values))
        shapes[name] = list(param.shape)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", required=True)
    parser.add_argument("--tokenizer", required=True, help="folder with the Phi-4 tokenizer.json")
    parser.add_argument("--workdir", default="/tmp/phi4v_reference", help="scratch folder for config.json files")
    args = parser.parse_args()
    selftest()

    import torch
    import transformers
    from PIL import Image
    from transformers import AutoConfig, AutoModel, AutoModelForCausalLM, AutoTokenizer

    torch.set_grad_enabled(False)
    torch.manual_seed(0)
    started = time.time()
    out_dir = args.out
    os.makedirs(os.path.join(out_dir, "images"), exist_ok=True)
    with open(os.path.join(out_dir, "phi4v_tiny.config.json"), "w") as f:
        json.dump(TINY, f, indent=2)
        f.write("\n")
    blob = FloatBlob()
    fixture = {"config": "phi4v_tiny.config.json", "floats": "phi4v.bin", "shrunk_by": SHRUNK_BY,
               "transformers_version": transformers.__version__, "torch_version": torch.__version__,
               "image_token_id": IMAGE_TOKEN_ID}
    vc = TINY["vision_config"]
    patch, lo, hi = vc["patch_size"], TINY["min_num_patches"], TINY["max_num_patches"]

    # --- images and the processor -------------------------------------------------------------------------
    pil_proc, tv_proc, default_backend = image_processors()
    fixture["processor"] = {"pil_class": type(pil_proc).__name__, "default_backend": default_backend,
                            "default_class": type(tv_proc).__name__ if tv_proc is not None else None}
    images, processed = {}, {}
    for name, (w, h) in IMAGES.items():
        path = os.path.join(out_dir, "images", name + ".png")
        Image.fromarray(make_image(name, w, h), "RGB").save(path, optimize=True)
        image = Image.open(path).convert("RGB")
        images[name] = image
        b = budget(w, h, patch, lo, hi)
        pv, mask, shape = process(pil_proc, image, patch, b, hi)
        n = shape[0] * shape[1]
        entry = {"file": "images/" + name + ".png", "width": w, "height": h, "budget": b, "spatial_shape": shape,
                 "pixel_values": blob.add(pv[:n]), "padded_length": hi}
        if tv_proc is not None:
            tv, tv_mask, tv_shape = process(tv_proc, image, patch, b, hi)
            entry["torchvision_same_shape"] = tv_shape == shape
            entry["torchvision_max_abs_diff"] = float(np.abs(tv[:n] - pv[:n]).max()) if tv_shape == shape else None
        processed[name] = (pv, mask, shape)
        fixture.setdefault("images", {})[name] = entry
        print(f"image {name}: {w}x{h} budget {b} -> {shape} patches", flush=True)

    get_size = size_function()
    size_cases = []
    rng = random.Random(7)
    for _ in range(60):
        hh, ww = rng.randrange(1, 3000), rng.randrange(1, 3000)
        bb = rng.choice([1, 3, 16, 64, 256, 1024, 3600])
        size_cases.append([hh, ww, 16, bb, *get_size(hh, ww, 16, bb)])
    for hh, ww, pp, bb in [(120, 40, 16, 16), (56, 56, 16, 16), (136, 200, 16, 64), (64, 96, 16, 24),
                           (1, 1, 14, 256), (4000, 3000, 16, 3600), (17, 5000, 16, 3600), (336, 336, 14, 576)]:
        size_cases.append([hh, ww, pp, bb, *get_size(hh, ww, pp, bb)])
    fixture["resize_sizes"] = size_cases  # [height, width, patch, max_num_patches, target_height, target_width]

    # --- vision tower and projector -----------------------------------------------------------------------
    shapes = {}
    vcfg = transformers.Siglip2VisionConfig(**{k: v for k, v in vc.items() if k != "model_type"})
    try:
        tower = AutoModel.from_config(vcfg, attn_implementation="eager", dtype=torch.float32).eval()
    except Exception:  # reported, then built directly
        traceback.print_exc()
        vcfg._attn_implementation = "eager"
        tower = transformers.Siglip2VisionModel(vcfg).float().eval()
    print("tower:", type(tower).__name__, "attention:", getattr(tower.config, "_attn_implementation", "?"), flush=True)
    fill(tower, VISION_PREFIX, shapes, tower_name)
    projector = torch.nn.Sequential(torch.nn.Linear(TINY["mm_hidden_size"], TINY["hidden_size"]), torch.nn.GELU(),
                                    torch.nn.Linear(TINY["hidden_size"], TINY["hidden_size"])).eval()
    fill(projector, PROJECTOR_PREFIX, shapes)

    names = list(IMAGES)
    pixel_values = torch.from_numpy(np.stack([processed[n][0] for n in names]))
    attention = torch.from_numpy(np.stack([processed[n][1] for n in names]))
    spatial = torch.tensor([processed[n][2] for n in names], dtype=torch.long)
    tower_out = tower(pixel_values=pixel_values, pixel_attention_mask=attention, spatial_shapes=spatial,
                      output_hidden_states=True)
    features = {}
    for i, n in enumerate(names):
        count = int(attention[i].sum())
        feat = tower_out.hidden_states[-2][i, :count]
        last = tower_out.last_hidden_state[i, :count]
        proj = projector(feat)
        alone = tower(pixel_values=pixel_values[i:i + 1, :count], pixel_attention_mask=attention[i:i + 1, :count],
                      spatial_shapes=spatial[i:i + 1], output_hidden_states=True).hidden_states[-2][0]
        entry = fixture["images"][n]
        entry["tower_features"] = blob.add(feat.numpy())          # hidden_states[-2], what the model uses
        entry["tower_last_hidden_state"] = blob.add(last.numpy())  # all layers + post_layernorm
        entry["projected"] = blob.add(proj.numpy())
        entry["unpadded_vs_padded_max_abs_diff"] = float((alone - feat).abs().max())
        features[n] = proj
        print(f"tower {n}: {count} rows; alone vs in the padded batch {entry['unpadded_vs_padded_max_abs_diff']:.3g}",
              flush=True)

    # --- language model -----------------------------------------------------------------------------------
    text_cfg = {k: v for k, v in TINY.items() if k not in ("vision_config", "architectures", "model_type")}
    text_cfg["architectures"] = ["Phi3ForCausalLM"]
    text_cfg["model_type"] = "phi3"
    text_dir = os.path.join(args.workdir, "phi3_text")
    os.makedirs(text_dir, exist_ok=True)
    with open(os.path.join(text_dir, "config.json"), "w") as f:
        json.dump(text_cfg, f, indent=2)
    text_config = AutoConfig.from_pretrained(text_dir)  # a local folder, read as a checkpoint's config.json is
    lm = AutoModelForCausalLM.from_config(text_config, attn_implementation="eager", dtype=torch.float32).eval()
    print("language model:", type(lm).__name__, "rope:", getattr(text_config, "rope_parameters", None), flush=True)
    fill(lm, "", shapes)
    fixture["parameters"] = shapes
    fixture["prng_check"] = {n: prng_values(n, 4).tolist() for n in
                             [VISION_PREFIX + "vision_model.post_layernorm.weight", PROJECTOR_PREFIX + "0.weight"]}

    tokenizer = AutoTokenizer.from_pretrained(args.tokenizer)
    vocab = TINY["vocab_size"]
    subset = sorted(random.Random(20260327).sample(range(vocab), SUBSET))
    subset_t = torch.tensor(subset)
    fixture["vocab_subset"] = subset
    fixture["decode_subset_size"] = DECODE_SUBSET
    fixture["new_tokens"] = NEW_TOKENS
    embed = lm.get_input_embeddings()
    prompts = []
    for prompt in PROMPTS:
        chunks = prompt["text"].split("<image>")
        if len(chunks) != len(prompt["images"]) + 1:
            raise AssertionError("placeholders and images differ in " + prompt["name"])
        ids, expanded, ranges = [], [], []
        for i, chunk in enumerate(chunks):
            piece = tokenizer(chunk, add_special_tokens=False).input_ids
            ids += piece
            expanded += piece
            if i < len(prompt["images"]):
                rows = features[prompt["images"][i]].shape[0]
                ids.append(IMAGE_TOKEN_ID)
                ranges.append([len(expanded), rows])
                expanded += [IMAGE_TOKEN_ID] * rows
        inputs = embed(torch.tensor([expanded]))[0].clone()
        for (offset, rows), name in zip(ranges, prompt["images"]):
            inputs[offset:offset + rows] = features[name]
        logits = lm(inputs_embeds=inputs[None], use_cache=False).logits[0].float()
        top_v, top_i = torch.topk(logits, 5, dim=-1)
        entry = {"name": prompt["name"], "text": prompt["text"], "images": prompt["images"], "prompt_ids": ids,
                 "expanded_ids": expanded, "image_ranges": ranges,
                 "prefill_subset": blob.add(logits[:, subset_t].numpy()), "prefill_top5_ids": top_i.tolist(),
                 "prefill_top5_values": blob.add(top_v.numpy()), "prefill_argmax": logits.argmax(-1).tolist()}

        # 64 greedy tokens: the prompt's embeddings through the KV cache, then one generated id at a time.
        out = lm(inputs_embeds=inputs[None], use_cache=True)
        past, last = out.past_key_values, out.logits[0, -1].float()
        generated, step_logits = [], []
        for step in range(NEW_TOKENS):
            step_logits.append(last)
            token = int(last.argmax())
            generated.append(token)
            if step + 1 < NEW_TOKENS:
                out = lm(input_ids=torch.tensor([[token]]), past_key_values=past, use_cache=True)
                past, last = out.past_key_values, out.logits[0, -1].float()
        step_logits = torch.stack(step_logits)
        full = torch.cat([inputs, embed(torch.tensor(generated[:-1]))])
        recomputed = lm(inputs_embeds=full[None], use_cache=False, logits_to_keep=1).logits[0, -1].float()
        top2 = torch.topk(step_logits, 2, dim=-1).values
        dv, di = torch.topk(step_logits, 5, dim=-1)
        entry.update({"greedy": generated, "decode_subset": blob.add(step_logits[:, subset_t[:DECODE_SUBSET]].numpy()),
                      "decode_top5_ids": di.tolist(), "decode_top5_values": blob.add(dv.numpy()),
                      "decode_min_margin": float((top2[:, 0] - top2[:, 1]).min()),
                      "cache_vs_recompute_last_max_abs": float((recomputed - step_logits[-1]).abs().max())})
        prompts.append(entry)
        print(f"{prompt['name']}: {len(ids)} prompt ids -> {len(expanded)} tokens; greedy {generated[:8]}...; "
              f"min top-2 margin {entry['decode_min_margin']:.3g}; cache vs recompute "
              f"{entry['cache_vs_recompute_last_max_abs']:.3g}", flush=True)
    fixture["prompts"] = prompts

    with open(os.path.join(out_dir, "phi4v.json"), "w") as f:
        json.dump(fixture, f, separators=(",", ":"))
    blob.write(os.path.join(out_dir, "phi4v.bin"))
    print(f"done in {time.time() - started:.1f} s; {blob.size * 4} bytes of floats", flush=True)
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except Exception:
        traceback.print_exc()
        sys.exit(1)
