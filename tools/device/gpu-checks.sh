#!/usr/bin/env bash
# Tessera's checks on the GPU machine, in one call (device time is scarce). Run from the repository root there:
#   bash tools/device/gpu-checks.sh            (carry: .device, or .cache/tokenizers.tar.gz for the chat fixtures)
# Writes under $OUT: chat/ (chat-template parity fixtures), hf_greedy.json + tessera_greedy_*.txt (bf16 CUDA
# top-1 agreement on the tiny Phi-4-mini of the parity fixtures), tessera_bench.txt (tokens/s of
# transformers and Tessera on the same Phi-4-mini-sized config, bf16, same shapes, one invocation), and a log of each step.
set -uo pipefail
OUT=${OUT:?OUT must name the output folder}
work=/tmp/tessera-gpu
mkdir -p "$work" "$OUT/chat"
step() { echo "== $*" | tee -a "$OUT/steps.log"; }

if [ -f .cache/tokenizers.tar.gz ]; then   # carried separately: with the Java payload it exceeds what one call carries
  step "chat-template fixtures"
  mkdir -p .cache/tokenizers && tar -xzf .cache/tokenizers.tar.gz -C .cache/tokenizers
  python3 tools/reference/chat_templates.py --tokenizers .cache/tokenizers --out "$OUT/chat" > "$OUT/chat.log" 2>&1
  tail -3 "$OUT/chat.log" | tee -a "$OUT/steps.log"
fi

step "tiny Phi-4-mini: weights and transformers bf16 greedy"
python3 tools/reference/gpu_check.py prepare --config model-phi4/src/test/resources/fixtures/phi3/phi4_mini.config.json \
  --out "$work/phi4mini" >> "$OUT/steps.log" 2>&1
echo '[[200019, 17, 9906, 11, 1879, 0, 200020], [3, 1, 4, 1, 5, 9, 2, 6], [100, 2000, 30000, 199999]]' > "$work/prompts.json"
python3 tools/reference/gpu_check.py greedy --model "$work/phi4mini" --prompts "$work/prompts.json" --max-new 24 \
  --out "$OUT/hf_greedy.json" >> "$OUT/steps.log" 2>&1

step "tiny Phi-4-mini: Tessera bf16 greedy on CUDA"
i=0
for ids in 200019,17,9906,11,1879,0,200020 3,1,4,1,5,9,2,6 100,2000,30000,199999; do
  bash .device/run-on-gpu.sh sh -c "\$APP/tessera generate --model $work/phi4mini --prompt-token-ids $ids \
    --device cuda --dtype bfloat16 --temperature 0 --max-tokens 24 --ignore-eos" \
    > "$OUT/tessera_greedy_$i.txt" 2> "$OUT/tessera_greedy_$i.log"
  echo "prompt $i exit $?" | tee -a "$OUT/steps.log"
  i=$((i + 1))
done

step "bench: Tessera and transformers (tessera bench --compare-hf)"
mkdir -p "$work/phi4mini-3.8b" && cp tools/device/phi4-mini-3.8b.config.json "$work/phi4mini-3.8b/config.json"
timeout 420 bash .device/run-on-gpu.sh sh -c "\$APP/tessera bench --model $work/phi4mini-3.8b --load-format dummy \
  --device cuda --dtype bfloat16 --batch-sizes 1,8,32 --input-len 128 --output-len 64 \
  --gpu-memory-utilization ${GPU_UTIL:-0.8} --compare-hf" \
  > "$OUT/tessera_bench.txt" 2> "$OUT/tessera_bench.log"
echo "tessera bench exit $?" | tee -a "$OUT/steps.log"
nvidia-smi --query-gpu=name,memory.total --format=csv >> "$OUT/steps.log" 2>&1
