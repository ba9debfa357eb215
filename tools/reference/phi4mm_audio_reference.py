#!/usr/bin/env python3
"""Reference outputs of the audio side of Phi-4-multimodal-instruct (Phi4MMForCausalLM), computed by Hugging Face
transformers: the log-mel feature extractor, the conformer encoder and the two audio projections.

Tessera's ai.tessera.phi4mm.audio (model-phi4mm) is checked against these fixtures by Phi4MMAudio*Test.

  features   -> transformers' Phi4MultimodalFeatureExtractor (16 kHz; the real preprocessor's settings are its
                defaults), one clip at a time and the three clips in one padded call
  encoder    -> transformers' Phi4MultimodalAudioModel inside Phi4MultimodalAudioEmbedding, built from the
                audio part of tools/reference/phi4mm_tiny_config.json (the ORIGINAL config.json layout) converted as
                transformers' convert_phi4_multimodal_weights_to_hf.convert_config converts it
  projection -> the same Phi4MultimodalAudioEmbedding: up_proj, GELU, down_proj for "speech" and for "vision"

Weights are named as the ORIGINAL checkpoint names them (model.embed_tokens_extend.audio_embed.encoder.*,
...audio_projection.{speech,vision}.{0,2}.*); every value comes from the named PRNG of phi3_reference.py (Java twin
NamedWeightPrng), drawn by the original name and copied into transformers' parameter of the converted name
(TRANSFORMERS_TO_ORIGINAL below; tools/reference/phi4mm_audio.md documents it), once as they are ("prng") and once
rescaled so that the output depends on the audio ("scaled", see weight_values).

Needs numpy, torch and transformers (no network). Usage:

    python3 tools/reference/phi4mm_audio_reference.py --config tools/reference/phi4mm_tiny_config.json --out DIR

Writes into --out: phi4mm_audio.json (shapes, sizes, layout of the floats), phi4mm_audio.bin (little-endian
float32), phi4mm_tiny.config.json (a copy of --config) and audio/*.wav (the test clips, generated here: 16 kHz mono
16-bit PCM; the extractor gets samples / 32768, which is what FFmpeg's s16 -> float conversion gives too).
"""

import argparse
import json
import math
import os
import re
import shutil
import sys
import time
import traceback
import wave

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from phi3_reference import FloatBlob, prng_values, selftest  # noqa: E402  (the same PRNG; change both together)

AUDIO_PREFIX = "model.embed_tokens_extend.audio_embed."
SAMPLE_RATE = 16000
# name -> seconds; 0.5 s and 1.3 s are not whole numbers of 160-sample hops plus a 400-sample window
CLIPS = {"tone_0p5s": 0.5, "chirp_1p3s": 1.3, "speechlike_3s": 3.0}
# frames of the long synthetic input: > 8 * 500, so the encoder folds its 505 rows into chunks of 500
LONG_FRAMES = 4040
LONG_SCALE = 20.0
# "prng": NamedWeightPrng's values as they are (what the model tests of model-phi4mm use); "scaled": see weight_values
VARIANTS = ("prng", "scaled")

# transformers name (relative to audio_embed.) <- original name; the encoder part inverts STATE_DICT_MAPPING of
# convert_phi4_multimodal_weights_to_hf.py, the projections follow Phi4MultimodalAudioEmbedding's attribute names
TRANSFORMERS_TO_ORIGINAL = [
    (r"^encoder\.encoders\.(\d+)\.feed_forward_(in|out)\.gate_up_proj\.", r"encoder.encoders.\1.feed_forward_\2.net.0.linear."),
    (r"^encoder\.encoders\.(\d+)\.feed_forward_(in|out)\.down_proj\.", r"encoder.encoders.\1.feed_forward_\2.net.2."),
    (r"^encoder\.encoders\.(\d+)\.self_attn\.(q|k|v)_proj\.", r"encoder.encoders.\1.self_attn.linear_\2."),
    (r"^encoder\.encoders\.(\d+)\.self_attn\.o_proj\.", r"encoder.encoders.\1.self_attn.linear_out."),
    (r"^up_proj_for_speech\.", r"audio_projection.speech.0."),
    (r"^down_proj_for_speech\.", r"audio_projection.speech.2."),
    (r"^up_proj_for_vision_speech\.", r"audio_projection.vision.0."),
    (r"^down_proj_for_vision_speech\.", r"audio_projection.vision.2."),
]


