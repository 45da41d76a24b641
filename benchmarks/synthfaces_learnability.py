"""Can a small CNN learn SynthFaces labels from pixels? Prints held-out accuracy per label.

A label the renderer does not draw truthfully stays near its majority-class rate; a truthful one
climbs well above it. On a GPU with 16 CPU cores drawing the images, about a minute:
    python benchmarks/synthfaces_learnability.py --size 32 --train 20000 --epochs 20 --workers 16
"""

import argparse
import time
from concurrent.futures import ProcessPoolExecutor

import numpy as np
import torch
from torch import nn

from facegan.data.synthfaces import ATTRIBUTE_NAMES, TAG_NAMES, TAG_VALUES, SynthBatch, generate


def small_cnn(num_outputs: int) -> nn.Module:
    def block(c_in, c_out):
        return nn.Sequential(nn.Conv2d(c_in, c_out, 3, 2, 1), nn.BatchNorm2d(c_out), nn.ReLU())

    return nn.Sequential(
        block(3, 32), block(32, 64), block(64, 128), block(128, 128),
        nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(128, num_outputs),
    )  # fmt: skip


def generate_in_parallel(n: int, size: int, seed: int, workers: int) -> SynthBatch:
    """generate(n, size, seed), drawn in chunks by `workers` processes (same bytes as serial)."""
    chunk = -(-n // workers)
    starts = list(range(0, n, chunk))
    with ProcessPoolExecutor(workers) as pool:
        parts = list(
            pool.map(_generate_chunk, [(min(chunk, n - s), size, seed, s) for s in starts])
        )
    return SynthBatch(
        images=np.concatenate([p.images for p in parts]),
        attributes=np.concatenate([p.attributes for p in parts]),
        tags={tag: np.concatenate([p.tags[tag] for p in parts]) for tag in TAG_NAMES},
        identities=np.concatenate([p.identities for p in parts]),
    )


def _generate_chunk(args) -> SynthBatch:
    count, size, seed, start = args
    return generate(count, size, seed, start=start)


def to_tensor(images: np.ndarray) -> torch.Tensor:
    """(n, H, W, 3) uint8 -> (n, 3, H, W) float in [-1, 1]."""
    return torch.from_numpy(images).permute(0, 3, 1, 2).float() / 127.5 - 1.0


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--size", type=int, default=32)
    parser.add_argument("--train", type=int, default=4000)
    parser.add_argument("--test", type=int, default=1000)
    parser.add_argument("--epochs", type=int, default=8)
    parser.add_argument("--workers", type=int, default=1, help="processes drawing the images")
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    args = parser.parse_args()
    torch.manual_seed(0)
    started = time.perf_counter()
    train = generate_in_parallel(args.train, args.size, seed=0, workers=args.workers)
    # Another seed: the test set holds people and photos the model has never seen.
    test = generate_in_parallel(args.test, args.size, seed=1, workers=args.workers)
    print(f"generated {args.train + args.test} images in {time.perf_counter() - started:.1f} s")

    num_attributes = len(ATTRIBUTE_NAMES)
    tag_sizes = [len(TAG_VALUES[tag]) for tag in TAG_NAMES]
    device = torch.device(args.device)
    model = small_cnn(num_attributes + sum(tag_sizes)).to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=2e-3)
    x_train, x_test = to_tensor(train.images).to(device), to_tensor(test.images).to(device)
    y_attr = torch.from_numpy(train.attributes).float().to(device)
    y_tags = [torch.from_numpy(train.tags[tag]).to(device) for tag in TAG_NAMES]

    def losses(logits, index):
        attribute_logits, *tag_logits = logits.split([num_attributes, *tag_sizes], dim=1)
        loss = nn.functional.binary_cross_entropy_with_logits(attribute_logits, y_attr[index])
        for tag_logit, target in zip(tag_logits, y_tags, strict=True):
            loss = loss + nn.functional.cross_entropy(tag_logit, target[index])
        return loss

    for epoch in range(args.epochs):
        model.train()
        order = torch.randperm(args.train, device=device)
        for batch in order.split(64):
            optimizer.zero_grad()
            loss = losses(model(x_train[batch]), batch)
            loss.backward()
            optimizer.step()
        print(f"epoch {epoch}: last batch loss {loss.item():.3f}")

    model.eval()
    with torch.no_grad():
        logits = torch.cat([model(chunk) for chunk in x_test.split(256)])
    attribute_logits, *tag_logits = logits.split([num_attributes, *tag_sizes], dim=1)
    predicted = (attribute_logits > 0).cpu().numpy()
    print(f"{'label':<22}{'accuracy':>9}{'majority':>9}")
    for column, name in enumerate(ATTRIBUTE_NAMES):
        truth = test.attributes[:, column]
        majority = max(truth.mean(), 1 - truth.mean())
        print(f"{name:<22}{(predicted[:, column] == truth).mean():9.3f}{majority:9.3f}")
    for tag, tag_logit in zip(TAG_NAMES, tag_logits, strict=True):
        truth = test.tags[tag]
        majority = np.bincount(truth).max() / len(truth)
        accuracy = (tag_logit.argmax(1).cpu().numpy() == truth).mean()
        print(f"{tag:<22}{accuracy:9.3f}{majority:9.3f}")


if __name__ == "__main__":
    main()
