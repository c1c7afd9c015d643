"""nnlab's structured (filter) pruning against Torch-Pruning on the same weights.

    bench/.venv/bin/python bench/channel_prune_peer.py DENSE.ckpt PRUNED.ckpt RATIO

DENSE.ckpt: an nnlab checkpoint of the Fashion-MNIST `cnn`; PRUNED.ckpt: `nnlab prune
--structured --ratio RATIO --steps 1 --finetune-epochs 0 --model DENSE.ckpt -o PRUNED.ckpt`.
The script rebuilds the cnn in PyTorch with the dense weights, prunes RATIO of every layer's
channels with Torch-Pruning (MetaPruner, L1 magnitude importance, the output layer ignored),
and compares the two results: parameters and MACs (Torch-Pruning's counter, for both models),
and for each convolution which filters were kept (recovered from the BatchNorm running means,
which are distinct per channel). Torch-Pruning scores a channel by all the weights its removal
touches (the filter, its BatchNorm and the next layer's input slice); nnlab by the filter alone,
so the kept sets may differ where filters are close. Prints one JSON line.
"""
import json
import sys

import torch
import torch.nn as nn
import torch_pruning as tp


class Cnn(nn.Module):
    """nnlab's `cnn` (include/nnlab/models/fmnist_cnn.h), with the same parameter names."""

    def __init__(self):
        super().__init__()

        def block(i, o):
            return [nn.Conv2d(i, o, 3, padding=1, bias=False), nn.BatchNorm2d(o),
                    nn.ReLU(inplace=True)]

        self.features = nn.Sequential(*block(1, 32), *block(32, 32), nn.MaxPool2d(2),
                                      *block(32, 64), *block(64, 64), nn.MaxPool2d(2))
        self.classifier = nn.Sequential(nn.Flatten(), nn.Dropout(0.25), nn.Linear(64 * 7 * 7, 256),
                                        nn.ReLU(inplace=True), nn.Dropout(0.5),
                                        nn.Linear(256, 10))

    def forward(self, x):
        return self.classifier(self.features(x))


def state_of(path):
    raw = torch.load(path)
    return {k[len("model."):]: v for k, v in raw.items() if k.startswith("model.")}


def kept_channels(dense_means, pruned_means):
    index = {round(float(v), 7): i for i, v in enumerate(dense_means)}
    return sorted(index[round(float(v), 7)] for v in pruned_means)


def main():
    dense_path, pruned_path, ratio = sys.argv[1], sys.argv[2], float(sys.argv[3])
    dense_state = state_of(dense_path)
    model = Cnn().eval()
    model.load_state_dict(dense_state)
    example = torch.zeros(1, 1, 28, 28)
    macs0, params0 = tp.utils.count_ops_and_params(model, example)
    pruner = tp.pruner.MetaPruner(model, example, importance=tp.importance.MagnitudeImportance(p=1),
                                  pruning_ratio=ratio, ignored_layers=[model.classifier[5]])
    pruner.step()
    tp_macs, tp_params = tp.utils.count_ops_and_params(model, example)

    ours_state = state_of(pruned_path)
    ours = Cnn().eval()
    for name, module in ours.named_modules():  # take the pruned widths, then load
        for pname, p in list(module.named_parameters(recurse=False)) + \
                list(module.named_buffers(recurse=False)):
            key = f"{name}.{pname}"
            if key in ours_state and p.shape != ours_state[key].shape:
                p.data = torch.empty_like(ours_state[key])
        if isinstance(module, nn.Conv2d):
            module.out_channels, module.in_channels = module.weight.shape[:2]
        elif isinstance(module, nn.Linear):
            module.out_features, module.in_features = module.weight.shape
        elif isinstance(module, nn.BatchNorm2d):
            module.num_features = module.weight.shape[0]
    ours.load_state_dict(ours_state)
    our_macs, our_params = tp.utils.count_ops_and_params(ours, example)

    layers = {}
    tp_state = model.state_dict()
    for bn in ("features.1", "features.4", "features.8", "features.11"):
        dense_means = dense_state[bn + ".running_mean"]
        a = kept_channels(dense_means, ours_state[bn + ".running_mean"])
        b = kept_channels(dense_means, tp_state[bn + ".running_mean"])
        layers[bn] = {"channels": len(dense_means), "nnlab_kept": len(a), "tp_kept": len(b),
                      "same_kept": len(set(a) & set(b))}
    same_shapes = all(ours_state[k].shape == v.shape for k, v in tp_state.items() if k in ours_state)
    print(json.dumps({"ratio": ratio, "params_dense": params0, "macs_dense": macs0,
                      "nnlab": {"params": our_params, "macs": our_macs},
                      "torch_pruning": {"params": tp_params, "macs": tp_macs},
                      "same_shapes": same_shapes, "layers": layers}))


if __name__ == "__main__":
    main()