def original_name(transformers_name):
    for pattern, replacement in TRANSFORMERS_TO_ORIGINAL:
        name, n = re.subn(pattern, replacement, transformers_name)
        if n:
            return AUDIO_PREFIX + name
    return AUDIO_PREFIX + transformers_name


def check_against_converter(originals):
    """transformers' own converter must map each original encoder name back to the name it was drawn for."""
    try:
        from transformers.models.phi4_multimodal.convert_phi4_multimodal_weights_to_hf import map_old_key_to_new
    except Exception:
        traceback.print_exc()
        print("WARNING: transformers' converter did not import; the mapping is checked by the table only", flush=True)
        return None
    checked = 0
    for hf, orig in originals.items():
        if ".audio_projection." in orig:
            continue  # the converter leaves audio_projection.* alone (transformers' checkpoint was converted elsewhere)
        if map_old_key_to_new(orig) != AUDIO_PREFIX + hf:
            raise AssertionError(f"converter maps {orig} to {map_old_key_to_new(orig)}, not {AUDIO_PREFIX + hf}")
        checked += 1
    print(f"converter agrees on {checked} encoder names", flush=True)
    return checked


def audio_config_kwargs(original):
    """convert_config's audio part: the original audio_processor.config renamed to Phi4MultimodalAudioConfig keys."""
    a = json.loads(json.dumps(original["audio_processor"]["config"]))
    for key in ("activation_checkpointing", "cnn_layer_norm", "input_layer", "encoder_embedding_config"):
        a.pop(key, None)
    a["hidden_size"] = a.pop("attention_dim")
    a["num_attention_heads"] = a.pop("attention_heads")
    a["intermediate_size"] = a.pop("linear_units")
    a["nemo_conv_channels"] = a.pop("nemo_conv_settings")["conv_channels"]
    a["bias_max_distance"] = a.pop("relative_attention_bias_args")["t5_bias_max_distance"]
    a["downsample_rate"] = original["embd_layer"]["audio_embd_layer"]["downsample_rate"]
    # the modeling file reads the original spelling, the config class declares the corrected one: give both
    a["depthwise_separable_out_channel"] = a["depthwise_seperable_out_channel"]
    return a


def build_embedding(original):
    import torch
    import transformers
    from transformers import Phi4MultimodalAudioConfig, Phi4MultimodalConfig
    from transformers.models.phi4_multimodal.modeling_phi4_multimodal import Phi4MultimodalAudioEmbedding

    kwargs = audio_config_kwargs(original)
    try:
        audio_config = Phi4MultimodalAudioConfig(**kwargs)
    except TypeError:
        traceback.print_exc()
        import dataclasses
        known = {f.name for f in dataclasses.fields(Phi4MultimodalAudioConfig)}
        audio_config = Phi4MultimodalAudioConfig(**{k: v for k, v in kwargs.items() if k in known})
    for key, value in kwargs.items():
        if getattr(audio_config, key, None) != value:
            setattr(audio_config, key, value)
            print(f"audio config: set {key} = {value} after construction", flush=True)
    audio_config._attn_implementation = "eager"
    config = Phi4MultimodalConfig(hidden_size=original["hidden_size"], audio_config=audio_config)
    config._attn_implementation = "eager"
    embedding = Phi4MultimodalAudioEmbedding(config).float().eval()
    for module in embedding.modules():
        cfg = getattr(module, "config", None)
        if cfg is not None and getattr(cfg, "_attn_implementation", "eager") != "eager":
            cfg._attn_implementation = "eager"
    print("transformers", transformers.__version__, "torch", torch.__version__, "audio attention:",
          embedding.encoder.config._attn_implementation, flush=True)
    return embedding, config


