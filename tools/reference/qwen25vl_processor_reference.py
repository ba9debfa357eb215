#!/usr/bin/env python3
"""Reference outputs of transformers' Qwen2.5-VL processor for model-qwen25vl's processor parity tests.

Two steps:

  1. ``--make-inputs DIR`` (numpy, Pillow and the ffmpeg command line; no torch): draws the test images and video
     frames deterministically and saves them as PNG (plus one JPEG, GIF, lossless WebP, grey and RGBA image for the
     decoding checks, and the 10-frame clip as a lossless FFV1/Matroska file and a lossy H.264/MP4 file). They are
     committed under model-qwen25vl/src/test/resources/fixtures/qwen25vl-processor/inputs.
  2. ``--inputs DIR --tokenizer TOKDIR --out OUT`` (transformers 5, torch, torchvision): runs the processor that
     ``AutoProcessor`` gives for a folder laid out like Qwen/Qwen2.5-VL-7B-Instruct (its preprocessor_config.json,
     no video_preprocessor_config.json) with the real tokenizer, and ``get_rope_index`` of a tiny
     Qwen2_5_VLForConditionalGeneration built from the real config's vision/token settings. Writes ``cases.json``
     (ids, grids, positions, rope deltas, second_per_grid_ts), ``pixels.bin.gz`` (float32 little-endian blocks the
     JSON points into) and ``decoded.bin`` (Pillow's RGB bytes of the decoding-check images after transformers'
     ``convert_to_rgb``, and for RGBA also after vLLM's ``rgba_to_rgb``). Images reach the processor as vLLM's
     media loader hands them over (RGBA composited over white, which is what Tessera's server does), videos as
     lists of frames or, where a video backend is installed, as the MP4 file. Every fixture is written as soon as it
     is computed; a failing case is reported with its traceback and recorded as failed, the others go on.

Usage on the GPU machine: copy this script, the inputs folder and the tokenizer folder, then
  python3 qwen25vl_processor_reference.py --inputs inputs --tokenizer qwen25vl --out $OUT
"""

import argparse
import gzip
import inspect
import json
import os
import shutil
import subprocess
import sys
import tempfile
import traceback

import numpy as np

IMAGE_TOKEN_ID = 151655
VIDEO_TOKEN_ID = 151656

# Qwen/Qwen2.5-VL-7B-Instruct's preprocessor_config.json (the repo has no video_preprocessor_config.json, so the video
# processor falls back to this file as well).
PREPROCESSOR_CONFIG = {
    "min_pixels": 3136,
    "max_pixels": 12845056,
    "patch_size": 14,
    "temporal_patch_size": 2,
    "merge_size": 2,
    "image_mean": [0.48145466, 0.4578275, 0.40821073],
    "image_std": [0.26862954, 0.26130258, 0.27577711],
    "image_processor_type": "Qwen2VLImageProcessor",
    "processor_class": "Qwen2_5_VLProcessor",
}

# Qwen2.5-VL-7B-Instruct's config.json with the widths and depths shrunk (only the token ids and the vision settings
# matter to the processor and get_rope_index).
TINY_CONFIG = {
    "architectures": ["Qwen2_5_VLForConditionalGeneration"],
    "model_type": "qwen2_5_vl",
    "bos_token_id": 151643,
    "eos_token_id": 151645,
    "vision_start_token_id": 151652,
    "vision_end_token_id": 151653,
    "vision_token_id": 151654,
    "image_token_id": IMAGE_TOKEN_ID,
    "video_token_id": VIDEO_TOKEN_ID,
    "hidden_act": "silu",
    "hidden_size": 32,
    "intermediate_size": 64,
    "num_hidden_layers": 1,
    "num_attention_heads": 4,
    "num_key_value_heads": 2,
    "max_position_embeddings": 128000,
    "max_window_layers": 1,
    "rms_norm_eps": 1e-06,
    "rope_theta": 1000000.0,
    "rope_scaling": {"type": "mrope", "mrope_section": [1, 1, 2]},
    "sliding_window": 32768,
    "use_sliding_window": False,
    "tie_word_embeddings": False,
    "vocab_size": 152064,
    "torch_dtype": "float32",
    "vision_config": {
        "depth": 1,
        "hidden_act": "silu",
        "hidden_size": 16,
        "intermediate_size": 32,
        "num_heads": 2,
        "in_chans": 3,
        "out_hidden_size": 32,
        "patch_size": 14,
        "spatial_merge_size": 2,
        "spatial_patch_size": 14,
        "window_size": 112,
        "fullatt_block_indexes": [0],
        "tokens_per_second": 2,
        "temporal_patch_size": 2,
    },
}

