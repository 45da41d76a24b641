"""Conditional accuracy of a trained conditional generator.

A small CNN is trained on the real images of the run's dataset (90 %; the other 10 % measure
its own accuracy, the ceiling), then reads the labels of generated images: for classes, the
share of images classified as the class they were drawn for; for multi-label attributes, the
share of (image, attribute) pairs read correctly, for attribute vectors taken from the data.

    python benchmarks/conditional_accuracy.py models/MNIST/ACGAN [-n 1000] [--epochs 4]

Chance is 1 / number of classes, or the accuracy of always answering each attribute's
majority value (printed too).
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import torch
from torch import nn

from facegan.conditions import fixed_conditions
from facegan.config import config_from_dict, read_yaml
from facegan.data.base import build_dataset
from facegan.methods.gan.losses import auxiliary_accuracy, auxiliary_classifier_loss
from facegan.sampling import generate_images, load_model


def classifier(channels: int, outputs: int) -> nn.Module:
    return nn.Sequential(
        nn.Conv2d(channels, 32, 3, 2, 1), nn.ReLU(),
        nn.Conv2d(32, 64, 3, 2, 1), nn.ReLU(),
        nn.Conv2d(64, 64, 3, 2, 1), nn.ReLU(),
        nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(64, outputs))


def stack(dataset, indices):
    items = [dataset[i] for i in indices]
    return torch.stack([x for x, _ in items]), torch.stack([torch.as_tensor(y) for _, y in items])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run_dir", type=Path)
    parser.add_argument("-n", type=int, default=1000, help="generated images to score")
    parser.add_argument("--epochs", type=int, default=4, help="classifier training epochs")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    config = config_from_dict(read_yaml(args.run_dir / "config.yaml"))
    dataset = build_dataset(config.data)
    info = dataset.info
    order = torch.randperm(len(dataset), generator=torch.Generator().manual_seed(args.seed))
    split = int(0.9 * len(dataset))
    train_x, train_y = stack(dataset, order[:split].tolist())
    test_x, test_y = stack(dataset, order[split:].tolist())
    if info.label_kind == "multilabel":
        train_y, test_y = train_y.float(), test_y.float()

    torch.manual_seed(args.seed)
    net = classifier(info.channels, info.num_labels)
    optimizer = torch.optim.Adam(net.parameters(), lr=2e-3)
    start = time.perf_counter()
    for _ in range(args.epochs):
        for batch in torch.randperm(len(train_x)).split(64):
            optimizer.zero_grad()
            auxiliary_classifier_loss(net(train_x[batch]), train_y[batch]).backward()
            optimizer.step()
    net.eval()
    with torch.no_grad():
        real_accuracy = auxiliary_accuracy(net(test_x), test_y).item()

        generator, _ = load_model(args.run_dir)
        labels = fixed_conditions(info, args.n, args.seed + 1, dataset)
        images = generate_images(generator, args.n, args.seed, torch.device("cpu"),
                                 labels=labels)
        fake_accuracy = auxiliary_accuracy(net(images), labels).item()
    if info.label_kind == "class":
        chance = 1 / info.num_labels
    else:
        share = test_y.mean(0)
        chance = torch.maximum(share, 1 - share).mean().item()
    print(f"dataset {info.name}: {len(dataset)} images, {info.num_labels} {info.label_kind} "
          f"labels; classifier trained in {time.perf_counter() - start:.0f} s")
    print(f"classifier accuracy on held-out real images: {real_accuracy:.3f}")
    print(f"conditional accuracy on {args.n} generated images: {fake_accuracy:.3f} "
          f"(chance {chance:.3f})")
    if info.label_kind == "multilabel":
        with torch.no_grad():
            per = ((net(images) > 0) == (labels > 0.5)).float().mean(0)
        print("per attribute: " + ", ".join(f"{name} {value:.2f}"
                                             for name, value in zip(info.label_names, per,
                                                                    strict=True)))


if __name__ == "__main__":
    main()