def weight_values(name, shape, variant):
    """The PRNG values of a tensor; the "scaled" variant rescales them so that signals survive the layers.

    With the bare PRNG (uniform +-0.05) every layer shrinks its input about tenfold while the biases stay, so the
    encoder's output hardly depends on the audio (its rows differ by ~1e-5): a parity test on it could not see a
    mistake in the input path. "scaled" keeps the PRNG values and multiplies those of every tensor of two or more
    dimensions by 1 / (0.05 * sqrt(fan_in)), fan_in = numel / shape[0] (so they are uniform in +-1/sqrt(fan_in),
    PyTorch's default bound for linear and conv layers), and adds 1.0 to layer_norm_att.weight and global_invstd
    (the PRNG itself centres only names ending in "norm.weight" on one); both in float64, then rounded to float32.
    Java twin: model-phi4mm/src/test/java/ai/tessera/phi4mm/audio/AudioPrngWeights.java.
    """
    count = int(np.prod(shape)) if len(shape) else 1
    values = prng_values(name, count)
    if variant == "scaled":
        if len(shape) >= 2:
            fan_in = count // shape[0]
            values = (values.astype(np.float64) * (1.0 / (0.05 * math.sqrt(fan_in)))).astype(np.float32)
        elif name.endswith("layer_norm_att.weight") or name.endswith("global_invstd"):
            values = (values.astype(np.float64) + 1.0).astype(np.float32)
    return values.reshape(tuple(shape))


def fill(embedding, shapes, variant):
    import torch

    originals = {}
    tensors = list(embedding.named_parameters()) + list(embedding.named_buffers())
    for hf, tensor in tensors:
        orig = original_name(hf)
        values = weight_values(orig, list(tensor.shape), variant)
        with torch.no_grad():
            tensor.copy_(torch.from_numpy(values))
        shapes[orig] = list(tensor.shape)
        originals[hf] = orig
    return originals


def make_clip(name, seconds):
    """Deterministic test audio: tones, a chirp or amplitude-modulated harmonics, plus PRNG noise; int16 PCM."""
    n = int(round(seconds * SAMPLE_RATE))
    t = np.arange(n, dtype=np.float64) / SAMPLE_RATE
    noise = prng_values("phi4mm_audio.noise." + name, n).astype(np.float64)  # in [-0.05, 0.05)
    if name.startswith("tone"):
        x = 0.4 * np.sin(2 * np.pi * 440.0 * t) + 0.2 * np.sin(2 * np.pi * 1250.0 * t)
    elif name.startswith("chirp"):
        f0, f1 = 200.0, 6000.0
        x = 0.5 * np.sin(2 * np.pi * (f0 * t + (f1 - f0) * t * t / (2 * seconds)))
    else:
        envelope = 0.5 * (1 + np.sin(2 * np.pi * 3.0 * t)) * np.minimum(1.0, t * 8)
        pitch = 120.0 + 30.0 * np.sin(2 * np.pi * 0.7 * t)
        phase = 2 * np.pi * np.cumsum(pitch) / SAMPLE_RATE
        x = envelope * sum(0.3 / k * np.sin(k * phase) for k in range(1, 12))
    x = x + noise
    return np.clip(np.round(x * 32767.0), -32768, 32767).astype(np.int16)


