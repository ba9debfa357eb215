#!/usr/bin/env python3
"""Reference outputs of a tiny random-weight Phi4MMForCausalLM (microsoft/Phi-4-multimodal-instruct), computed by
Hugging Face transformers' Phi4Multimodal port.

The checkpoint's original layout (what vLLM loads and what Tessera loads) names the weights differently from
transformers: the PEFT LoRA adapters sit inside the decoder's linears (qkv_proj.base_layer.weight,
qkv_proj.lora_A.vision.weight...) and a few modules were renamed. Every weight here is drawn from the named PRNG of
phi3_reference.py under its ORIGINAL name (Java twin NamedWeightPrng); ORIGINAL_FROM_TRANSFORMERS below is the
inverse of transformers' convert_phi4_multimodal_weights_to_hf.py STATE_DICT_MAPPING (checked name by name against
that mapping) plus ".base_layer" for the LoRA-wrapped decoder linears.

The audio encoder's input statistics (encoder_embedding.global_mean / global_invstd) are buffers, not parameters:
they keep transformers' initial values (0 and 1) and the Java tests load those.

LoRA: transformers keeps the two adapters as PEFT adapters (the converter writes vision-lora/ and speech-lora/). When
peft is installed they are added as PEFT adapters named "vision" and "speech" (their parameters then carry the
original names exactly) and switched per prompt; without peft the adapter of the prompt's mode is merged into the
weights (W + lora_alpha / r * B @ A), which is the same function. The adapter follows the checkpoint's own
modeling_phi4mm.py (Phi4MMForCausalLM.forward, input_mode): images (with or without audio) -> vision adapter, audio
only -> speech adapter, text -> none; audio embeddings use the "vision" projection when the prompt has images.

Fixtures (all small):
  phi4mm_processor.json/.bin  image processor outputs (Phi4MultimodalImageProcessor) for images of several aspect
                              ratios and crop counts, alone and batched (padded to the most crops): shapes, the
                              SHA-256 of the float32 bytes, sums and sampled values; masks in full; the audio
                              feature extractor's outputs for the test WAV
  phi4mm.json/.bin            fp32 logits (a vocabulary subset at the text positions, the top-5 at the last),
                              64 greedy tokens with their decode logits, for: text, one image, two images of
                              different crop counts, audio, image + audio; the projected image embeddings of one
                              image; batched-vs-alone image embedding differences
  images/*.png, audio/*.wav   the test media, generated here

Usage: python3 tools/reference/phi4mm_reference.py --tokenizer DIR --config tools/reference/phi4mm_tiny_config.json
       --out DIR
"""

import argparse
import copy
import hashlib
import json
import math
import os
import random
import re
import sys
import time
import traceback
import wave

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from phi3_reference import FloatBlob, prng_values, selftest  # noqa: E402  (the same PRNG; change both together)

IMAGE_TOKEN_ID = 200010  # <|image|> (<|endoftext10|> in the original tokenizer)
AUDIO_TOKEN_ID = 200011  # <|audio|>
NEW_TOKENS = 64
SUBSET = 256
DECODE_SUBSET = 64
SAMPLES = 512  # sampled values per processor tensor

# preprocessor_config.json of microsoft/Phi-4-multimodal-instruct (the processor keys)
PREPROCESSOR = {"dynamic_hd": 36, "audio_compression_rate": 8, "audio_downsample_rate": 1, "audio_feat_stride": 1}

# width x height; crop grids (w x h) with dynamic_hd 36: 1x1, 2x1, 1x3, 2x2
IMAGES = {
    "small_80x60": (80, 60),
    "wide_500x120": (500, 120),
    "tall_60x900": (60, 900),
    "big_700x460": (700, 460),
}
AUDIO = {"chirp_2s": 2.0}

PROMPTS = [
    {"name": "text", "text": "<|system|>You are a helpful assistant.<|end|><|user|>Tell me about the sea.<|end|>"
                             "<|assistant|>", "images": [], "audios": []},
    {"name": "one_image", "text": "<|user|><|image_1|>\nWhat is shown here?<|end|><|assistant|>",
     "images": ["wide_500x120"], "audios": []},
    {"name": "two_images", "text": "<|user|><|image_1|>\n<|image_2|>\nCompare the two pictures.<|end|><|assistant|>",
     "images": ["small_80x60", "tall_60x900"], "audios": []},
    {"name": "audio", "text": "<|user|><|audio_1|>\nTranscribe the audio.<|end|><|assistant|>",
     "images": [], "audios": ["chirp_2s"]},
    {"name": "image_audio", "text": "<|user|><|image_1|>\n<|audio_1|>\nDescribe both.<|end|><|assistant|>",
     "images": ["small_80x60"], "audios": ["chirp_2s"]},
]
PLACEHOLDER = re.compile(r"<\|(image|audio)_(\d+)\|>")

