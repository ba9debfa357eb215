#!/usr/bin/env python3
"""Reference outputs of Gemma 4's audio path (feature extractor, audio tower, embed_audio, decoder with audio).

The tiny E2B-style Gemma4ForConditionalGeneration of gemma4_reference.py gets the tiny vision tower of
gemma4_vision_reference.py and a tiny audio tower (AUDIO_CONFIG); all weights come from the named PRNG
(phi3_reference.py; Java twin NamedWeightPrng), which already centres every "norm.weight" on one.

The clips are deterministic 16 kHz mono 16-bit WAV files written by this script (tones, a chirp and LCG noise);
transformers' Gemma4AudioFeatureExtractor gets their samples as float32 int16/32768 (what soundfile, librosa and
FFmpeg's s16 -> float conversion give).

The audio tower runs with the "sdpa" attention implementation as loaded checkpoints do: its chunked attention
applies the boolean mask that create_bidirectional_mask builds for sdpa (an "eager" float mask would be inverted by
its logical_not). The text decoder and the vision tower run "eager" as in the other Gemma 4 fixtures.

Fixtures (gemma4_audio.json + gemma4_audio.bin, little-endian float32; config gemma4_audio.config.json):
  clips    per WAV: sample count, padded count, log-mel features [frames, 128] (padding frames included, zero),
           the number of valid frames (the mask is a prefix) and the soft-token count Gemma4Processor inserts.
  towers   per clip: the subsampling output, every conformer layer's output and the tower output (valid rows),
           and embed_audio's output.
  prompts  one audio; one audio + one image: token ids (<|audio> + N x <|audio|> + <audio|>, <|image> + M x
           <|image|> + <image|>), logits on a vocabulary subset at every position, top-5, 64 greedy tokens.

Usage: python3 tools/reference/gemma4_audio_reference.py --out DIR [--features-only]
       (--features-only needs numpy and transformers but no torch: the clips and their features)
"""

import argparse
import copy
import json
import os
import random
import struct
import sys
import time
import wave

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from phi3_reference import FloatBlob, prng_values, selftest  # noqa: E402
from gemma4_reference import GEMMA4_E2B  # noqa: E402
from gemma4_vision_reference import VISION_CONFIG, IMAGES, write_png, weight_values  # noqa: E402

AUDIO_CONFIG = {
    "model_type": "gemma4_audio",
    "attention_chunk_size": 12,
    "attention_context_left": 13,
    "attention_context_right": 0,
    "attention_invalid_logits_value": -1.0e9,
    "attention_logit_cap": 50.0,
    "conv_kernel_size": 5,
    "gradient_clipping": 1.5,
    "hidden_act": "silu",
    "hidden_size": 32,
    "initializer_range": 0.02,
    "num_attention_heads": 2,
    "num_hidden_layers": 2,
    "output_proj_dims": 48,
    "residual_weight": 0.5,
    "rms_norm_eps": 1e-06,
    "subsampling_conv_channels": [128, 8],
    "use_clipped_linears": False,
}

SHRUNK_BY = ("audio tower of google/gemma-4-E2B-it shrunk: hidden 1024->32, layers 12->2, heads 8->2 (head_dim "
             "16), subsampling_conv_channels [128,32]->[128,8] (the first must stay 128: transformers sizes "
             "input_proj_linear from it as the 128 mel bins / 4), output_proj_dims 1536->48; gradient_clipping "
             "1e10->1.5 so that every clamp of the conformer bites; clipped linears off; vision tower as "
             "gemma4_vision_reference.py")

SAMPLE_RATE = 16000


