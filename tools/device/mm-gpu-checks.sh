#!/usr/bin/env bash
# Multimodal checks on the GPU machine, in one call (device time is scarce). From the repository root there:
#   bash tools/device/mm-gpu-checks.sh [phi4v] [qwen25vl] [gemma4] [phi4mm]     (carry: .device, made by tools/device/pack-tessera.sh)
#   ROWS=decode,serve,prefill,vision CONCURRENCY=1,8,64 QUICK=1 bash tools/device/mm-gpu-checks.sh qwen25vl-rows [phi4v-rows]
#     issue 10's table (`tessera bench --rows ... --compare-hf`): writes $OUT/<family>_rows.txt (its Markdown summary
#     at the end) and .log; ROWS, CONCURRENCY and QUICK split the set over several calls; HF_TIMEOUT (default 300 s)
#     bounds transformers' side, ROWS_TIMEOUT (570 s) the whole invocation.
# For each family: `tessera bench` on the real-size config with --load-format dummy in bf16 on CUDA, with
# synthetic 1024x1024 images, the vision encoder alone, and transformers measured in the same invocation on the
# same shapes (--compare-hf). Writes $OUT/<family>_bench.txt and .log, and steps.log. The *-top1 entries compare
# greedy tokens of transformers and Tessera in bf16 on CUDA on a tiny model of the parity fixtures.
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

bench() { # FAMILY CONFIG VOCAB MEDIA(yes|no) SPECIALS...
  local family=$1 config=$2 vocab=$3 media=$4; shift 4
  local images="--images 1 --image-size 1024x1024 --encoder-batch-sizes 1,8"
  [ "$media" = yes ] || images=""
  mkdir -p "$work/$family" && cp "$config" "$work/$family/config.json"
  wordlevel_tokenizer "$work/$family" "$vocab" "$@"
  step "$family: tessera bench (bf16, CUDA, dummy weights) with transformers in the same run"
  timeout ${FAMILY_TIMEOUT:-420} bash .device/run-on-gpu.sh sh -c "\$APP/tessera bench --model $work/$family --load-format dummy \
    --device cuda --dtype bfloat16 --batch-sizes 1,8 --input-len 128 --output-len 64 $images \
    --gpu-memory-utilization ${GPU_UTIL:-0.85} --compare-hf" \
    > "$OUT/${family}_bench.txt" 2> "$OUT/${family}_bench.log"
  echo "$family bench exit $?" | tee -a "$OUT/steps.log"
  tail -c 3000 "$OUT/${family}_bench.log" > "$OUT/${family}_bench.log.tail" && mv "$OUT/${family}_bench.log.tail" "$OUT/${family}_bench.log"
}

# issue 10's rows: Tessera and transformers on the real-size config in bf16, dummy weights, in one invocation
rows() { # FAMILY CONFIG VOCAB SPECIALS...
  local family=$1 config=$2 vocab=$3; shift 3
  mkdir -p "$work/$family" && cp "$config" "$work/$family/config.json"
  wordlevel_tokenizer "$work/$family" "$vocab" "$@"
  step "$family: tessera bench --rows ${ROWS:-all} (bf16, CUDA, dummy weights) with transformers in the same run"
  timeout ${ROWS_TIMEOUT:-570} bash .device/run-on-gpu.sh sh -c "\$APP/tessera bench --model $work/$family --load-format dummy \
    --device cuda --dtype bfloat16 --rows ${ROWS:-all} --max-concurrency ${CONCURRENCY:-1,8,64} --input-len 512 \
    --output-len 256 --prefill-len 8192 --encoder-batch-sizes 1 --image-size 1024x1024 \
    --gpu-memory-utilization ${GPU_UTIL:-0.85} --compare-hf --hf-timeout ${HF_TIMEOUT:-300} ${QUICK:+--quick}" \
    > "$OUT/${family}_rows.txt" 2> "$OUT/${family}_rows.log"
  echo "$family rows exit $?" | tee -a "$OUT/steps.log"
  tail -c 20000 "$OUT/${family}_rows.log" > "$OUT/${family}_rows.log.tail" && mv "$OUT/${family}_rows.log.tail" "$OUT/${family}_rows.log"
}

