# Sourced by the attack benchmarks (run_apgd_bench.sh, run_fab_bench.sh, run_square_bench.sh,
# run_hsj_bench.sh, run_autoattack_bench.sh) with their arguments: the nnlab binary (the first
# argument, or NNLAB), the work folder WORK [/tmp/nnlab-bench], THREADS [2], OMP_WAIT_POLICY
# [PASSIVE], the peers' venv python PY (bench/setup_attack_peer.sh's), and $ckpt: the LeNet-5 they
# all attack (5 epochs on Fashion-MNIST, 90.14% test accuracy; trained here if missing).
NNLAB=${1:-${NNLAB:-/tmp/nnlab-bench/nnlab}}
WORK=${WORK:-/tmp/nnlab-bench}
THREADS=${THREADS:-2}
export OMP_WAIT_POLICY=${OMP_WAIT_POLICY:-PASSIVE}
PY=${PY:-$(bash "$here/setup_attack_peer.sh")}
mkdir -p "$WORK"
ckpt=$WORK/lenet5.ckpt
if [[ ! -f $ckpt ]]; then
  "$NNLAB" --threads "$THREADS" -q train --arch lenet5 --epochs 5 --lr 3e-3 --schedule cosine \
    --output "$ckpt"
fi