# name -> (height, width); drawn by draw_image(seed)
IMAGES = {
    "landscape": (60, 80),
    "tall": (100, 36),
    "small": (30, 40),  # below min_pixels: smart_resize scales it up
    "wide": (40, 150),
    "large": (90, 110),  # with max_pixels=4000 smart_resize scales it down
}
CLIP = ("clip", 3, 60, 90)  # 3 frames (padded to 4) resized to 56x84
SEQ = ("seq", 10, 56, 84)  # 10 frames at 2.5 fps, sampled at 0.5 fps: frames 0, 2, 5, 7; no resize
SEQ_FPS = 2.5

SAMPLE_TEXT = "Describe what you see."


def draw_image(height, width, seed, phase=0.0):
    """Smooth gradients, a sine pattern and noise: resampling differences show in every channel."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:height, 0:width].astype(np.float64)
    r = 255.0 * x / max(width - 1, 1)
    g = 127.5 + 127.5 * np.sin((x + 2.0 * y) / 5.0 + phase)
    b = 255.0 * ((x // 7 + y // 5) % 2)
    img = np.stack([r, g, b], axis=-1) * 0.8 + rng.uniform(0, 12, size=(height, width, 3))
    return np.clip(np.rint(img), 0, 255).astype(np.uint8)


def make_inputs(folder):
    from PIL import Image

    os.makedirs(folder, exist_ok=True)
    for i, (name, (h, w)) in enumerate(IMAGES.items()):
        Image.fromarray(draw_image(h, w, seed=100 + i), "RGB").save(os.path.join(folder, name + ".png"))
    for prefix, n, h, w in (CLIP, SEQ):
        for f in range(n):
            frame = draw_image(h, w, seed=200 + f if prefix == "clip" else 300 + f, phase=0.7 * f)
            Image.fromarray(frame, "RGB").save(os.path.join(folder, "%s_%03d.png" % (prefix, f)))
    # decoding checks
    Image.fromarray(draw_image(48, 64, seed=400), "RGB").save(os.path.join(folder, "smoke.jpg"), quality=90)
    Image.fromarray(draw_image(50, 40, seed=401), "RGB").quantize(colors=64).save(os.path.join(folder, "smoke.gif"))
    Image.fromarray(draw_image(40, 44, seed=402), "RGB").save(os.path.join(folder, "smoke.webp"), lossless=True)
    Image.fromarray(draw_image(52, 36, seed=403)[:, :, 1], "L").save(os.path.join(folder, "grey.png"))
    rgba = np.concatenate([draw_image(40, 50, seed=404), draw_image(40, 50, seed=405)[:, :, :1]], axis=-1)
    Image.fromarray(rgba, "RGBA").save(os.path.join(folder, "rgba.png"))
    # the 10-frame clip as files: lossless (decodes to the PNGs exactly) and lossy H.264
    pattern = os.path.join(folder, "seq_%03d.png")
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-framerate", str(SEQ_FPS), "-i", pattern, "-c:v", "ffv1",
                    "-pix_fmt", "bgr0", os.path.join(folder, "seq.mkv")], check=True)
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-framerate", str(SEQ_FPS), "-i", pattern, "-c:v", "libx264",
                    "-pix_fmt", "yuv420p", "-bitexact", os.path.join(folder, "seq.mp4")], check=True)
    print("inputs written to", folder)


# ---------------------------------------------------------------------------------------------------------------
# reference run

def as_vllm_loads(image):
    """vLLM's media loader: RGBA composited over opaque white (rgba_to_rgb); other modes go to the processor."""
    from PIL import Image

    if image.mode != "RGBA":
        return image
    background = Image.new("RGBA", image.size, (255, 255, 255, 255))
    return Image.alpha_composite(background, image).convert("RGB")


