#!/usr/bin/env python3
"""Reference outputs of Gemma 4's video path (frames through the vision tower as images of at most 70 soft tokens).

Gemma 4 has no video tower: transformers' Gemma4VideoProcessor resizes every sampled frame like an image at
max_soft_tokens 70 and patchifies it (pixel_values_videos [videos, frames, 630, 768], video_position_ids), and
Gemma4Processor.replace_video_token writes per frame "mm:ss <|image>" + N x "<|video|>" + "<image|>", the frames
joined with spaces, with timestamp = frame_index / fps (fps 24 when unknown). The timestamp text is tokenized on its
own as vLLM's Gemma4 processor does ("mm:ss " for the first frame, " mm:ss " after it); the ids below come from
Gemma's tokenizer (tokenizers, add_special_tokens=False) so that the GPU machine needs no tokenizer file.

The video is six 64x48 frames written as PNG by this script (a square moving over a gradient), given to the
processor as a frame array with fps 2 (timestamps 00:00 00:00 00:01 00:01 00:02 00:02), as a decoded file would be.
The model is the tiny E2B-style Gemma4ForConditionalGeneration with the tiny vision tower of
gemma4_vision_reference.py, weights from the named PRNG (phi3_reference.py; Java twin NamedWeightPrng).

Fixtures (gemma4_video.json + gemma4_video.bin, little-endian float32; config gemma4_video.config.json):
  processor  per frame: resized size, soft tokens, sha256 of the real patches' float32 bytes (video processor, and
             the image processor at 70 for comparison), per-patch sums, first/last patch; timestamps.
  prompts    one video: token ids, per-frame offsets, video features (get_video_features), logits on a vocabulary
             subset at every position, top-5, 64 greedy tokens with their logits.

Usage: python3 tools/reference/gemma4_video_reference.py --out DIR [--frames-only]
"""

import argparse
import copy
import hashlib
import json
import os
import random
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from phi3_reference import FloatBlob, selftest  # noqa: E402
from gemma4_reference import GEMMA4_E2B  # noqa: E402
from gemma4_vision_reference import VISION_CONFIG, SHRUNK_BY, image_processor, weight_values, write_png  # noqa: E402

FRAME_W, FRAME_H, FRAMES, FPS = 64, 48, 6, 2.0


def frame_pattern(t):
    """Frame t: a gradient with a bright 12x12 square moving right and down."""
    sx, sy = 4 + 8 * t, 2 + 5 * t

    def pixel(x, y):
        if sx <= x < sx + 12 and sy <= y < sy + 12:
            return (250, 240, (t * 40) % 256)
        return ((x * 3 + t * 20) % 256, (y * 5) % 256, ((x + y) * 2 + t * 7) % 256)

    return pixel


FRAME_FILES = [f"gemma4_video_f{t}.png" for t in range(FRAMES)]
BOS, BOI, VIDEO, EOI = 2, 255999, 258884, 258882
TEXT_IDS = {"Watch:": [19242, 236787], " What moves?": [2900, 12489, 236881],
            "00:00 ": [236771, 236771, 236787, 236771, 236771, 236743],
            " 00:00 ": [236743, 236771, 236771, 236787, 236771, 236771, 236743],
            " 00:01 ": [236743, 236771, 236771, 236787, 236771, 236770, 236743],
            " 00:02 ": [236743, 236771, 236771, 236787, 236771, 236778, 236743]}
MAX_SOFT_TOKENS = 70
NEW_TOKENS = 64
SUBSET = 256
DECODE_SUBSET = 64


def timestamp(seconds):
    """Gemma4Processor.replace_video_token's mm:ss."""
    return f"{int(seconds // 60):02d}:{int(seconds % 60):02d}"


def load_frames(out_dir):
    from PIL import Image

    return [np.asarray(Image.open(os.path.join(out_dir, n)).convert("RGB")) for n in FRAME_FILES]


def video_processor():
    from transformers.models.gemma4.video_processing_gemma4 import Gemma4VideoProcessor

    return Gemma4VideoProcessor()


