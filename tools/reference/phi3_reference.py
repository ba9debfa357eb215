#!/usr/bin/env python3
"""Reference outputs of tiny random-weight Phi3ForCausalLM models, computed by Hugging Face transformers.

Tessera's Phi-3 decoder (model-phi4) is checked against these fixtures by Phi3ParityTest. The models use the keys
of real configurations (microsoft/Phi-4-mini-instruct: longrope, partial rotary, tied embeddings, vocab 200064;
microsoft/Phi-3-mini-4k-instruct: plain RoPE, sliding window, vocab 32064) shrunk to 2 layers and hidden size 128,
so that transformers runs them in float32 on a CPU in seconds. No weights are committed: every parameter is drawn
from a small counter-based PRNG seeded by the parameter's name, which the Java test implements identically.

Needs torch and transformers (no network, no Hugging Face hub). Usage:

    python3 tools/reference/phi3_reference.py --out DIR        # writes the fixtures
    python3 tools/reference/phi3_reference.py --selftest       # checks the PRNG only (needs numpy alone)

For each configuration NAME it writes NAME.config.json (the config.json the model was built from), NAME.json
(prompts, token ids, layout of the floats) and NAME.bin (little-endian float32: logits on a fixed subset of the
vocabulary at every prompt position, top-5 logits, the whole last-position logits of the longest prompt, and the
logits of every generation step).

The greedy reference recomputes the whole sequence at every step. model.generate() is recorded beside it: in
transformers 5.17 it loses the context at the step where a LongRoPE sequence first grows past
original_max_position_embeddings (Phi3ForCausalLM.prepare_inputs_for_generation drops the cache, but generate()
still passes only the newest token), so its tokens differ there.

The committed fixtures (model-phi4/src/test/resources/fixtures/phi3) came from transformers 5.17.0 and torch 2.11.0.
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

# ---------------------------------------------------------------------------------------------------------------
# The weight PRNG. Java twin: model-phi4/src/test/java/ai/tessera/phi4/NamedWeightPrng.java; change both together.
#   seed  = FNV-1a 64 over the UTF-8 bytes of the tensor name
#   x_i   = splitmix64 output i (i = 0, 1, ...; the state advances by the golden gamma before each output)
#   value = float32(offset + ((((x_i >>> 40) / 2^24) - 0.5) * 2) * AMPLITUDE), evaluated in double in this order
#   offset = 1.0 for RMSNorm weights (names ending in "norm.weight") so that they scale around one, else 0.0
# ---------------------------------------------------------------------------------------------------------------
MASK64 = (1 << 64) - 1
FNV_OFFSET = 0xCBF29CE484222325
FNV_PRIME = 0x100000001B3
GOLDEN_GAMMA = 0x9E3779B97F4A7C15
MIX1 = 0xBF58476D1CE4E5B9
MIX2 = 0x94D049BB133111EB
AMPLITUDE = 0.05


def fnv1a64(name):
    h = FNV_OFFSET
    for b in name.encode("utf-8"):
        h ^= b
        h = (h * FNV_PRIME) & MASK64
    return h


def value_offset(name):
    return 1.0 if name.endswith("norm.weight") else 0.0


def prng_values_reference(name, count):
    """The specification: plain integers, one value at a time (slow; used to check the vectorised version)."""
    state = fnv1a64(name)
    offset = value_offset(name)
    out = np.empty(count, dtype=np.float32)
    for i in range(count):
        state = (state + GOLDEN_GAMMA) & MASK64
        z = state
        z = ((z ^ (z >> 30)) * MIX1) & MASK64
        z = ((z ^ (z >> 27)) * MIX2) & MASK64
        z = z ^ (z >> 31)
        out[i] = np.float32(offset + ((((z >> 40) / 16777216.0) - 0.5) * 2) * AMPLITUDE)
    return out


def prng_values(name, count):
    """The same values, vectorised: numpy uint64 arithmetic wraps modulo 2^64 and shifts logically."""
    with np.errstate(over="ignore"):
        state = np.uint64(fnv1a64(name)) + np.uint64(GOLDEN_GAMMA) * np.arange(1, count + 1, dtype=np.uint64)
        z = state
        z = (z ^ (z >> np.uint64(30))) * np.uint64(MIX1)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(MIX2)
        z = z ^ (z >> np.uint64(31))
    unit = (z >> np.uint64(40)).astype(np.float64) / 16777216.0
    return (value_offset(name) + ((unit - 0.5) * 2) * AMPLITUDE).astype(np.float32)


def selftest():
    for name in ["model.embed_tokens.weight", "model.layers.0.self_attn.qkv_proj.weight", "model.norm.weight", "é"]:
        ref = prng_values_reference(name, 2000)
        vec = prng_values(name, 2000)
        if not np.array_equal(ref.view(np.uint32), vec.view(np.uint32)):
            raise AssertionError(f"vectorised PRNG differs from the reference for {name}")
    print("PRNG self-test passed; model.norm.weight starts", prng_values("model.norm.weight", 4).tolist(),
          "and model.embed_tokens.weight starts", prng_values("model.embed_tokens.weight", 4).tolist())


# ---------------------------------------------------------------------------------------------------------------
# Configurations: the keys of the real config.json files, shrunk. Deliberate changes are listed in SHRUNK_BY.
# ---------------------------------------------------------------------------------------------------------------
PHI4_MINI = {
    "architectures": ["Phi3ForCausalLM"],
    "attention_bias": False,
    "attention_dropout": 0.0,
    "bos_token_id": 199999,
    "embd_pdrop": 0.0,
    "eos_token_id": 199999,
    "full_attn_mod": 1,
    "hidden_act": "silu",
    "hidden_size": 128,
    "initializer_range": 0.02,
    "intermediate_size": 320,
    "interpolate_factor": 1,
    "lm_head_bias": False,
    "max_position_embeddings": 1024,
    "mlp_bias": False,
    "model_type": "phi3",
    "num_attention_heads": 4,
    "num_hidden_layers": 2,
    "num_key_value_heads": 2,
    "original_max_position_embeddings": 32,
    "pad_token_id": 199999,
    "partial_rotary_factor": 0.75,
    "resid_pdrop": 0.0,
    "rms_norm_eps": 1e-05,
    "rope_scaling": {
        "long_factor": [1.0, 1.5641, 2.4464, 3.8265, 5.985, 9.3611, 14.6417, 22.9012, 32.03, 32.6, 32.7, 33.28],
        "short_factor": [1.0, 1.02, 1.05, 1.1, 1.2, 1.35, 1.5, 1.7, 1.9, 2.1, 2.3, 2.5],
        "type": "longrope",
    },
    "rope_theta": 10000.0,
    "sliding_window": 262144,
    "tie_word_embeddings": True,
    "torch_dtype": "bfloat16",
    "transformers_version": "4.45.0",
    "use_cache": True,
    "vocab_size": 200064,
}

PHI3_MINI_4K = {
    "architectures": ["Phi3ForCausalLM"],
    "attention_bias": False,
    "attention_dropout": 0.0,
    "bos_token_id": 1,
    "embd_pdrop": 0.0,
    "eos_token_id": 32000,
    "hidden_act": "silu",
    "hidden_size": 128,
    "initializer_range": 0.02,
    "intermediate_size": 320,
    "max_position_embeddings": 4096,
    "model_type": "phi3",
    "num_attention_heads": 4,
    "num_hidden_layers": 2,
    "num_key_value_heads": 4,
    "original_max_position_embeddings": 4096,
    "pad_token_id": 32000,
    "resid_pdrop": 0.0,
    "rms_norm_eps": 1e-05,
    "rope_scaling": None,
    "rope_theta": 10000.0,
    "sliding_window": 24,
    "tie_word_embeddings": False,
    "torch_dtype": "bfloat16",
    "transformers_version": "4.40.2",
    "use_cache": True,
    "vocab_size": 32064,
}

CONFIGS = {"phi4_mini": PHI4_MINI, "phi3_mini_4k": PHI3_MINI_4K}

SHRUNK_BY = {
    "phi4_mini": "hidden 3072->128, intermediate 8192->320, layers 32->2, heads 24/8->4/2 (head_dim 32, rotary 24), "
                 "original_max_position_embeddings 4096->32 and max_position_embeddings 131072->1024 (the same "
                 "ratio 32; the attention scaling sqrt(1 + ln 32 / ln 32) becomes sqrt(2)), rope factors 48->12 "
                 "entries; short_factor differs "
                 "from long_factor so that the long/short switch shows in the logits",
    "phi3_mini_4k": "hidden 3072->128, intermediate 8192->320, layers 32->2, heads 32/32->4/4 (head_dim 32), "
                    "sliding_window 2047->24 so that the test prompts exercise it",
}

PROMPT_LENGTHS = [7, 20, 45]
NEW_TOKENS = 64
SUBSET = 512  # vocabulary ids whose logits are kept at every prompt position
DECODE_SUBSET = 64  # the first ids of that subset, kept at every generation step
FULL_LOGITS_PROMPT = 2  # the prompt whose last-position logits are kept whole


class FloatBlob:
    """Float32 arrays appended to one little-endian file; JSON refers to them by offset (in floats) and shape."""

    def __init__(self):
        self.parts = []
        self.size = 0

    def add(self, array):
        a = np.ascontiguousarray(np.asarray(array, dtype="<f4"))
        ref = {"offset": self.size, "shape": list(a.shape)}
        self.parts.append(a.reshape(-1))
        self.size += a.size
        return ref

    def write(self, path):
        with open(path, "wb") as f:
            for p in self.parts:
                f.write(p.tobytes())


def build_model(name, config_dict, workdir):
    import torch
    from transformers import AutoConfig, AutoModelForCausalLM

    folder = os.path.join(workdir, name)
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, "config.json"), "w") as f:
        json.dump(config_dict, f, indent=2)
    config = AutoConfig.from_pretrained(folder)  # a local folder: no hub access
    # dtype explicitly: from_config would otherwise build in the config's torch_dtype (bfloat16)
    model = AutoModelForCausalLM.from_config(config, attn_implementation="eager", dtype=torch.float32).eval()
    if model.model.rotary_emb.inv_freq.dtype != torch.float32:
        raise AssertionError(f"inv_freq is {model.model.rotary_emb.inv_freq.dtype}, float32 expected")

    shapes = {}
    tied = config_dict["tie_word_embeddings"]
    with torch.no_grad():
        for pname, param in model.named_parameters(remove_duplicate=False):
            if tied and pname == "lm_head.weight":
                continue  # the same tensor as model.embed_tokens.weight, which is loaded by that name
            values = prng_values(pname, param.numel()).reshape(tuple(param.shape))
            param.copy_(torch.from_numpy(values))
            shapes[pname] = list(param.shape)
    if tied and model.lm_head.weight.data_ptr() != model.model.embed_tokens.weight.data_ptr():
        raise AssertionError("tie_word_embeddings is set but lm_head.weight is not embed_tokens.weight")
    for pname, param in model.named_parameters():
        if param.dtype != torch.float32:
            raise AssertionError(f"{pname} is {param.dtype}, float32 expected")
    return model, config, shapes


def top5(logits):
    import torch

    values, ids = torch.topk(logits, 5, dim=-1)
    return ids.tolist(), values.numpy()


def run_config(name, config_dict, out_dir, workdir):
    import torch
    import transformers
    from transformers import GenerationConfig

    model, config, shapes = build_model(name, config_dict, workdir)
    vocab = config_dict["vocab_size"]
    rng = random.Random(20240613 + len(name))
    subset = sorted(rng.sample(range(vocab), SUBSET))
    subset_t = torch.tensor(subset)
    decode_subset_t = subset_t[:DECODE_SUBSET]
    blob = FloatBlob()
    prompts = []
    report = []

    for index, length in enumerate(PROMPT_LENGTHS):
        prompt_rng = random.Random(1000 * index + vocab)
        ids = [prompt_rng.randrange(vocab) for _ in range(length)]
        input_ids = torch.tensor([ids])
        with torch.no_grad():
            logits = model(input_ids=input_ids, use_cache=False).logits[0].float()
        entry = {"input_ids": ids}
        entry["prefill_subset"] = blob.add(logits[:, subset_t].numpy())
        ids5, values5 = top5(logits)
        entry["prefill_top5_ids"] = ids5
        entry["prefill_top5_values"] = blob.add(values5)
        if index == FULL_LOGITS_PROMPT:
            entry["last_logits"] = blob.add(logits[-1].numpy())

        # Greedy decoding, the whole sequence recomputed at every step: the model's own semantics. Tessera is
        # checked against these tokens and logits. (transformers recomputes a Phi-3 sequence when it first grows
        # past original_max_position_embeddings, so that its keys all use the long factors; a KV cache that does
        # the same gives these tokens.)
        sequence = list(ids)
        step_logits = []
        for _ in range(NEW_TOKENS):
            last = model(input_ids=torch.tensor([sequence]), use_cache=False, logits_to_keep=1).logits[0, -1].float()
            step_logits.append(last)
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

        # model.generate() with its KV cache, recorded for comparison.
        gen_config = GenerationConfig(do_sample=False, num_beams=1, max_new_tokens=NEW_TOKENS, eos_token_id=None,
                                      pad_token_id=0, use_cache=True)
        model.generation_config.eos_token_id = None
        try:
            out = model.generate(input_ids=input_ids, attention_mask=torch.ones_like(input_ids),
                                 generation_config=gen_config, output_logits=True, return_dict_in_generate=True)
            generated = out.sequences[0, length:].tolist()
            gen_logits = torch.cat([s.float() for s in out.logits], dim=0)
            entry["generate"] = generated
            steps = min(len(generated), NEW_TOKENS)
            first_difference = next((i for i in range(steps) if generated[i] != greedy[i]), None)
            entry["generate_first_difference"] = first_difference
            same_input = steps if first_difference is None else first_difference + 1  # later steps saw other tokens
            entry["generate_vs_greedy_max_abs_logit"] = float(
                (gen_logits[:same_input] - step_logits[:same_input]).abs().max())
            summary = (f"generate() == greedy: {generated == greedy} (first difference at step {first_difference}), "
                       f"max |generate - greedy logits| {entry['generate_vs_greedy_max_abs_logit']:.3g}")
        except Exception as e:  # recorded: the fixture is still useful without generate()
            traceback.print_exc()
            entry["generate_error"] = f"{type(e).__name__}: {e}"
            summary = f"generate() failed: {entry['generate_error']}"
        prompts.append(entry)
        report.append(f"{name} prompt {index} ({length} tokens): {summary}; "
                      f"min top-2 margin {entry['decode_min_margin']:.3g}")

    rotary = model.model.rotary_emb
    fixture = {
        "config": f"{name}.config.json",
        "floats": f"{name}.bin",
        "shrunk_by": SHRUNK_BY[name],
        "transformers_version": transformers.__version__,
        "torch_version": torch.__version__,
        "attn_implementation": "eager",
        "rope_parameters": getattr(config, "rope_parameters", None),
        "attention_scaling": float(rotary.attention_scaling),
        "inv_freq_short": getattr(rotary, "original_inv_freq", rotary.inv_freq).float().tolist(),
        "inv_freq_long": getattr(rotary, "long_inv_freq", None).float().tolist()
        if getattr(rotary, "long_inv_freq", None) is not None else None,
        "parameters": shapes,
        "prng_check": {n: prng_values(n, 4).tolist() for n in ["model.embed_tokens.weight", "model.norm.weight"]},
        "vocab_subset": subset,
        "decode_subset_size": DECODE_SUBSET,
        "new_tokens": NEW_TOKENS,
        "prompts": prompts,
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
    parser.add_argument("--out", help="folder for the fixtures")
    parser.add_argument("--workdir", default="/tmp/phi3_reference", help="scratch folder for config.json files")
    parser.add_argument("--selftest", action="store_true", help="check the PRNG and exit")
    args = parser.parse_args()
    selftest()
    if args.selftest:
        return
    if not args.out:
        parser.error("--out is required unless --selftest")
    import torch

    torch.set_grad_enabled(False)
    os.makedirs(args.out, exist_ok=True)
    lines = []
    failed = []
    for name, config_dict in CONFIGS.items():
        started = time.time()
        try:
            lines += run_config(name, copy.deepcopy(config_dict), args.out, args.workdir)
        except Exception:  # report it and go on with the next configuration, then fail at the end
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