class Writer:
    """cases.json plus float32 blocks in pixels.bin.gz, rewritten after every case."""

    def __init__(self, out):
        self.out = out
        self.floats = []
        self.count = 0
        self.doc = {"versions": {}, "cases": [], "decoded": [], "failures": []}

    def block(self, array):
        a = np.ascontiguousarray(np.asarray(array, dtype=np.float32))
        ref = {"offset": self.count, "shape": list(a.shape)}
        self.floats.append(a.reshape(-1))
        self.count += a.size
        return ref

    def flush(self):
        with open(os.path.join(self.out, "cases.json"), "w") as f:
            json.dump(self.doc, f, indent=1)
        data = np.concatenate(self.floats) if self.floats else np.zeros(0, np.float32)
        with gzip.GzipFile(os.path.join(self.out, "pixels.bin.gz"), "wb", mtime=0) as f:
            f.write(data.astype("<f4").tobytes())


def dump_sources(out):
    """The code that defines the behaviour the Java side reproduces, for reading next to the fixtures."""
    import importlib

    import tarfile

    folder = tempfile.mkdtemp()
    modules = [
        "transformers.models.qwen2_vl.image_processing_qwen2_vl",
        "transformers.models.qwen2_vl.video_processing_qwen2_vl",
        "transformers.models.qwen2_5_vl.processing_qwen2_5_vl",
        "transformers.image_processing_backends",
        "transformers.video_processing_utils",
        "transformers.video_utils",
        "transformers.image_transforms",
        "torchvision.transforms.v2.functional._geometry",
        "torchvision.transforms.v2.functional._misc",
        "transformers.models.qwen2_5_vl.modeling_qwen2_5_vl",
        "transformers.image_utils",
    ]
    for name in modules:
        try:
            mod = importlib.import_module(name)
            shutil.copyfile(inspect.getsourcefile(mod), os.path.join(folder, name + ".py"))
        except Exception as e:  # noqa: BLE001 - reported, the fixtures do not depend on it
            print("source of", name, "not dumped:", repr(e))
    try:
        from transformers.models.qwen2_5_vl import modeling_qwen2_5_vl as m

        src = inspect.getsource(m.Qwen2_5_VLModel.get_rope_index)
        with open(os.path.join(folder, "get_rope_index.py"), "w") as f:
            f.write(src)
        for helper in ("get_vision_position_ids",):
            if hasattr(m.Qwen2_5_VLModel, helper):
                with open(os.path.join(folder, helper + ".py"), "w") as f:
                    f.write(inspect.getsource(getattr(m.Qwen2_5_VLModel, helper)))
    except Exception as e:  # noqa: BLE001
        print("get_rope_index source not dumped:", repr(e))
    with tarfile.open(os.path.join(out, "sources.tar.gz"), "w:gz") as tar:
        tar.add(folder, arcname="sources")


def build_processor(inputs, tokenizer_dir, work):
    import transformers

    folder = os.path.join(work, "qwen25vl-processor")
    os.makedirs(folder, exist_ok=True)
    for f in ("tokenizer.json", "tokenizer_config.json", "chat_template.jinja", "generation_config.json"):
        if os.path.exists(os.path.join(tokenizer_dir, f)):
            shutil.copyfile(os.path.join(tokenizer_dir, f), os.path.join(folder, f))
    with open(os.path.join(folder, "preprocessor_config.json"), "w") as f:
        json.dump(PREPROCESSOR_CONFIG, f, indent=2)
    with open(os.path.join(folder, "config.json"), "w") as f:
        json.dump(TINY_CONFIG, f, indent=2)
    try:
        processor = transformers.AutoProcessor.from_pretrained(folder)
    except Exception:  # noqa: BLE001 - printed; the processor is then assembled from its parts
        print("AutoProcessor failed, assembling Qwen2_5_VLProcessor by hand:\n" + traceback.format_exc())
        processor = transformers.Qwen2_5_VLProcessor(
            image_processor=transformers.AutoImageProcessor.from_pretrained(folder),
            tokenizer=transformers.AutoTokenizer.from_pretrained(folder),
            video_processor=transformers.AutoVideoProcessor.from_pretrained(folder))
    info = {"processor": type(processor).__name__, "image": type(processor.image_processor).__name__,
            "video": type(processor.video_processor).__name__, "tokenizer": type(processor.tokenizer).__name__,
            "image_processor": json.loads(json.dumps(processor.image_processor.to_dict(), default=str)),
            "video_processor": json.loads(json.dumps(processor.video_processor.to_dict(), default=str))}
    print("processor:", json.dumps(info))
    with open(os.path.join(tokenizer_dir, "chat_template.jinja")) as f:
        template = f.read()
    return processor, template, info