def write_wav(path, pcm):
    with wave.open(path, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(SAMPLE_RATE)
        w.writeframes(pcm.astype("<i2").tobytes())


def read_wav(path):
    with wave.open(path, "rb") as w:
        if (w.getnchannels(), w.getsampwidth(), w.getframerate()) != (1, 2, SAMPLE_RATE):
            raise AssertionError(f"{path}: unexpected WAV format")
        data = np.frombuffer(w.readframes(w.getnframes()), dtype="<i2")
    return (data.astype(np.float32) / np.float32(32768.0)).astype(np.float32)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", required=True)
    parser.add_argument("--config", required=True, help="phi4mm_tiny_config.json (original Phi4MMForCausalLM layout)")
    args = parser.parse_args()
    selftest()

    import torch
    import transformers
    from transformers import Phi4MultimodalFeatureExtractor

    torch.set_grad_enabled(False)
    torch.manual_seed(0)
    started = time.time()
    out_dir = args.out
    os.makedirs(os.path.join(out_dir, "audio"), exist_ok=True)
    with open(args.config) as f:
        original = json.load(f)
    shutil.copyfile(args.config, os.path.join(out_dir, "phi4mm_tiny.config.json"))
    blob = FloatBlob()
    fixture = {"config": "phi4mm_tiny.config.json", "floats": "phi4mm_audio.bin",
               "transformers_version": transformers.__version__, "torch_version": torch.__version__,
               "sample_rate": SAMPLE_RATE}

    def save():  # the fixture so far, after every stage, so that a failure later still leaves what was computed
        with open(os.path.join(out_dir, "phi4mm_audio.json"), "w") as f:
            json.dump(fixture, f, separators=(",", ":"))
        blob.write(os.path.join(out_dir, "phi4mm_audio.bin"))

    # --- feature extractor --------------------------------------------------------------------------------
    extractor = Phi4MultimodalFeatureExtractor()
    fixture["extractor"] = {k: getattr(extractor, k) for k in
                            ("feature_size", "sampling_rate", "hop_length", "n_fft", "win_length", "preemphasis",
                             "audio_compression_rate", "audio_downsample_rate", "audio_feat_stride")}
    fixture["mel_filters"] = blob.add(np.asarray(extractor.mel_filters, dtype=np.float32))
    clips, features = {}, {}
    for name, seconds in CLIPS.items():
        path = os.path.join(out_dir, "audio", name + ".wav")
        write_wav(path, make_clip(name, seconds))
        pcm = read_wav(path)
        out = extractor(pcm, sampling_rate=SAMPLE_RATE, return_tensors="pt")
        feats = out["audio_input_features"][0]
        size = int(out["audio_embed_sizes"][0])
        clips[name] = pcm
        features[name] = feats
        fixture.setdefault("clips", {})[name] = {
            "file": "audio/" + name + ".wav", "samples": int(pcm.shape[0]), "frames": int(feats.shape[0]),
            "audio_embed_size": size, "features": blob.add(feats.numpy()),
            "has_attention_mask": "audio_attention_mask" in out}
        print(f"clip {name}: {pcm.shape[0]} samples -> features {tuple(feats.shape)}, {size} audio tokens", flush=True)

    names = list(CLIPS)
    batch = extractor([clips[n] for n in names], sampling_rate=SAMPLE_RATE, return_tensors="pt")
    batched = {"audio_embed_sizes": [int(v) for v in batch["audio_embed_sizes"]],
               "features_shape": list(batch["audio_input_features"].shape),
               "attention_mask_lengths": [int(v) for v in batch["audio_attention_mask"].sum(-1)]}
    for i, n in enumerate(names):
        frames = features[n].shape[0]
        batched.setdefault("features_vs_single_max_abs_diff", {})[n] = float(
            (batch["audio_input_features"][i, :frames] - features[n]).abs().max())
    fixture["batched"] = batched
    print("batched extractor:", batched, flush=True)

    frames_list = list(range(1, 70)) + [100, 127, 128, 129, 297, 298, 299, 1000, 4000, 4001, 4040]
    sizes = extractor._compute_audio_embed_size(torch.tensor(frames_list))
    fixture["token_counts"] = [[f, int(s)] for f, s in zip(frames_list, sizes)]  # [frames, audio tokens]
    sample_list = [400, 559, 560, 8000, 20800, 48000, 160000]
    fixture["frame_counts"] = [[s, (s - extractor.win_length) // extractor.hop_length + 1] for s in sample_list]
    save()

    # --- encoder and projections, for each weight variant ----------------------------------------------------
    embedding, config = build_embedding(original)
    token_id = config.audio_config.audio_token_id
    hidden = config.hidden_size
    long_feats = torch.from_numpy(
        (prng_values("phi4mm_audio.long_features", LONG_FRAMES * 80) * np.float32(LONG_SCALE)).reshape(LONG_FRAMES, 80))
    fixture["long"] = {"name": "phi4mm_audio.long_features", "frames": LONG_FRAMES, "scale": LONG_SCALE}
    fixture["prng_check"] = {n: prng_values(n, 4).tolist() for n in
                             [AUDIO_PREFIX + "encoder.encoder_embedding.global_invstd",
                              AUDIO_PREFIX + "audio_projection.vision.2.bias"]}

    def project(feats, sizes, mask, mode):
        total = int(sum(sizes))
        ids = torch.full((1, total), token_id, dtype=torch.long)
        zeros = torch.zeros(1, total, hidden)
        try:
            out = embedding(ids, zeros, audio_input_features=feats, audio_embed_sizes=torch.tensor(sizes),
                            audio_attention_mask=mask, audio_projection_mode=mode)
            return out[0]
        except TypeError:  # a changed signature: the same computation from the module's own parts
            traceback.print_exc()
            print("WARNING: Phi4MultimodalAudioEmbedding.forward refused the call; projecting by hand", flush=True)
            up = embedding.up_proj_for_speech if mode == "speech" else embedding.up_proj_for_vision_speech
            down = embedding.down_proj_for_speech if mode == "speech" else embedding.down_proj_for_vision_speech
            encoded = down(torch.nn.functional.gelu(up(embedding.encoder(feats, mask))))
            return torch.cat([encoded[i, :s] for i, s in enumerate(sizes)])

    for variant in VARIANTS:
        shapes = {}
        originals = fill(embedding, shapes, variant)
        fixture["parameters"] = shapes  # original names -> shapes (buffers global_mean/global_invstd included)
        fixture["transformers_names"] = originals
        fixture["converter_checked_names"] = check_against_converter(originals)
        results = {"clips": {}}
        fixture.setdefault("variants", {})[variant] = results
        for name in names:
            feats = features[name][None]
            size = fixture["clips"][name]["audio_embed_size"]
            captured = {}
            hooks = [embedding.encoder.embed.register_forward_hook(
                         lambda m, i, o: captured.__setitem__("subsampled", o[0] if isinstance(o, tuple) else o)),
                     embedding.encoder.encoders[0].register_forward_hook(
                         lambda m, i, o: captured.__setitem__("layer0", o[0] if isinstance(o, tuple) else o))]
            try:
                encoded = embedding.encoder(feats, None)[0]
            finally:
                for h in hooks:
                    h.remove()
            if encoded.shape[0] != size:
                raise AssertionError(f"{name}: encoder gives {encoded.shape[0]} rows, the extractor counts {size}")
            # intermediate outputs locate a difference: after the conv subsampling, after the first conformer block
            entry = {"subsampled": blob.add(captured["subsampled"][0].numpy()),
                     "layer0": blob.add(captured["layer0"][0].numpy()), "encoder": blob.add(encoded.numpy()),
                     "encoder_row_std": float(encoded.std(0).mean())}
            for mode in ("speech", "vision"):
                entry[mode] = blob.add(project(feats, [size], None, mode).numpy())
            results["clips"][name] = entry
            print(f"{variant} encoder {name}: {tuple(encoded.shape)}; mean over channels of the std over time "
                  f"{entry['encoder_row_std']:.4g}", flush=True)
        save()

        # transformers' own padded batch: its attention adds the boolean mask (+1 valid, +0 padded) to the logits
        # instead of masking padded keys, so the shorter clips differ from their single-clip outputs (recorded only)
        speech_batched = project(batch["audio_input_features"], batched["audio_embed_sizes"],
                                 batch["audio_attention_mask"], "speech")
        offset = 0
        for i, n in enumerate(names):
            size = batched["audio_embed_sizes"][i]
            single = project(features[n][None], [size], None, "speech")
            results.setdefault("transformers_batched_vs_single_speech_max_abs_diff", {})[n] = float(
                (speech_batched[offset:offset + size] - single).abs().max())
            offset += size
        print(variant, "transformers batched vs single (speech):",
              results["transformers_batched_vs_single_speech_max_abs_diff"], flush=True)

        # a long input: more than 500 encoder rows, folded into chunks of 500
        long_encoded = embedding.encoder(long_feats[None], None)[0]
        long_rows = math.ceil(LONG_FRAMES / 8)
        if long_encoded.shape[0] != long_rows:
            raise AssertionError(f"long input: {long_encoded.shape[0]} rows, {long_rows} expected")
        results["long_encoder"] = blob.add(long_encoded.numpy())
        print(f"{variant} long input: {LONG_FRAMES} frames -> {tuple(long_encoded.shape)}, std over time "
              f"{float(long_encoded.std(0).mean()):.4g}", flush=True)
        save()
    print(f"done in {time.time() - started:.1f} s; {blob.size * 4} bytes of floats", flush=True)
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except Exception:
        traceback.print_exc()
        sys.exit(1)
