#!/usr/bin/env bash
# Multimodal checks on the GPU machine, in one call (device time is scarce). From the repository root there:
#   bash tools/device/mm-gpu-checks.sh [phi4v] [qwen25vl] [gemma4]     (carry: .device, made by tools/device/pack-tessera.sh)
# For each family: `tessera bench` on the real-size config with --load-format dummy in bf16 on CUDA, with
# synthetic 1024x1024 images, the vision encoder alone, and transformers measured in the same invocation on the
# same shapes (--compare-hf). Writes $OUT/<family>_bench.txt and .log, and steps.log.
set -uo pipefail
OUT=${OUT:?OUT must name the output folder}
work=/tmp/tessera-gpu
mkdir -p "$work"
step() { echo "== $(date +%T) $*" | tee -a "$OUT/steps.log"; }
families=${*:-phi4v qwen25vl}

# A word-level tokenizer over the config's vocabulary with the family's placeholder tokens at their real ids:
# `bench --images` tokenizes only the placeholder text, and the real tokenizers are not on the machine.
wordlevel_tokenizer() { # DIR VOCAB ID=TOKEN...
  python3 - "$@" <<'PY'
import json, sys
folder, vocab, specials = sys.argv[1], int(sys.argv[2]), dict(a.split("=", 1) for a in sys.argv[3:])
names = {int(k): v for k, v in specials.items()}
tok = {"added_tokens": [{"id": i, "content": t, "single_word": False, "lstrip": False, "rstrip": False,
                         "normalized": False, "special": True} for i, t in names.items()],
       "pre_tokenizer": {"type": "Whitespace"},
       "model": {"type": "WordLevel", "unk_token": "w0",
                 "vocab": {names.get(i, f"w{i}"): i for i in range(vocab)}}}
json.dump(tok, open(f"{folder}/tokenizer.json", "w"))
json.dump({"tokenizer_class": "PreTrainedTokenizerFast"}, open(f"{folder}/tokenizer_config.json", "w"))
PY
}

bench() { # FAMILY CONFIG VOCAB SPECIALS...
  local family=$1 config=$2 vocab=$3; shift 3
  mkdir -p "$work/$family" && cp "$config" "$work/$family/config.json"
  wordlevel_tokenizer "$work/$family" "$vocab" "$@"
  step "$family: tessera bench (bf16, CUDA, dummy weights) with transformers in the same run"
  timeout ${FAMILY_TIMEOUT:-420} bash .device/run-on-gpu.sh sh -c "\$APP/tessera bench --model $work/$family --load-format dummy \
    --device cuda --dtype bfloat16 --batch-sizes 1,8 --input-len 128 --output-len 64 --images 1 \
    --image-size 1024x1024 --encoder-batch-sizes 1,8 --gpu-memory-utilization ${GPU_UTIL:-0.85} --compare-hf" \
    > "$OUT/${family}_bench.txt" 2> "$OUT/${family}_bench.log"
  echo "$family bench exit $?" | tee -a "$OUT/steps.log"
  tail -c 3000 "$OUT/${family}_bench.log" > "$OUT/${family}_bench.log.tail" && mv "$OUT/${family}_bench.log.tail" "$OUT/${family}_bench.log"
}

for family in $families; do
  case $family in
    phi4v) bench phi4v tools/device/phi4-reasoning-vision-15b.config.json 100352 100256='<|dummy_0|>' 100257='<|endoftext|>' ;;
    qwen25vl) bench qwen25vl tools/device/qwen2.5-vl-7b.config.json 152064 151652='<|vision_start|>' \
        151653='<|vision_end|>' 151655='<|image_pad|>' 151656='<|video_pad|>' 151643='<|endoftext|>' ;;
    *) echo "unknown family $family" | tee -a "$OUT/steps.log" ;;
  esac
done
nvidia-smi --query-gpu=name,memory.total --format=csv >> "$OUT/steps.log" 2>&1
