#!/usr/bin/env bash
# Decode-path checks and figures on the GPU machine, in one call (device time is scarce). From the repository root:
#   bash tools/device/perf-gpu-checks.sh DEVICE_DIR STEP...      (DEVICE_DIR: the .device folder of pack-tessera.sh)
# Steps (each bounded by its own timeout, results under $OUT as they come, in at most 8 files: steps.log holds the
# logs' tails, top1.txt the greedy tokens):
#   paged            the paged decode kernel vs float64 attention and the SDPA backend (bf16, fp32), and timings
#   bench-eager      Qwen2.5-VL-7B real-size config, dummy weights, bf16: decode tokens/s with --enforce-eager and
#                    --attention-backend sdpa (the plain path)
#   bench-fast       the same with the defaults (CUDA graphs, paged attention)
#   bench-hf         the same shapes in transformers (gpu_check.py bench)
#   bench-all        one tessera bench with the defaults, --compare-eager (no graphs; no graphs and plain attention,
#                    on the same loaded model) and --compare-hf (transformers in the same command)
#   top1-FAMILY      qwen25vl | phi3 | gemma4: a tiny model of the parity fixtures, greedy tokens of transformers,
#                    Tessera eager (SDPA) and Tessera with graphs + paged attention, all bf16 on CUDA
set -uo pipefail
OUT=${OUT:?OUT must name the output folder}
dev=${1:?usage: perf-gpu-checks.sh DEVICE_DIR STEP...}; shift
work=/tmp/tessera-perf
mkdir -p "$work"
log() { echo "== $(date +%T) $*" | tee -a "$OUT/steps.log"; }
run_gpu() { bash "$dev/run-on-gpu.sh" "$@"; }
t0=$(date +%s)
log "unpack"; run_gpu true; log "unpacked in $(( $(date +%s) - t0 )) s"
# jars rebuilt since the payload was packed (DEVICE_DIR/overlay/bundles/*.jar) replace the packed ones
if [ -d "$dev/overlay" ]; then cp -r "$dev/overlay/." /tmp/java-gpu/app/ && log "overlay: $(cd "$dev/overlay" && find . -name '*.jar' | tr '\n' ' ')"; fi

qwen7b() {
  mkdir -p "$work/qwen7b" && cp tools/device/qwen2.5-vl-7b.config.json "$work/qwen7b/config.json"
}
bench() { # NAME EXTRA_FLAGS
  qwen7b
  log "bench $1"
  timeout ${BENCH_TIMEOUT:-90} bash "$dev/run-on-gpu.sh" sh -c "\$APP/tessera bench --model $work/qwen7b --load-format dummy \
    --device cuda --dtype bfloat16 --batch-sizes 1,8 --input-len 128 --output-len 64 --gpu-memory-utilization 0.8 $2" \
    > "$OUT/bench_$1.txt" 2> "$work/bench_$1.log"
  log "bench $1 exit $?"
  { grep -E "CUDA graph|paged|KV cache|device memory|WARN|SEVERE|Exception|Caused" "$work/bench_$1.log" | head -30
    echo "-- tail"; tail -c 2500 "$work/bench_$1.log"; } >> "$OUT/steps.log"
}
top1() { # NAME CONFIG PROMPT_IDS
  local name=$1 config=$2 ids=$3
  log "top1 $name"
  python3 tools/reference/gpu_check.py prepare --config "$config" --out "$work/$name-tiny" >> "$work/top1_$name.log" 2>&1
  echo "[[$ids]]" > "$work/$name-prompts.json"
  python3 tools/reference/gpu_check.py greedy --model "$work/$name-tiny" --prompts "$work/$name-prompts.json" \
    --max-new 24 --out "$work/top1_${name}_hf.json" >> "$work/top1_$name.log" 2>&1
  echo "$name transformers: $(cat "$work/top1_${name}_hf.json" 2>/dev/null)" >> "$OUT/top1.txt"
  for mode in eager fast; do
    flags=""; [ $mode = eager ] && flags="--enforce-eager --attention-backend sdpa"
    timeout 60 bash "$dev/run-on-gpu.sh" sh -c "\$APP/tessera generate --model $work/$name-tiny --prompt-token-ids $ids \
      --device cuda --dtype bfloat16 --temperature 0 --max-tokens 24 --ignore-eos $flags" \
      > "$work/top1_${name}_$mode.txt" 2>> "$work/top1_$name.log"
    log "top1 $name $mode exit $?"
    echo "$name tessera $mode: $(tr '\n' ' ' < "$work/top1_${name}_$mode.txt")" >> "$OUT/top1.txt"
  done
  { grep -E "CUDA graph|WARN|SEVERE|Exception|Caused|rror" "$work/top1_$name.log" | head -20; } >> "$OUT/steps.log"
}

for s in "$@"; do
  case $s in
    paged)
      log "paged kernel check"
      timeout 90 bash "$dev/run-on-gpu.sh" sh -c '$JAVA -cp "$APP/lib/*:$APP/bundles/runtime-core-0.1.0-SNAPSHOT.jar:$APP/bundles/platform-cuda-0.1.0-SNAPSHOT.jar" ai.tessera.platform.cuda.PagedAttentionGpuCheck' \
        > "$OUT/paged_check.txt" 2>&1
      log "paged exit $?" ;;
    bench-eager) bench eager "--enforce-eager --attention-backend sdpa" ;;
    bench-fast) bench fast "" ;;
    bench-paged-eager) bench paged_eager "--enforce-eager" ;;
    bench-all) bench all "--compare-eager --compare-hf" ;;
    bench-hf)
      qwen7b; log "bench hf"
      timeout ${HF_TIMEOUT:-120} python3 tools/reference/gpu_check.py bench --config "$work/qwen7b/config.json" \
        --batch-sizes 1,8 --input-len 128 --output-len 64 --out "$OUT/bench_hf.json" > "$work/bench_hf.log" 2>&1
      log "bench hf exit $?"; tail -c 1500 "$work/bench_hf.log" >> "$OUT/steps.log" ;;
    top1-qwen25vl) top1 qwen25vl model-qwen25vl/src/test/resources/fixtures/qwen25vl-model/qwen25vl_tiny.config.json \
        151644,8948,198,2610,525,264,10950,17847,13,151645 ;;
    top1-phi3) top1 phi3 model-phi4/src/test/resources/fixtures/phi3/phi4_mini.config.json 3,1,4,1,5,9,2,6,100,2000 ;;
    top1-gemma4) top1 gemma4 model-gemma4/src/test/resources/fixtures/gemma4/gemma4_26b_a4b.config.json 2,105,2364,107,9259,1902,106 ;;
    *) log "unknown step $s" ;;
  esac
done
nvidia-smi --query-gpu=name,memory.total --format=csv >> "$OUT/steps.log" 2>&1
log "total $(( $(date +%s) - t0 )) s"