def run_processor(out_dir, blob):
    import torch
    from PIL import Image

    frames = load_frames(out_dir)
    video = np.stack(frames)
    out = video_processor()(videos=[video], do_sample_frames=False, return_tensors="pt")
    pixels, positions = out["pixel_values_videos"], out["video_position_ids"]
    soft = int(out["num_soft_tokens_per_video"][0])
    print(f"video processor: pixel_values_videos {tuple(pixels.shape)} {pixels.dtype}, positions "
          f"{tuple(positions.shape)}, {soft} soft tokens per frame", flush=True)
    images = image_processor()
    cases = []
    for t in range(FRAMES):
        p, pos = pixels[0, t], positions[0, t]
        real = int((pos[:, 0] >= 0).sum())
        grid_w = int(pos[:real, 0].max()) + 1
        grid_h = int(pos[:real, 1].max()) + 1
        expected = np.stack(np.meshgrid(np.arange(grid_w), np.arange(grid_h), indexing="xy"), -1).reshape(-1, 2)
        if not np.array_equal(pos[:real].numpy(), expected) or not bool((pos[real:] == -1).all()):
            raise AssertionError(f"frame {t}: positions are not the raster grid padded with -1")
        if bool((p[real:] != 0).any()):
            raise AssertionError(f"frame {t}: padding patches are not zero")
        real_pixels = p[:real].contiguous().numpy().astype("<f4")
        as_image = images(images=[Image.open(os.path.join(out_dir, FRAME_FILES[t]))], max_soft_tokens=MAX_SOFT_TOKENS,
                          return_tensors="pt")
        image_pixels = as_image["pixel_values"][0][:real].contiguous().numpy().astype("<f4")
        same = image_pixels.shape == real_pixels.shape and bool(np.array_equal(image_pixels, real_pixels))
        diff = float(np.abs(image_pixels - real_pixels).max()) if image_pixels.shape == real_pixels.shape else None
        case = {"frame": FRAME_FILES[t], "index": t, "timestamp_seconds": t / FPS, "timestamp": timestamp(t / FPS),
                "resized_height": grid_h * 16, "resized_width": grid_w * 16, "num_soft_tokens": soft,
                "real_patches": real, "padded_patches": int(p.shape[0]), "patch_values": int(p.shape[1]),
                "sha256": hashlib.sha256(real_pixels.tobytes()).hexdigest(),
                "image_processor_sha256": hashlib.sha256(image_pixels.tobytes()).hexdigest(),
                "same_as_image_processor": same, "max_abs_diff_to_image_processor": diff,
                "patch_sums": blob.add(real_pixels.astype(np.float64).sum(axis=1)),
                "first_patch": blob.add(real_pixels[0]), "last_patch": blob.add(real_pixels[real - 1])}
        print(f"frame {t}: {grid_w * 16}x{grid_h * 16}, {real} patches, {soft} soft, ts {case['timestamp']}, same as "
              f"image processor: {same} (max diff {diff})", flush=True)
        cases.append(case)
    return cases, pixels, positions, soft


def build_model(workdir):
    import torch
    import transformers
    from transformers import AutoConfig

    config_dict = copy.deepcopy(GEMMA4_E2B)
    config_dict["vision_config"] = copy.deepcopy(VISION_CONFIG)
    folder = os.path.join(workdir, "gemma4_video")
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, "config.json"), "w") as f:
        json.dump(config_dict, f, indent=2)
    config = AutoConfig.from_pretrained(folder)
    model = transformers.Gemma4ForConditionalGeneration._from_config(
        config, attn_implementation="eager", dtype=torch.float32).eval()
    shapes = {}
    with torch.no_grad():
        for pname, tensor in model.state_dict().items():
            if pname == "lm_head.weight":
                continue
            tensor.copy_(torch.from_numpy(weight_values(pname, tensor.numel()).reshape(tuple(tensor.shape))))
            shapes[pname] = list(tensor.shape)
    if model.lm_head.weight.data_ptr() != model.get_input_embeddings().weight.data_ptr():
        raise AssertionError("lm_head is not tied")
    print(f"model: {len(shapes)} tensors", flush=True)
    return model, config_dict, shapes


def features_of(output):
    """get_*_features returns pooler_output as a tensor or a tuple of per-item tensors depending on the version."""
    pooled = output.pooler_output if hasattr(output, "pooler_output") else output
    if isinstance(pooled, (tuple, list)):
        return torch_cat(pooled)
    return pooled.reshape(-1, pooled.shape[-1])


def torch_cat(parts):
    import torch

    return torch.cat([p.reshape(-1, p.shape[-1]) for p in parts], dim=0)


def prompt_ids(soft, cases):
    ids = [BOS] + TEXT_IDS["Watch:"]
    offsets = []
    for t, case in enumerate(cases):
        ids += TEXT_IDS[("" if t == 0 else " ") + case["timestamp"] + " "]
        ids.append(BOI)
        offsets.append(len(ids))
        ids += [VIDEO] * soft
        ids.append(EOI)
    ids += TEXT_IDS[" What moves?"]
    return ids, offsets