def clip_signal(n, f0, f1, noise_seed):
    """A tone at f0, a chirp from f0 to f1, LCG noise and a short silence in the middle, as int16."""
    t = np.arange(n, dtype=np.float64) / SAMPLE_RATE
    duration = n / SAMPLE_RATE
    chirp = np.sin(2 * np.pi * (f0 * t + (f1 - f0) * t * t / (2 * duration)))
    tone = np.sin(2 * np.pi * f0 * 1.5 * t)
    state = noise_seed
    noise = np.empty(n)
    for i in range(n):
        state = (state * 1103515245 + 12345) % (1 << 31)
        noise[i] = state / float(1 << 31) - 0.5
    signal = 0.45 * chirp + 0.25 * tone + 0.1 * noise
    signal[n // 2: n // 2 + n // 10] *= 0.02
    return np.clip(np.round(signal * 32767), -32768, 32767).astype(np.int16)


CLIPS = {
    # name: (samples, f0, f1, noise seed)
    "gemma4_audio_a.wav": (8000, 300.0, 2500.0, 7),
    "gemma4_audio_b.wav": (19357, 180.0, 6000.0, 11),
    "gemma4_audio_c.wav": (40000, 900.0, 400.0, 13),
}

BOS, BOI, IMAGE, EOI = 2, 255999, 258880, 258882
BOA, AUDIO, EOA = 256000, 258881, 258883
# Text pieces and their ids under Gemma's tokenizer (tokenizers, add_special_tokens=False), fixed here so that the
# GPU machine needs no tokenizer file.
TEXT_IDS = {"Listen:": [27752, 236787], " What is said?": [2900, 563, 1176, 236881], "Hear": [129904],
            " and see": [532, 1460], " together?": [3075, 236881]}
MODEL_CASES = [
    {"parts": ["Listen:", ("audio", "gemma4_audio_b.wav"), " What is said?"]},
    {"parts": ["Hear", ("audio", "gemma4_audio_a.wav"), " and see", ("image", "gemma4_a.png"), " together?"]},
]
MAX_SOFT_TOKENS = 70
NEW_TOKENS = 64
SUBSET = 256
DECODE_SUBSET = 64


def write_wav(path, samples):
    with wave.open(path, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(SAMPLE_RATE)
        w.writeframes(samples.astype("<i2").tobytes())


def read_wav(path):
    with wave.open(path, "rb") as w:
        if w.getnchannels() != 1 or w.getsampwidth() != 2 or w.getframerate() != SAMPLE_RATE:
            raise AssertionError(f"{path}: not 16 kHz mono 16-bit")
        data = np.frombuffer(w.readframes(w.getnframes()), dtype="<i2")
    return (data.astype(np.float32) / np.float32(32768.0)).astype(np.float32)


def feature_extractor():
    from transformers.models.gemma4.feature_extraction_gemma4 import Gemma4AudioFeatureExtractor

    return Gemma4AudioFeatureExtractor()


def extract(fe, samples, tensors):
    out = fe([samples], sampling_rate=SAMPLE_RATE, return_tensors=tensors)
    return out["input_features"], out["input_features_mask"]


def soft_tokens(mask):
    """Gemma4Processor.replace_audio_token: the mask through two stride-2 convolutions, summed."""
    mask = np.asarray(mask)
    t = len(mask)
    for _ in range(2):
        t_out = (t + 2 - 3) // 2 + 1
        mask = mask[::2][:t_out]
        t = len(mask)
    return int(mask.sum())


def run_features(out_dir, blob):
    fe = feature_extractor()
    clips = []
    for name, (n, _, _, _) in CLIPS.items():
        samples = read_wav(os.path.join(out_dir, name))
        features, mask = extract(fe, samples, "np")
        features, mask = np.asarray(features[0]), np.asarray(mask[0]).astype(bool)
        valid = int(mask.sum())
        if not mask[:valid].all() or mask[valid:].any():
            raise AssertionError(f"{name}: the frame mask is not a prefix")
        if np.any(features[valid:] != 0):
            raise AssertionError(f"{name}: padding frames are not zero")
        padded = -(-n // 128) * 128
        expected_frames = (padded + 160 - 321) // 160 + 1
        if features.shape != (expected_frames, 128):
            raise AssertionError(f"{name}: features {features.shape}, expected ({expected_frames}, 128)")
        clip = {"file": name, "samples": n, "sample_rate": SAMPLE_RATE, "padded_samples": padded,
                "frames": int(features.shape[0]), "valid_frames": valid, "num_soft_tokens": soft_tokens(mask),
                "features": blob.add(features), "dtype": str(features.dtype)}
        print(f"features {name}: {n} samples, {features.shape[0]} frames ({valid} valid), "
              f"{clip['num_soft_tokens']} soft tokens, range [{features.min():.3f}, {features.max():.3f}]", flush=True)
        clips.append(clip)
    return clips


def build_model(workdir):
    import torch
    import transformers
    from transformers import AutoConfig

    config_dict = copy.deepcopy(GEMMA4_E2B)
    config_dict["vision_config"] = copy.deepcopy(VISION_CONFIG)
    config_dict["audio_config"] = copy.deepcopy(AUDIO_CONFIG)
    folder = os.path.join(workdir, "gemma4_audio")
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, "config.json"), "w") as f:
        json.dump(config_dict, f, indent=2)
    config = AutoConfig.from_pretrained(folder)
    model = transformers.Gemma4ForConditionalGeneration._from_config(
        config, attn_implementation="eager", dtype=torch.float32).eval()
    # The audio tower's chunked attention wants the boolean mask create_bidirectional_mask builds for sdpa.
    for c in {id(model.config.audio_config): model.config.audio_config,
              id(model.model.audio_tower.config): model.model.audio_tower.config}.values():
        c._attn_implementation_internal = "sdpa"
    shapes = {}
    with torch.no_grad():
        for pname, tensor in model.state_dict().items():
            if pname == "lm_head.weight":
                continue
            tensor.copy_(torch.from_numpy(weight_values(pname, tensor.numel()).reshape(tuple(tensor.shape))))
            shapes[pname] = list(tensor.shape)
    if model.lm_head.weight.data_ptr() != model.get_input_embeddings().weight.data_ptr():
        raise AssertionError("lm_head is not tied")
    print(f"model: {len(shapes)} tensors, audio {sorted(n for n in shapes if 'audio' in n)[:6]}...", flush=True)
    return model, config_dict, shapes


def mask_guard(seen):
    """A pre-hook on the audio attention: the mask must be boolean (True = attend); records its dtype."""
    import torch

    def hook(module, args, kwargs):
        mask = kwargs.get("attention_mask")
        seen.add(str(None if mask is None else mask.dtype))
        if mask is not None and mask.dtype != torch.bool:
            print(f"WARNING: audio attention mask is {mask.dtype}; converting (mask == 0) to bool", flush=True)
            kwargs = dict(kwargs)
            kwargs["attention_mask"] = mask == 0
            return args, kwargs
        return None

    return hook


def first_tensor(value):
    while isinstance(value, (tuple, list)):
        value = value[0]
    return value


def run_towers(out_dir, model, blob, clips):
    import torch

    fe = feature_extractor()
    tower = model.model.audio_tower
    towers = []
    for clip in clips:
        samples = read_wav(os.path.join(out_dir, clip["file"]))
        features, mask = extract(fe, samples, "pt")
        captured = {"subsample": None, "layers": []}
        hooks = [tower.subsample_conv_projection.register_forward_hook(
            lambda m, a, o: captured.__setitem__("subsample", o[0].clone()))]
        for layer in tower.layers:
            hooks.append(layer.register_forward_hook(
                lambda m, a, o: captured["layers"].append(first_tensor(o).clone())))
        with torch.no_grad():
            output = tower(features, mask.bool(), return_dict=True)
            valid = output.attention_mask[0]
            hidden = output.last_hidden_state[0][valid]
            embedded = model.model.embed_audio(inputs_embeds=output.last_hidden_state)[0][valid]
        for h in hooks:
            h.remove()
        n = int(valid.sum())
        if n != clip["num_soft_tokens"]:
            raise AssertionError(f"{clip['file']}: tower keeps {n} rows, processor counts {clip['num_soft_tokens']}")
        entry = {"file": clip["file"], "rows": int(valid.shape[0]), "valid_rows": n,
                 "subsample": blob.add(captured["subsample"][0][:n].numpy()),
                 "layer_out": [blob.add(t[0][:n].numpy()) for t in captured["layers"]],
                 "tower_out": blob.add(hidden.numpy()), "audio_features": blob.add(embedded.numpy())}
        print(f"tower {clip['file']}: {tuple(output.last_hidden_state.shape)}, {n} valid, embed_audio "
              f"{tuple(embedded.shape)}", flush=True)
        towers.append(entry)
    return towers


def run_prompts(out_dir, model, blob, clips, on_case):
    import torch
    from PIL import Image

    from gemma4_vision_reference import image_processor

    fe = feature_extractor()
    images = image_processor()
    tokens_of = {c["file"]: c["num_soft_tokens"] for c in clips}
    rng = random.Random(20260425)
    subset = sorted(rng.sample(range(262144), SUBSET))
    subset_t = torch.tensor(subset)
    entries = []
    for index, case in enumerate(MODEL_CASES):
        started = time.time()
        ids = [BOS]
        media = []
        kwargs = {}
        for part in case["parts"]:
            if isinstance(part, str):
                ids += TEXT_IDS[part]
                continue
            kind, name = part
            if kind == "audio":
                n = tokens_of[name]
                features, mask = extract(fe, read_wav(os.path.join(out_dir, name)), "pt")
                kwargs["input_features"] = features
                kwargs["input_features_mask"] = mask.bool()
                ids.append(BOA)
                media.append({"modality": "audio", "file": name, "offset": len(ids), "length": n})
                ids += [AUDIO] * n
                ids.append(EOA)
            else:
                processed = images(images=[Image.open(os.path.join(out_dir, name))],
                                   max_soft_tokens=MAX_SOFT_TOKENS, return_tensors="pt")
                n = int(processed["num_soft_tokens_per_image"][0])
                kwargs["pixel_values"] = processed["pixel_values"]
                kwargs["image_position_ids"] = processed["image_position_ids"]
                ids.append(BOI)
                media.append({"modality": "image", "file": name, "offset": len(ids), "length": n})
                ids += [IMAGE] * n
                ids.append(EOI)
        with torch.no_grad():
            logits = model(input_ids=torch.tensor([ids]), use_cache=False, **kwargs).logits[0].float()
        entry = {"parts": [p if isinstance(p, str) else list(p) for p in case["parts"]], "media": media,
                 "input_ids": ids, "prefill_subset": blob.add(logits[:, subset_t].numpy())}
        values5, ids5 = torch.topk(logits, 5, dim=-1)
        entry["prefill_top5_ids"] = ids5.tolist()
        entry["prefill_top5_values"] = blob.add(values5.numpy())
        sequence = list(ids)
        steps = []
        with torch.no_grad():
            for _ in range(NEW_TOKENS):
                last = model(input_ids=torch.tensor([sequence]), use_cache=False, logits_to_keep=1,
                             **kwargs).logits[0, -1].float()
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
        on_case(subset, entries)
        print(f"model case {index}: {len(ids)} tokens, media {[(m['modality'], m['length']) for m in media]}, "
              f"greedy {entry['greedy'][:8]}..., min margin {entry['decode_min_margin']:.3g}, "
              f"{time.time() - started:.1f} s", flush=True)
    return subset, entries


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", required=True)
    parser.add_argument("--workdir", default="/tmp/gemma4_audio_reference")
    parser.add_argument("--features-only", action="store_true", help="clips and features only (no torch)")
    args = parser.parse_args()
    os.makedirs(args.out, exist_ok=True)
    for name, (n, f0, f1, seed) in CLIPS.items():
        write_wav(os.path.join(args.out, name), clip_signal(n, f0, f1, seed))
    w, h, pattern = IMAGES["gemma4_a.png"]
    write_png(os.path.join(args.out, "gemma4_a.png"), w, h, pattern)
    selftest()
    import transformers

    blob = FloatBlob()
    fixture = {"config": "gemma4_audio.config.json", "floats": "gemma4_audio.bin",
               "transformers_version": transformers.__version__, "shrunk_by": SHRUNK_BY,
               "feature_extractor": "Gemma4AudioFeatureExtractor (defaults: 16 kHz, 128 mel, pad to 128 samples)"}
    fixture["clips"] = run_features(args.out, blob)

    def write():
        with open(os.path.join(args.out, "gemma4_audio.json"), "w") as f:
            json.dump(fixture, f, separators=(",", ":"))
        blob.write(os.path.join(args.out, "gemma4_audio.bin"))

    write()
    if args.features_only:
        print("done (features only)", flush=True)
        return 0
    import torch

    torch.set_grad_enabled(False)
    torch.manual_seed(0)
    model, config_dict, shapes = build_model(args.workdir)
    with open(os.path.join(args.out, "gemma4_audio.config.json"), "w") as f:
        json.dump(config_dict, f, indent=2)
        f.write("\n")
    seen = set()
    for layer in model.model.audio_tower.layers:
        layer.self_attn.register_forward_pre_hook(mask_guard(seen), with_kwargs=True)
    fixture.update({"torch_version": torch.__version__, "attn_implementation": "eager (text, vision), sdpa (audio)",
                    "parameters": shapes, "max_soft_tokens": MAX_SOFT_TOKENS, "new_tokens": NEW_TOKENS,
                    "decode_subset_size": DECODE_SUBSET})
    fixture["towers"] = run_towers(args.out, model, blob, fixture["clips"])
    fixture["audio_mask_dtypes"] = sorted(seen)
    write()

    def on_case(subset, entries):
        fixture["vocab_subset"] = subset
        fixture["prompts"] = entries
        fixture["audio_mask_dtypes"] = sorted(seen)
        write()

    run_prompts(args.out, model, blob, fixture["clips"], on_case)
    print(f"audio attention mask dtypes seen: {sorted(seen)}", flush=True)
    print("done", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