# transformers name -> original name (the inverse of the converter's STATE_DICT_MAPPING)
AUDIO_ENC = r"model\.embed_tokens_extend\.audio_embed\.encoder\.encoders\.\d+"
ORIGINAL_FROM_TRANSFORMERS = [
    (rf"^({AUDIO_ENC}\.feed_forward_(?:in|out))\.gate_up_proj\.", r"\1.net.0.linear."),
    (rf"^({AUDIO_ENC}\.feed_forward_(?:in|out))\.down_proj\.", r"\1.net.2."),
    (rf"^({AUDIO_ENC}\.self_attn)\.(q|k|v)_proj\.", r"\1.linear_\2."),
    (rf"^({AUDIO_ENC}\.self_attn)\.o_proj\.", r"\1.linear_out."),
    (r"^model\.embed_tokens_extend\.image_embed\.img_projection_up\.", "model.embed_tokens_extend.image_embed.img_projection.0."),
    (r"^model\.embed_tokens_extend\.image_embed\.img_projection_down\.", "model.embed_tokens_extend.image_embed.img_projection.2."),
    (r"^model\.embed_tokens_extend\.image_embed\.global_img_feature_extensor$", "model.embed_tokens_extend.image_embed.glb_GN"),
    (r"^model\.embed_tokens_extend\.image_embed\.sub_img_feature_extensor$", "model.embed_tokens_extend.image_embed.sub_GN"),
    (r"^model\.embed_tokens_extend\.audio_embed\.up_proj_for_speech\.", "model.embed_tokens_extend.audio_embed.audio_projection.speech.0."),
    (r"^model\.embed_tokens_extend\.audio_embed\.down_proj_for_speech\.", "model.embed_tokens_extend.audio_embed.audio_projection.speech.2."),
    (r"^model\.embed_tokens_extend\.audio_embed\.up_proj_for_vision_speech\.", "model.embed_tokens_extend.audio_embed.audio_projection.vision.0."),
    (r"^model\.embed_tokens_extend\.audio_embed\.down_proj_for_vision_speech\.", "model.embed_tokens_extend.audio_embed.audio_projection.vision.2."),
]
# the converter's own mapping (original -> transformers), used to check the inverse above
CONVERTER_MAPPING = {
    r"^model.embed_tokens_extend.audio_embed.encoder.encoders.(\d+).feed_forward_(in|out).net.0.linear": r"model.embed_tokens_extend.audio_embed.encoder.encoders.\1.feed_forward_\2.gate_up_proj",
    r"^model.embed_tokens_extend.audio_embed.encoder.encoders.(\d+).feed_forward_(in|out).net.2": r"model.embed_tokens_extend.audio_embed.encoder.encoders.\1.feed_forward_\2.down_proj",
    r"^model.embed_tokens_extend.audio_embed.encoder.encoders.(\d+).self_attn.linear_(q|k|v)": r"model.embed_tokens_extend.audio_embed.encoder.encoders.\1.self_attn.\2_proj",
    r"^model.embed_tokens_extend.audio_embed.encoder.encoders.(\d+).self_attn.linear_out": r"model.embed_tokens_extend.audio_embed.encoder.encoders.\1.self_attn.o_proj",
    r"^model.embed_tokens_extend.image_embed.img_projection.0": r"model.embed_tokens_extend.image_embed.img_projection_up",
    r"^model.embed_tokens_extend.image_embed.img_projection.2": r"model.embed_tokens_extend.image_embed.img_projection_down",
    r"^model.embed_tokens_extend.image_embed.glb_GN": r"model.embed_tokens_extend.image_embed.global_img_feature_extensor",
    r"^model.embed_tokens_extend.image_embed.sub_GN": r"model.embed_tokens_extend.image_embed.sub_img_feature_extensor",
    r"^model.embed_tokens_extend.audio_embed.audio_projection.speech.0": r"model.embed_tokens_extend.audio_embed.up_proj_for_speech",
    r"^model.embed_tokens_extend.audio_embed.audio_projection.speech.2": r"model.embed_tokens_extend.audio_embed.down_proj_for_speech",
    r"^model.embed_tokens_extend.audio_embed.audio_projection.vision.0": r"model.embed_tokens_extend.audio_embed.up_proj_for_vision_speech",
    r"^model.embed_tokens_extend.audio_embed.audio_projection.vision.2": r"model.embed_tokens_extend.audio_embed.down_proj_for_vision_speech",
}
LORA_TARGET = re.compile(r"^(model\.layers\.\d+\.(?:self_attn\.(?:qkv_proj|o_proj)|mlp\.(?:gate_up_proj|down_proj)))"
                         r"\.weight$")