def run_model(model, blob, pixels, positions, soft, cases, on_entry):
    import torch

    rng = random.Random(20260425)
    subset = sorted(rng.sample(range(262144), SUBSET))
    subset_t = torch.tensor(subset)
    started = time.time()
    ids, offsets = prompt_ids(soft, cases)
    with torch.no_grad():
        video_features = features_of(model.model.get_video_features(pixels, positions, return_dict=True))
        flat_pixels = pixels.reshape(-1, *pixels.shape[2:])
        flat_positions = positions.reshape(-1, *positions.shape[2:])
        image_features = features_of(model.model.get_image_features(flat_pixels, flat_positions, return_dict=True))
    per_frame_diff = float((video_features - image_features).abs().max()) \
        if video_features.shape == image_features.shape else None
    print(f"video features {tuple(video_features.shape)}; frames as images {tuple(image_features.shape)}, max diff "
          f"{per_frame_diff}", flush=True)
    if video_features.shape[0] != soft * FRAMES:
        raise AssertionError(f"{video_features.shape[0]} video features for {FRAMES} x {soft} soft tokens")
    entry = {"frames": FRAME_FILES, "fps": FPS, "num_soft_tokens": soft, "input_ids": ids, "frame_offsets": offsets,
             "video_features": blob.add(video_features.numpy()), "video_vs_image_features_max_diff": per_frame_diff}
    kwargs = {"pixel_values_videos": pixels, "video_position_ids": positions}
    with torch.no_grad():
        logits = model(input_ids=torch.tensor([ids]), use_cache=False, **kwargs).logits[0].float()
    entry["prefill_subset"] = blob.add(logits[:, subset_t].numpy())
    values5, ids5 = torch.topk(logits, 5, dim=-1)
    entry["prefill_top5_ids"] = ids5.tolist()
    entry["prefill_top5_values"] = blob.add(values5.numpy())
    on_entry(subset, entry)
    print(f"prefill: {len(ids)} tokens, {time.time() - started:.1f} s", flush=True)
    sequence = list(ids)
    steps = []
    with torch.no_grad():
        for step in range(NEW_TOKENS):
            last = model(input_ids=torch.tensor([sequence]), use_cache=False, logits_to_keep=1,
                         **kwargs).logits[0, -1].float()
            steps.append(last)
            sequence.append(int(last.argmax()))
            if step % 16 == 15:
                print(f"  decode step {step + 1}, {time.time() - started:.1f} s", flush=True)
    steps = torch.stack(steps)
    top2 = torch.topk(steps, 2, dim=-1).values
    entry["greedy"] = sequence[len(ids):]
    entry["decode_subset"] = blob.add(steps[:, subset_t[:DECODE_SUBSET]].numpy())
    values5, ids5 = torch.topk(steps, 5, dim=-1)
    entry["decode_top5_ids"] = ids5.tolist()
    entry["decode_top5_values"] = blob.add(values5.numpy())
    entry["decode_min_margin"] = float((top2[:, 0] - top2[:, 1]).min())
    on_entry(subset, entry)
    print(f"greedy {entry['greedy'][:8]}..., min margin {entry['decode_min_margin']:.3g}, "
          f"{time.time() - started:.1f} s", flush=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", required=True)
    parser.add_argument("--workdir", default="/tmp/gemma4_video_reference")
    parser.add_argument("--frames-only", action="store_true", help="write the frame PNGs and stop")
    args = parser.parse_args()
    os.makedirs(args.out, exist_ok=True)
    for t, name in enumerate(FRAME_FILES):
        write_png(os.path.join(args.out, name), FRAME_W, FRAME_H, frame_pattern(t))
    if args.frames_only:
        return 0
    selftest()
    import torch
    import transformers

    torch.set_grad_enabled(False)
    torch.manual_seed(0)
    blob = FloatBlob()
    fixture = {"config": "gemma4_video.config.json", "floats": "gemma4_video.bin",
               "transformers_version": transformers.__version__, "torch_version": torch.__version__,
               "attn_implementation": "eager", "shrunk_by": SHRUNK_BY,
               "video_processor": "Gemma4VideoProcessor (do_sample_frames=False: the six frames with fps 2)",
               "max_soft_tokens": MAX_SOFT_TOKENS, "new_tokens": NEW_TOKENS, "decode_subset_size": DECODE_SUBSET,
               "text_ids": TEXT_IDS}

    def write():
        with open(os.path.join(args.out, "gemma4_video.json"), "w") as f:
            json.dump(fixture, f, separators=(",", ":"))
        blob.write(os.path.join(args.out, "gemma4_video.bin"))

    cases, pixels, positions, soft = run_processor(args.out, blob)
    fixture["processor"] = cases
    write()
    model, config_dict, shapes = build_model(args.workdir)
    with open(os.path.join(args.out, "gemma4_video.config.json"), "w") as f:
        json.dump(config_dict, f, indent=2)
        f.write("\n")
    fixture["parameters"] = shapes

    def on_entry(subset, entry):
        fixture["vocab_subset"] = subset
        fixture["prompts"] = [entry]
        write()

    run_model(model, blob, pixels, positions, soft, cases, on_entry)
    print("done", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