# bf16 top-1 agreement with transformers on a tiny model of the parity fixtures (same weights on both sides)
top1() { # NAME CONFIG PROMPT_IDS...
  local name=$1 config=$2; shift 2
  step "$name: tiny model, transformers and Tessera greedy in bf16 on CUDA"
  python3 tools/reference/gpu_check.py prepare --config "$config" --out "$work/$name-tiny" >> "$OUT/steps.log" 2>&1
  printf '[%s]' "$(printf '[%s],' "$@" | sed 's/,$//')" > "$work/$name-prompts.json"
  python3 tools/reference/gpu_check.py greedy --model "$work/$name-tiny" --prompts "$work/$name-prompts.json" \
    --max-new 24 --out "$OUT/${name}_hf_greedy.json" >> "$OUT/steps.log" 2>&1
  local i=0
  for ids in "$@"; do
    bash .device/run-on-gpu.sh sh -c "\$APP/tessera generate --model $work/$name-tiny --prompt-token-ids $ids \
      --device cuda --dtype bfloat16 --temperature 0 --max-tokens 24 --ignore-eos" \
      > "$OUT/${name}_tessera_$i.txt" 2>> "$OUT/${name}_tessera.log"
    echo "$name prompt $i exit $?" | tee -a "$OUT/steps.log"
    i=$((i + 1))
  done
  tail -c 2000 "$OUT/${name}_tessera.log" > "$OUT/${name}_tessera.tail" && mv "$OUT/${name}_tessera.tail" "$OUT/${name}_tessera.log"
}

for family in $families; do
  case $family in
    phi4v) bench phi4v tools/device/phi4-reasoning-vision-15b.config.json 100352 yes 100256='<|dummy_0|>' 100257='<|endoftext|>' ;;
    qwen25vl) bench qwen25vl tools/device/qwen2.5-vl-7b.config.json 152064 yes 151652='<|vision_start|>' \
        151653='<|vision_end|>' 151655='<|image_pad|>' 151656='<|video_pad|>' 151643='<|endoftext|>' ;;
    qwen25vl-rows) rows qwen25vl tools/device/qwen2.5-vl-7b.config.json 152064 151652='<|vision_start|>' \
        151653='<|vision_end|>' 151655='<|image_pad|>' 151656='<|video_pad|>' 151643='<|endoftext|>' ;;
    phi4v-rows) rows phi4v tools/device/phi4-reasoning-vision-15b.config.json 100352 100256='<|dummy_0|>' \
        100257='<|endoftext|>' ;;
    gemma4) bench gemma4 tools/device/gemma-4-e4b-it.config.json 262144 no 1='<eos>' 2='<bos>' ;;
    # the original Phi4MMForCausalLM layout: transformers has no class for it (its port, Phi4MultimodalForCausalLM,
    # renames weights), so --compare-hf may have nothing to compare; the placeholders are vLLM's <|image_N|>
    phi4mm) bench phi4mm tools/device/phi4-multimodal-instruct.config.json 200064 yes 199999='<|endoftext|>' \
        200010='<|image|>' 200011='<|audio|>' 200030='<|image_1|>' 200031='<|image_2|>' 200032='<|image_3|>' ;;
    qwen25vl-top1) top1 qwen25vl model-qwen25vl/src/test/resources/fixtures/qwen25vl-model/qwen25vl_tiny.config.json \
        151644,8948,198,2610,525,264,10950,17847,13,151645 3,1,4,1,5,9,2,6 100,2000,30000,151643 ;;
    gemma4-top1) top1 gemma4 model-gemma4/src/test/resources/fixtures/gemma4/gemma4_26b_a4b.config.json \
        2,105,2364,107,9259,1902,106 3,1,4,1,5,9,2,6 100,2000,30000,200000 ;;
    *) echo "unknown family $family" | tee -a "$OUT/steps.log" ;;
  esac
done
nvidia-smi --query-gpu=name,memory.total --format=csv >> "$OUT/steps.log" 2>&1