def to_original(name):
    for pattern, replacement in ORIGINAL_FROM_TRANSFORMERS:
        new, n = re.subn(pattern, replacement, name)
        if n:
            return new
    m = LORA_TARGET.match(name)
    if m:
        return m.group(1) + ".base_layer.weight"
    return name


def converter_forward(old):
    for pattern, replacement in CONVERTER_MAPPING.items():
        new, n = re.subn(pattern, replacement, old)
        if n:
            return new
    if "base_layer." in old:
        return old.replace("base_layer.", "")
    return old


def make_image(name, width, height):
    """Smooth gradients, stripes and a block (small PNGs, edges for the resampler)."""
    y, x = np.mgrid[0:height, 0:width]
    seed = sum(ord(c) for c in name)
    r = (x * 255) // max(1, width - 1)
    g = (y * 255) // max(1, height - 1)
    b = ((x // 9 + y // 13 + seed) % 2) * 180 + 40
    img = np.stack([r, g, b], axis=-1)
    img[height // 4: height // 2, width // 3: width // 2] = [250, 30, 90]
    return np.clip(img, 0, 255).astype(np.uint8)


def make_audio(seconds, rate=16000):
    t = np.arange(int(seconds * rate)) / rate
    f = 200 + 900 * t
    s = 0.3 * np.sin(2 * np.pi * f * t) + 0.1 * np.sin(2 * np.pi * 3 * f * t + 0.5)
    s += 0.02 * np.sin(2 * np.pi * 7919 * t * t)
    return np.round(np.clip(s, -1, 1) * 32767).astype(np.int16)


def digest(blob, array, rng):
    """A float tensor described exactly (SHA-256 of its float32 little-endian bytes) with diagnostics."""
    a = np.ascontiguousarray(np.asarray(array, dtype="<f4"))
    flat = a.reshape(-1)
    idx = sorted(rng.sample(range(flat.size), min(SAMPLES, flat.size)))
    return {"shape": list(a.shape), "sha256": hashlib.sha256(a.tobytes()).hexdigest(), "sum": float(flat.astype(np.float64).sum()),
            "sample_indices": idx, "samples": blob.add(flat[idx])}


def convert_config(original):
    """The converter's convert_config, plus this project's vision_config test extension."""
    import transformers

    c = copy.deepcopy(original)
    for k in ["_comment", "_name_or_path", "architectures", "auto_map", "vision_lora", "speech_lora",
              "transformers_version", "_attn_implementation"]:
        c.pop(k, None)
    vision_extension = c.pop("vision_config", {})
    embd = c.pop("embd_layer")
    audio_embd = {k: v for k, v in embd["audio_embd_layer"].items() if k in ["downsample_rate"]}
    vision_embd = {k: v for k, v in embd["image_embd_layer"].items() if k in ["crop_size"]}
    audio = c.pop("audio_processor")["config"]
    for k in ["activation_checkpointing", "cnn_layer_norm", "input_layer", "batch_norm", "encoder_embedding_config",
              "ext_pw_kernel_size", "bias_in_glu", "causal"]:
        audio.pop(k, None)
    audio["hidden_size"] = audio.pop("attention_dim")
    audio["num_attention_heads"] = audio.pop("attention_heads")
    audio["intermediate_size"] = audio.pop("linear_units")
    audio["nemo_conv_channels"] = audio.pop("nemo_conv_settings")["conv_channels"]
    audio["bias_max_distance"] = audio.pop("relative_attention_bias_args")["t5_bias_max_distance"]
    # the original config misspells it; transformers' converter passes it through unread (both are 1024 in the real
    # checkpoint), so a shrunk tower needs the transformers spelling
    audio["depthwise_separable_out_channel"] = audio.pop("depthwise_seperable_out_channel")
    audio = {**audio, **audio_embd}
    audio_config = transformers.Phi4MultimodalAudioConfig(**audio)
    vision_config = transformers.Phi4MultimodalVisionConfig(**vision_embd, **vision_extension)
    c["eos_token_id"] = [199999, 200020]
    c.pop("torch_dtype", None)
    c.pop("model_type", None)
    return transformers.Phi4MultimodalConfig(**c, vision_config=vision_config, audio_config=audio_config)


class Lora:
    """The two adapters: PEFT when available (primary), else merged into the base weights per mode."""

    def __init__(self, model, original, shapes):
        self.model = model
        self.specs = {"vision": original["vision_lora"], "speech": original["speech_lora"]}
        self.peft = False
        self.peft_error = None
        try:
            import peft  # noqa: F401
            from peft import LoraConfig

            for name, spec in self.specs.items():
                cfg = LoraConfig(r=spec["r"], lora_alpha=spec["lora_alpha"], lora_dropout=0.0,
                                 target_modules=r"model.layers.\d+.((self_attn.(qkv|o)_proj)|(mlp.(gate_up|down)_proj))")
                model.add_adapter(cfg, adapter_name=name)
            self.peft = True
            print("LoRA: PEFT adapters", peft.__version__, flush=True)
        except Exception as e:  # recorded in the fixture; the merged weights are the same function
            traceback.print_exc()
            self.peft_error = f"{type(e).__name__}: {e}"
            print("LoRA: merging (peft unavailable:", self.peft_error, ")", flush=True)
        self.base = {}
        self.shapes = shapes

    def fill_done(self):
        """Remembers the base weights of the LoRA targets (for the merged mode)."""
        import torch

        for pname, param in self.model.named_parameters():
            o = to_original(pname)
            if o.endswith(".base_layer.weight"):
                self.base[pname] = param.detach().clone()
        if not self.base:
            raise AssertionError("no LoRA target weights found")
        # the adapter matrices by their original names (for the merged path and the fixture's name list)
        for pname in self.base:
            target = to_original(pname)[: -len(".base_layer.weight")]
            out_f, in_f = self.base[pname].shape
            for adapter, spec in self.specs.items():
                self.shapes[f"{target}.lora_A.{adapter}.weight"] = [spec["r"], in_f]
                self.shapes[f"{target}.lora_B.{adapter}.weight"] = [out_f, spec["r"]]
        del torch

    def merged_weight(self, pname, adapter):
        import torch

        target = to_original(pname)[: -len(".base_layer.weight")]
        spec = self.specs[adapter]
        base = self.base[pname]
        a = torch.from_numpy(prng_values(f"{target}.lora_A.{adapter}.weight", spec["r"] * base.shape[1])
                             .reshape(spec["r"], base.shape[1]))
        b = torch.from_numpy(prng_values(f"{target}.lora_B.{adapter}.weight", base.shape[0] * spec["r"])
                             .reshape(base.shape[0], spec["r"]))
        return base + (spec["lora_alpha"] / spec["r"]) * (b @ a)

    def set_mode(self, adapter, force_merge=False):
        """adapter: None (base), "vision" or "speech"."""
        import torch

        if self.peft and not force_merge:
            self._restore_base()
            if adapter is None:
                self.model.disable_adapters()
            else:
                self.model.enable_adapters()
                self.model.set_adapter(adapter)
            return "peft"
        if self.peft:
            self.model.disable_adapters()
        params = dict(self.model.named_parameters())
        with torch.no_grad():
            for pname in self.base:
                params[pname].copy_(self.base[pname] if adapter is None else self.merged_weight(pname, adapter))
        return "merged"

    def _restore_base(self):
        import torch

        params = dict(self.model.named_parameters())
        with torch.no_grad():
            for pname in self.base:
                params[pname].copy_(self.base[pname])


def adapter_for(prompt):
    """modeling_phi4mm.py: VISION and VISION_SPEECH -> vision, SPEECH -> speech, LANGUAGE -> none."""
    if prompt["images"]:
        return "vision"
    if prompt["audios"]:
        return "speech"
    return None


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", required=True)
    parser.add_argument("--tokenizer", required=True, help="folder with the phi4mm tokenizer.json")
    parser.add_argument("--config", required=True, help="tools/reference/phi4mm_tiny_config.json")
    args = parser.parse_args()
    selftest()

    import torch
    import transformers
    from PIL import Image
    from transformers import AutoTokenizer

    torch.set_grad_enabled(False)
    torch.manual_seed(0)
    torch.set_num_threads(max(1, os.cpu_count() or 1))
    started = time.time()
    out_dir = args.out
    os.makedirs(os.path.join(out_dir, "images"), exist_ok=True)
    os.makedirs(os.path.join(out_dir, "audio"), exist_ok=True)
    with open(args.config) as f:
        original = json.load(f)
    print("transformers", transformers.__version__, "torch", torch.__version__, "Phi4Multimodal:",
          hasattr(transformers, "Phi4MultimodalForCausalLM"), flush=True)
    try:
        import peft
        print("peft", peft.__version__, flush=True)
    except ImportError as e:
        print("peft: not installed:", e, flush=True)

    # --- media --------------------------------------------------------------------------------------------
    images = {}
    for name, (w, h) in IMAGES.items():
        path = os.path.join(out_dir, "images", name + ".png")
        Image.fromarray(make_image(name, w, h), "RGB").save(path, optimize=True)
        images[name] = Image.open(path).convert("RGB")
    audios = {}
    for name, seconds in AUDIO.items():
        pcm = make_audio(seconds)
        path = os.path.join(out_dir, "audio", name + ".wav")
        with wave.open(path, "wb") as w:
            w.setnchannels(1)
            w.setsampwidth(2)
            w.setframerate(16000)
            w.writeframes(pcm.tobytes())
        audios[name] = pcm.astype(np.float32) / 32768.0

    # --- processors ---------------------------------------------------------------------------------------
    pblob = FloatBlob()
    prng = random.Random(4242)
    improc = transformers.Phi4MultimodalImageProcessor(dynamic_hd=PREPROCESSOR["dynamic_hd"])
    print("image processor:", type(improc).__name__, flush=True)
    fe = transformers.Phi4MultimodalFeatureExtractor(
        audio_compression_rate=PREPROCESSOR["audio_compression_rate"],
        audio_downsample_rate=PREPROCESSOR["audio_downsample_rate"],
        audio_feat_stride=PREPROCESSOR["audio_feat_stride"])
    pfix = {"transformers_version": transformers.__version__, "torch_version": torch.__version__,
            "image_processor": type(improc).__name__, "preprocessor_config": PREPROCESSOR, "floats": "phi4mm_processor.bin"}

    def describe_images(out):
        pv = out["image_pixel_values"]
        mask = out["image_attention_mask"]
        return {"pixel_values": digest(pblob, pv.numpy(), prng),
                "attention_mask_shape": list(mask.shape),
                "attention_mask": "".join("1" if v else "0" for v in mask.reshape(-1).tolist()),
                "image_sizes": out["image_sizes"].tolist(),
                "num_img_tokens": [int(v) for v in out["num_img_tokens"]]}

    def write_processor():
        with open(os.path.join(out_dir, "phi4mm_processor.json"), "w") as f:
            json.dump(pfix, f, separators=(",", ":"))
        pblob.write(os.path.join(out_dir, "phi4mm_processor.bin"))

    processed = {}
    pfix["images"] = {}
    for name in IMAGES:
        out = improc(images=[images[name]], return_tensors="pt")
        processed[name] = out
        entry = describe_images(out)
        entry["file"] = f"images/{name}.png"
        entry["dynamic_hd"] = PREPROCESSOR["dynamic_hd"]
        pfix["images"][name] = entry
        print(f"image {name}: pixel_values {entry['pixel_values']['shape']} sizes {entry['image_sizes']} "
              f"tokens {entry['num_img_tokens']}", flush=True)
    # the closest-aspect-ratio branch: more crops than dynamic_hd allows
    out = transformers.Phi4MultimodalImageProcessor(dynamic_hd=2)(images=[images["big_700x460"]], return_tensors="pt")
    entry = describe_images(out)
    entry["file"] = "images/big_700x460.png"
    entry["dynamic_hd"] = 2
    pfix["images"]["big_700x460_hd2"] = entry
    # a batch of images with different crop counts: padded to the most crops
    batch_names = ["small_80x60", "tall_60x900", "wide_500x120"]
    out = improc(images=[images[n] for n in batch_names], return_tensors="pt")
    entry = describe_images(out)
    entry["files"] = [f"images/{n}.png" for n in batch_names]
    pfix["image_batch"] = entry
    # the original processor's path (PIL resize, as vLLM's Phi4MMProcessor does), for comparison only
    try:
        name = "wide_500x120"
        hd = processed[name]["image_sizes"][0].tolist()
        img = images[name]
        w, h = img.size
        ratio_w, ratio_h = hd[1] / w, hd[0] / h
        new = (hd[1], int(h * ratio_w)) if ratio_w < ratio_h else (int(w * ratio_h), hd[0])
        res = np.asarray(img.resize(new, Image.BILINEAR), dtype=np.float32)
        canvas = np.full((hd[0], hd[1], 3), 255, dtype=np.float32)
        canvas[:new[1], :new[0]] = res
        t = (torch.from_numpy(canvas).permute(2, 0, 1) / 255.0 - 0.5) / 0.5
        crops = t.reshape(3, hd[0] // 448, 448, hd[1] // 448, 448).permute(1, 3, 0, 2, 4).reshape(-1, 3, 448, 448)
        tv = processed[name]["image_pixel_values"][0, 1:1 + crops.shape[0]]
        pfix["pil_path_vs_transformers_max_abs"] = float((tv - crops).abs().max())
        print("original (PIL) path vs transformers, sub-crops:", pfix["pil_path_vs_transformers_max_abs"], flush=True)
    except Exception as e:
        traceback.print_exc()
        pfix["pil_path_vs_transformers_max_abs"] = f"failed: {e}"
    pfix["audio"] = {}
    audio_features = {}
    for name in AUDIO:
        out = fe(audios[name], sampling_rate=16000, return_tensors="pt")
        audio_features[name] = out
        feats = out["audio_input_features"]
        pfix["audio"][name] = {"file": f"audio/{name}.wav", "samples": int(audios[name].shape[0]),
                               "audio_input_features": pblob.add(feats.numpy()),
                               "audio_embed_sizes": out["audio_embed_sizes"].tolist(),
                               "keys": sorted(out.keys())}
        print(f"audio {name}: features {list(feats.shape)} embed sizes {out['audio_embed_sizes'].tolist()}", flush=True)
    write_processor()

    # --- model --------------------------------------------------------------------------------------------
    config = convert_config(original)
    try:
        model = transformers.Phi4MultimodalForCausalLM._from_config(config, attn_implementation="eager",
                                                                   dtype=torch.float32).eval()
    except Exception:
        traceback.print_exc()
        config._attn_implementation = "eager"
        model = transformers.Phi4MultimodalForCausalLM(config).float().eval()
    print("model:", type(model).__name__, "attention:", config._attn_implementation,
          "vision:", getattr(config.vision_config, "_attn_implementation", "?"),
          "audio:", getattr(config.audio_config, "_attn_implementation", "?"), flush=True)
    shapes = {}
    lora = Lora(model, original, shapes)
    tied = original["tie_word_embeddings"]
    checked = 0
    with torch.no_grad():
        for pname, param in model.named_parameters(remove_duplicate=False):
            if tied and pname == "lm_head.weight":
                continue
            oname = to_original(pname)
            if ".lora_" not in oname and converter_forward(oname) != pname.replace("base_layer.", ""):
                raise AssertionError(f"name mapping is not the converter's inverse: {pname} -> {oname} -> "
                                     f"{converter_forward(oname)}")
            checked += 1
            param.copy_(torch.from_numpy(prng_values(oname, param.numel()).reshape(tuple(param.shape))))
            shapes[oname] = list(param.shape)
    if tied and model.lm_head.weight.data_ptr() != model.model.embed_tokens.weight.data_ptr():
        raise AssertionError("tie_word_embeddings is set but lm_head.weight is not embed_tokens.weight")
    lora.fill_done()
    print(f"{checked} parameters filled by original name", flush=True)

    tokenizer = AutoTokenizer.from_pretrained(args.tokenizer)
    vocab = original["vocab_size"]
    subset = sorted(random.Random(20260601).sample(range(vocab), SUBSET))
    subset_t = torch.tensor(subset)
    mblob = FloatBlob()
    rotary = model.model.rotary_emb if hasattr(model.model, "rotary_emb") else None
    fixture = {"config": "phi4mm_tiny_config.json", "floats": "phi4mm.bin",
               "transformers_version": transformers.__version__, "torch_version": torch.__version__,
               "attn_implementation": "eager", "lora": "peft" if lora.peft else "merged",
               "lora_peft_error": lora.peft_error, "image_token_id": IMAGE_TOKEN_ID, "audio_token_id": AUDIO_TOKEN_ID,
               "vocab_subset": subset, "decode_subset_size": DECODE_SUBSET, "new_tokens": NEW_TOKENS,
               "parameters": shapes, "placeholder_ids": {}, "prompts": []}
    if rotary is not None:
        fixture["attention_scaling"] = float(getattr(rotary, "attention_scaling", float("nan")))
    for ph in ["<|image_1|>", "<|image_2|>", "<|audio_1|>"]:
        fixture["placeholder_ids"][ph] = tokenizer(ph, add_special_tokens=False).input_ids

    def write_model():
        with open(os.path.join(out_dir, "phi4mm.json"), "w") as f:
            json.dump(fixture, f, separators=(",", ":"), default=str)
        mblob.write(os.path.join(out_dir, "phi4mm.bin"))

    # projected image embeddings, captured per image
    captured = []
    hook = model.model.embed_tokens_extend.image_embed.img_projection_down.register_forward_hook(
        lambda m, i, o: captured.append(o.detach().clone()))
    # audio: the conformer encoder's output and the projected embeddings, for the audio tower's own tests
    audio_captured = {}
    ae = model.model.embed_tokens_extend.audio_embed

    def keep(key):
        return lambda m, i, o: audio_captured.__setitem__(key, (o[0] if isinstance(o, tuple) else o).detach().clone())

    hooks = [ae.encoder.register_forward_hook(keep("encoder")),
             ae.down_proj_for_speech.register_forward_hook(keep("projected_speech")),
             ae.down_proj_for_vision_speech.register_forward_hook(keep("projected_vision"))]

    def media_inputs(prompt):
        kw = {}
        if prompt["images"]:
            out = improc(images=[images[n] for n in prompt["images"]], return_tensors="pt")
            kw.update(image_pixel_values=out["image_pixel_values"], image_sizes=out["image_sizes"],
                      image_attention_mask=out["image_attention_mask"])
            counts = [int(v) for v in out["num_img_tokens"]]
        else:
            counts = []
        acounts = []
        if prompt["audios"]:
            out = fe([audios[n] for n in prompt["audios"]], sampling_rate=16000, return_tensors="pt")
            kw.update(audio_input_features=out["audio_input_features"], audio_embed_sizes=out["audio_embed_sizes"])
            if "audio_attention_mask" in out:
                kw["audio_attention_mask"] = out["audio_attention_mask"]
            acounts = [int(v) for v in out["audio_embed_sizes"]]
        return kw, counts, acounts

    for prompt in PROMPTS:
        t0 = time.time()
        try:
            adapter = adapter_for(prompt)
            how = lora.set_mode(adapter)
            kw, counts, acounts = media_inputs(prompt)
            whole = tokenizer(prompt["text"], add_special_tokens=False).input_ids
            expanded, ranges, pos = [], [], 0
            for m in PLACEHOLDER.finditer(prompt["text"]):
                expanded += tokenizer(prompt["text"][pos:m.start()], add_special_tokens=False).input_ids
                kind, index = m.group(1), int(m.group(2))
                n = counts[index - 1] if kind == "image" else acounts[index - 1]
                ranges.append({"modality": kind, "index": index, "offset": len(expanded), "length": n})
                expanded += [IMAGE_TOKEN_ID if kind == "image" else AUDIO_TOKEN_ID] * n
                pos = m.end()
            expanded += tokenizer(prompt["text"][pos:], add_special_tokens=False).input_ids
            captured.clear()
            audio_captured.clear()
            ids = torch.tensor([expanded])
            out = model(input_ids=ids, use_cache=True, **kw)
            logits = out.logits[0].float()
            media_pos = set()
            for r in ranges:
                media_pos.update(range(r["offset"], r["offset"] + r["length"]))
            text_pos = [i for i in range(len(expanded)) if i not in media_pos]
            top_v, top_i = torch.topk(logits[-1], 5)
            entry = {"name": prompt["name"], "text": prompt["text"], "images": prompt["images"],
                     "audios": prompt["audios"], "adapter": adapter, "lora": how, "prompt_ids": whole,
                     "expanded_ids": expanded, "media": ranges, "logit_positions": text_pos,
                     "prefill_subset": mblob.add(logits[text_pos][:, subset_t].numpy()),
                     "last_top5_ids": top_i.tolist(), "last_top5_values": mblob.add(top_v.numpy())}
            if prompt["images"] and len(captured) == len(prompt["images"]):
                entry["image_embedding_rows"] = [int(c.shape[-2]) for c in captured]
                if prompt["name"] == "two_images":
                    entry["image_embedding_0"] = mblob.add(captured[0].reshape(-1, captured[0].shape[-1]).numpy())
                    # each image alone through the same model: batched (padded crops) vs alone
                    diffs = []
                    for i, name in enumerate(prompt["images"]):
                        single = {"images": [name], "audios": []}
                        skw, scounts, _ = media_inputs(single)
                        captured_before = len(captured)
                        sids = torch.tensor([[IMAGE_TOKEN_ID] * scounts[0]])
                        model(input_ids=sids, use_cache=False, **skw)
                        alone = captured[captured_before]
                        diffs.append(float((alone.reshape(-1) - captured[i].reshape(-1)).abs().max()))
                    entry["batched_vs_alone_image_embedding_max_abs"] = diffs
            for key, value in audio_captured.items():
                entry["audio_" + key] = mblob.add(value.reshape(-1, value.shape[-1]).numpy())
            if lora.peft:  # the merged weights, for comparison
                lora.set_mode(adapter, force_merge=True)
                merged_logits = model(input_ids=ids, use_cache=False, **kw).logits[0].float()
                entry["peft_vs_merged_max_abs"] = float((merged_logits - logits).abs().max())
                lora.set_mode(adapter)

            # 64 greedy tokens. Prompts longer than original_max_position_embeddings use the long factors from the
            # start, so the KV cache is exact; shorter ones are recomputed whole at every step (transformers'
            # LongRoPE switch, as phi3_reference.py does).
            recompute = len(expanded) <= original["original_max_position_embeddings"]
            past, last = out.past_key_values, logits[-1]
            generated, step_logits = [], []
            for step in range(NEW_TOKENS):
                step_logits.append(last)
                token = int(last.argmax())
                generated.append(token)
                if step + 1 == NEW_TOKENS:
                    break
                if recompute:
                    o = model(input_ids=torch.tensor([expanded + generated]), use_cache=False, logits_to_keep=1, **kw)
                else:
                    o = model(input_ids=torch.tensor([[token]]), past_key_values=past, use_cache=True)
                    past = o.past_key_values
                last = o.logits[0, -1].float()
            step_logits = torch.stack(step_logits)
            top2 = torch.topk(step_logits, 2, dim=-1).values
            dv, di = torch.topk(step_logits, 5, dim=-1)
            entry.update({"greedy": generated, "decode_recomputed": recompute,
                          "decode_subset": mblob.add(step_logits[:, subset_t[:DECODE_SUBSET]].numpy()),
                          "decode_top5_ids": di.tolist(), "decode_top5_values": mblob.add(dv.numpy()),
                          "decode_min_margin": float((top2[:, 0] - top2[:, 1]).min())})
            fixture["prompts"].append(entry)
            write_model()
            print(f"{prompt['name']} ({adapter}, {how}): {len(whole)} ids -> {len(expanded)} tokens, media "
                  f"{[(r['modality'], r['length']) for r in ranges]}; greedy {generated[:6]}...; margin "
                  f"{entry['decode_min_margin']:.3g}; peft vs merged {entry.get('peft_vs_merged_max_abs')}; "
                  f"batched vs alone {entry.get('batched_vs_alone_image_embedding_max_abs')}; "
                  f"{time.time() - t0:.1f} s", flush=True)
        except Exception:
            traceback.print_exc()
            fixture.setdefault("failed", []).append(prompt["name"])
            write_model()
    hook.remove()
    for h in hooks:
        h.remove()
    with open(os.path.join(out_dir, "phi4mm_tiny_config.json"), "w") as f:
        json.dump(original, f, indent=2)
        f.write("\n")
    write_model()
    print(f"done in {time.time() - started:.1f} s; {mblob.size * 4} + {pblob.size * 4} bytes of floats; failed: "
          f"{fixture.get('failed')}", flush=True)
    return 1 if fixture.get("failed") else 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except Exception:
        traceback.print_exc()
        sys.exit(1)