def tiny_model():
    """The model whose get_rope_index computes the M-RoPE positions, or None (printed) when none could be built."""
    import torch
    import transformers

    flat = {k: v for k, v in TINY_CONFIG.items() if k != "model_type"}
    text_keys = ("hidden_act", "hidden_size", "intermediate_size", "num_hidden_layers", "num_attention_heads",
                 "num_key_value_heads", "max_position_embeddings", "max_window_layers", "rms_norm_eps",
                 "sliding_window", "use_sliding_window", "vocab_size")
    nested = {k: v for k, v in flat.items() if k not in text_keys + ("rope_scaling", "rope_theta")}
    nested["text_config"] = {k: flat[k] for k in text_keys}
    nested["text_config"]["rope_parameters"] = {"rope_type": "default", "rope_theta": flat["rope_theta"],
                                                "mrope_section": flat["rope_scaling"]["mrope_section"]}
    for attempt in (flat, nested):
        try:
            config = transformers.Qwen2_5_VLConfig(**attempt)
            torch.manual_seed(0)
            model = transformers.Qwen2_5_VLForConditionalGeneration(config).eval()
            owner = model.model if hasattr(model.model, "get_rope_index") else model
            print("get_rope_index of", type(owner).__name__, inspect.signature(owner.get_rope_index))
            print("tokens_per_second:", getattr(config.vision_config, "tokens_per_second", None))
            return owner
        except Exception:  # noqa: BLE001 - printed; the next layout is tried
            print("tiny model failed:\n" + traceback.format_exc())
    return None


def rope_index(owner, out, input_ids):
    import torch

    params = inspect.signature(owner.get_rope_index).parameters
    candidates = {
        "input_ids": input_ids,
        "image_grid_thw": out.get("image_grid_thw"),
        "video_grid_thw": out.get("video_grid_thw"),
        "second_per_grid_ts": out.get("second_per_grid_ts"),
        "attention_mask": torch.ones_like(input_ids),
        "mm_token_type_ids": out.get("mm_token_type_ids"),
    }
    if "mm_token_type_ids" in params and candidates["mm_token_type_ids"] is None:
        # 0 text, 1 image, 2 video, as the v5 processors write them
        candidates["mm_token_type_ids"] = ((input_ids == IMAGE_TOKEN_ID).long()
                                           + 2 * (input_ids == VIDEO_TOKEN_ID).long())
    args = {k: v for k, v in candidates.items() if k in params}
    with torch.no_grad():
        positions, deltas = owner.get_rope_index(**args)
    return positions, deltas


