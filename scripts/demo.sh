#!/usr/bin/env bash
# The tour: train LeNet-5 on Fashion-MNIST, evaluate it, predict a few test images, attack it
# (with an HTML report), defend it with adversarial training, measure transfer, and compress it.
set -euo pipefail
NNLAB=${1:-build/nnlab}
OUT=${DEMO_OUT:-out/demo}
mkdir -p "$OUT"
export OMP_WAIT_POLICY=${OMP_WAIT_POLICY:-PASSIVE}

step() { printf '\n== %s\n' "$*"; }

step "1. the model: LeNet-5"
"$NNLAB" summary --arch lenet5

step "2. train LeNet-5 on Fashion-MNIST (5 epochs, a checkpoint every epoch)"
"$NNLAB" train --arch lenet5 --data fashion-mnist --epochs 5 --batch-size 64 --lr 3e-3 --schedule cosine \
  --output "$OUT/lenet5.ckpt"

step "3. evaluate: accuracy, per-class accuracy, confusion matrix"
"$NNLAB" eval --model "$OUT/lenet5.ckpt" --data fashion-mnist

step "4. predict: 8 test images written as PNG, top-3 classes"
"$NNLAB" export-images --data fashion-mnist --count 8 --output "$OUT/images"
"$NNLAB" predict --model "$OUT/lenet5.ckpt" "$OUT/images" --top-k 3 \
  --output "$OUT/predictions.csv" --logits "$OUT/logits.csv"
echo "true labels:"; cat "$OUT/images/labels.csv"

step "5. attack: FGSM and PGD-20 against LeNet-5 on the 10,000 test images (epsilon in 0-255 units)"
"$NNLAB" attack --method fgsm --model "$OUT/lenet5.ckpt" --data fashion-mnist --epsilon 0,4,8,16,25.5 \
  --output "$OUT/fgsm_curve" --defense median:3,bits:2,jpeg:75 --report "$OUT/fgsm_report.html"
echo "report (open in a browser): $OUT/fgsm_report.html"
"$NNLAB" attack --method pgd --steps 20 --model "$OUT/lenet5.ckpt" --data fashion-mnist --epsilon 25.5 --limit 2000

step "6. attack the 8 exported PNGs: adversarial PNGs, metrics.json, per_image.csv"
"$NNLAB" attack --method pgd --steps 10 --model "$OUT/lenet5.ckpt" --input "$OUT/images" --output "$OUT/adversarial" \
  --epsilon 16
head -4 "$OUT/adversarial/per_image.csv"

step "7. defend: fast adversarial training (FGSM with random start), held-out PGD accuracy per epoch"
"$NNLAB" train --arch lenet5 --data fashion-mnist --epochs 3 --lr 2e-3 --schedule cosine \
  --adv fgsm-rs --epsilon 25.5 --output "$OUT/lenet5_adv.ckpt"
"$NNLAB" attack --method pgd --steps 20 --model "$OUT/lenet5_adv.ckpt" --data fashion-mnist --epsilon 25.5 --limit 2000

step "7b. the evaluation the field trusts: AutoAttack (APGD-CE, APGD-T, FAB-T, Square in sequence) beside PGD-20 on the robust model, robust accuracy after each stage (100 test images)"
"$NNLAB" robustness --model "$OUT/lenet5_adv.ckpt" --data fashion-mnist --epsilon 25.5 --limit 100 \
  --report "$OUT/robustness.html"

step "8. transfer: the PNGs of step 6 (made against LeNet-5) on both models"
"$NNLAB" attack-eval --input "$OUT/adversarial" --labels "$OUT/images" \
  --model "$OUT/lenet5.ckpt,$OUT/lenet5_adv.ckpt" --csv "$OUT/transfer.csv"

step "9. compress: LeNet-5's filters and neurons pruned to half its MACs, then its fc1 at rank 16"
"$NNLAB" prune --structured --target-macs 0.5 --steps 1 --finetune-epochs 1 \
  --model "$OUT/lenet5.ckpt" --output "$OUT/lenet5_thin.ckpt" --plot "$OUT/lenet5_thin.svg"
"$NNLAB" factorize --layers fc1 --rank 16 --finetune-epochs 1 \
  --model "$OUT/lenet5.ckpt" --output "$OUT/lenet5_rank16.ckpt"

step "10. Deep Compression: prune LeNet-5 per layer (convs less) in two steps, share the kept weights in 16 values per layer, Huffman-code into an .nnz file; evaluate the file"
"$NNLAB" compress --pipeline deep --keep conv1=0.6,conv2=0.25,fc1=0.08,fc2=0.12,fc3=0.3 --steps 2 \
  --finetune-epochs 1 --conv-bits 4 --fc-bits 4 --cluster-epochs 1 \
  --model "$OUT/lenet5.ckpt" --output "$OUT/lenet5.nnz"
"$NNLAB" eval --model "$OUT/lenet5.nnz" --data fashion-mnist

step "11. seq2seq: grapheme-to-phoneme, an attention encoder-decoder trained briefly on 20,000 words of Debian's CMUdict (dev WER each epoch); pronounce words with 2-best probabilities and draw the attention of the first"
"$NNLAB" g2p train --limit 20000 --epochs 3 --hidden 128 --encoder-layers 1 --decoder-hidden 128 \
  --batch-size 128 --output "$OUT/g2p.pt"
"$NNLAB" g2p pronounce --model "$OUT/g2p.pt" --nbest 2 photograph tomato nnlab \
  --attention-svg "$OUT/photograph_attention.svg"

step "12. generation: a character-level LSTM language model on the 300 Tang poems of Debian's fortunes-zh (a few epochs), held-out perplexity beside unigram and bigram baselines; then poems sampled from the lecture's 床前明月光， at temperature 0.8"
"$NNLAB" lm train --text /usr/share/games/fortunes/tang300 --epochs 4 --hidden 256 --embedding 128 \
  --output "$OUT/tang.lm"
"$NNLAB" lm generate --model "$OUT/tang.lm" --prompt "床前明月光，" --temperature 0.8 --samples 3 \
  --max-tokens 48 --verse

step "13. captions: an attention decoder over a CNN's grid of regions, trained briefly on scenes of three Fashion-MNIST items; caption one test scene and draw each word's attention"
"$NNLAB" caption train --scenes 4000 --epochs 2 --dev-scenes 200 --test-scenes 500 --output "$OUT/caption.pt"
"$NNLAB" caption describe --model "$OUT/caption.pt" --scene 0 --html "$OUT/caption_attention.html"
echo "attention maps (open in a browser): $OUT/caption_attention.html"

printf '\nthe tour is done; outputs in %s\n' "$OUT"