def run_case(w, processor, template, owner, inputs, case):
    from PIL import Image
    import torch

    name = case["name"]
    messages_content = []
    images, videos = [], []
    for part in case["parts"]:
        if part.startswith("image:"):
            messages_content.append({"type": "image"})
            images.append(as_vllm_loads(Image.open(os.path.join(inputs, part[6:]))))
        elif part.startswith("video:"):
            messages_content.append({"type": "video"})
            if "*" in part:
                prefix, n = part[6:].split("*")
                videos.append([Image.open(os.path.join(inputs, "%s_%03d.png" % (prefix, f))) for f in range(int(n))])
            else:
                videos.append(os.path.join(inputs, part[6:]))
        else:
            messages_content.append({"type": "text", "text": part})
    messages = [{"role": "user", "content": messages_content}]
    text = processor.tokenizer.apply_chat_template(messages, chat_template=template, tokenize=False,
                                                   add_generation_prompt=True)
    prompt_ids = processor.tokenizer(text)["input_ids"]
    kwargs = dict(case.get("kwargs", {}))
    kwargs.update(case.get("hf_only_kwargs", {}))
    if "video_metadata" in kwargs:
        kwargs["video_metadata"] = [video_metadata(m) for m in kwargs["video_metadata"]]
    out = processor(text=[text], images=images or None, videos=videos or None, return_tensors="pt", **kwargs)
    input_ids = out["input_ids"]
    positions, deltas = None, None
    if owner is not None:
        try:
            positions, deltas = rope_index(owner, out, input_ids)
        except Exception:  # noqa: BLE001 - printed; the processor outputs are still recorded
            print("get_rope_index failed for", name, "\n" + traceback.format_exc())

    # sanity: collapsing each run of pad tokens gives back the unexpanded prompt
    collapsed = []
    for t in input_ids[0].tolist():
        if t in (IMAGE_TOKEN_ID, VIDEO_TOKEN_ID) and collapsed and collapsed[-1] == t:
            continue
        collapsed.append(t)
    if collapsed != prompt_ids:
        print("WARNING", name, "expanded ids do not collapse to the prompt ids")

    rec = {
        "name": name,
        "parts": case["parts"],
        "kwargs": case.get("kwargs", {}),
        "java": case.get("java", {}),
        "optional": case.get("optional", False),
        "text": text,
        "prompt_ids": prompt_ids,
        "input_ids": input_ids[0].tolist(),
        "positions": None if positions is None else positions[:, 0, :].tolist(),
        "rope_delta": None if deltas is None else int(deltas.reshape(-1)[0]),
        "keys": sorted(out.keys()),
    }
    if "pixel_values" in out:
        rec["pixel_values"] = w.block(out["pixel_values"].float().numpy())
        rec["image_grid_thw"] = out["image_grid_thw"].tolist()
    if "pixel_values_videos" in out:
        rec["pixel_values_videos"] = w.block(out["pixel_values_videos"].float().numpy())
        rec["video_grid_thw"] = out["video_grid_thw"].tolist()
        s = out.get("second_per_grid_ts")
        rec["second_per_grid_ts"] = None if s is None else [float(v) for v in torch.as_tensor(s).reshape(-1)]
    w.doc["cases"].append(rec)
    w.flush()
    print("case %-18s ids %4d  grids %s %s  delta %s  second_per_grid_ts %s" % (
        name, len(rec["input_ids"]), rec.get("image_grid_thw"), rec.get("video_grid_thw"), rec["rope_delta"],
        rec.get("second_per_grid_ts")))


def video_metadata(meta):
    """A VideoMetadata when this transformers has one with these fields, else the dict."""
    try:
        import dataclasses

        from transformers.video_utils import VideoMetadata

        names = {f.name for f in dataclasses.fields(VideoMetadata)}
        return VideoMetadata(**{k: v for k, v in meta.items() if k in names})
    except Exception:  # noqa: BLE001 - printed; the dict is passed as is
        print("VideoMetadata not built:\n" + traceback.format_exc())
        return meta


def cases():
    seq_meta = {"total_num_frames": SEQ[1], "fps": float(SEQ_FPS), "duration": SEQ[1] / SEQ_FPS,
                "width": SEQ[3], "height": SEQ[2]}
    return [
        {"name": "single_image", "parts": ["image:landscape.png", SAMPLE_TEXT]},
        {"name": "multi_image", "parts": ["Compare these:", "image:tall.png", "image:small.png", "and",
                                          "image:wide.png", "Which is widest?"]},
        {"name": "max_pixels", "parts": ["image:large.png", SAMPLE_TEXT],
         "kwargs": {"min_pixels": 3136, "max_pixels": 4000}},
        {"name": "max_pixels_only", "parts": ["image:large.png", SAMPLE_TEXT], "kwargs": {"max_pixels": 4000}},
        {"name": "formats", "parts": ["image:smoke.gif", "image:smoke.webp", "image:grey.png", "image:rgba.png",
                                      SAMPLE_TEXT]},
        {"name": "video_frames", "parts": ["video:clip*3", "What happens?"]},
        {"name": "mixed", "parts": ["First", "image:small.png", "then", "video:clip*3", "and", "image:wide.png",
                                    "Summarise."], "kwargs": {"fps": 4}},
        # Java: the same 10 frames as a lossless video file (2.5 fps), sampled at 0.5 fps by the processor.
        {"name": "video_sampled", "parts": ["video:seq*10", "What happens?"], "kwargs": {"fps": 0.5},
         "hf_only_kwargs": {"do_sample_frames": True, "video_metadata": [seq_meta]},
         "java": {"video_file": "seq.mkv"}},
        # The lossy H.264 file decoded by transformers' own video backend, if this machine has one (else recorded
        # as failed): Java decodes it with FFmpeg, so pixels agree only up to the YUV-to-RGB conversion.
        {"name": "video_file_mp4", "parts": ["video:seq.mp4", "What happens?"], "kwargs": {"fps": 0.5},
         "hf_only_kwargs": {"do_sample_frames": True}, "java": {"video_file": "seq.mp4"}, "optional": True},
    ]


def probe_smart_resize(w):
    """smart_resize at edges: rounding halves, tiny sides, extreme aspect ratios (result or the error)."""
    from transformers.models.qwen2_vl.image_processing_qwen2_vl import smart_resize

    probes = []
    for h, wd, lo, hi in ((42, 42, 3136, 12845056), (70, 70, 3136, 12845056), (98, 126, 3136, 12845056),
                          (5, 5, 3136, 12845056), (9, 300, 3136, 12845056), (10, 2100, 3136, 12845056),
                          (4000, 3000, 3136, 12845056), (14, 14, 100, 200), (1000, 20, 3136, 4000)):
        try:
            probes.append({"in": [h, wd, lo, hi], "out": list(smart_resize(h, wd, factor=28, min_pixels=lo,
                                                                           max_pixels=hi))})
        except Exception as e:  # noqa: BLE001 - the error is the recorded behaviour
            probes.append({"in": [h, wd, lo, hi], "error": "%s: %s" % (type(e).__name__, e)})
    w.doc["smart_resize"] = probes
    w.flush()
    print("smart_resize probes:", probes)


def reference(inputs, tokenizer_dir, out):
    import PIL
    import torch
    import torchvision
    import transformers
    from PIL import Image
    from transformers.image_transforms import convert_to_rgb

    os.makedirs(out, exist_ok=True)
    w = Writer(out)
    w.doc["versions"] = {
        "transformers": transformers.__version__, "torch": torch.__version__,
        "torchvision": torchvision.__version__, "pillow": PIL.__version__,
        "cpu_capability": torch.backends.cpu.get_cpu_capability(),
    }
    for backend in ("torchcodec", "av", "cv2", "decord"):
        try:
            mod = __import__(backend)
            w.doc["versions"][backend] = str(getattr(mod, "__version__", "present"))
        except Exception as e:  # noqa: BLE001 - recorded: which video backends this machine has
            w.doc["versions"][backend] = "absent (%s)" % type(e).__name__
    w.doc["preprocessor_config"] = PREPROCESSOR_CONFIG
    w.doc["config"] = TINY_CONFIG
    print("versions:", w.doc["versions"])
    w.flush()

    # decoding checks: Pillow's pixels after transformers' RGB conversion
    decoded = bytearray()
    for f in ("smoke.jpg", "smoke.gif", "smoke.webp", "grey.png", "rgba.png"):
        img = Image.open(os.path.join(inputs, f))
        rgb = np.asarray(convert_to_rgb(img), dtype=np.uint8)
        entry = {"file": f, "mode": img.mode, "height": rgb.shape[0], "width": rgb.shape[1], "offset": len(decoded)}
        decoded += rgb.tobytes()
        if img.mode == "RGBA":
            entry["vllm_offset"] = len(decoded)
            decoded += np.asarray(as_vllm_loads(img), dtype=np.uint8).tobytes()
        w.doc["decoded"].append(entry)
    with open(os.path.join(out, "decoded.bin"), "wb") as fh:
        fh.write(bytes(decoded))
    w.flush()

    work = tempfile.mkdtemp()
    processor, template, info = build_processor(inputs, tokenizer_dir, work)
    w.doc["processor"] = info
    w.flush()
    owner = tiny_model()
    for case in cases():
        try:
            run_case(w, processor, template, owner, inputs, case)
        except Exception:  # noqa: BLE001 - recorded and printed; the other cases still run
            tb = traceback.format_exc()
            print("case", case["name"], "FAILED\n" + tb)
            w.doc["failures"].append({"name": case["name"], "optional": case.get("optional", False), "traceback": tb})
            w.flush()
    probe_smart_resize(w)
    dump_sources(out)
    print("done:", len(w.doc["cases"]), "cases,", len(w.doc["failures"]), "failures,", w.count, "floats")


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--make-inputs")
    p.add_argument("--inputs")
    p.add_argument("--tokenizer")
    p.add_argument("--out")
    a = p.parse_args()
    if a.make_inputs:
        make_inputs(a.make_inputs)
    elif a.inputs and a.tokenizer and a.out:
        reference(a.inputs, a.tokenizer, a.out)
    else:
        p.error("give --make-inputs DIR, or --inputs, --tokenizer and --out")


if __name__ == "__main__":
    sys.exit(main())
