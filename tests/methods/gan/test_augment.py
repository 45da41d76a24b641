import pytest
import torch

from facegan.methods.gan import losses
from facegan.methods.gan.augment import (
    diff_augment,
    rand_brightness,
    rand_cutout,
    rand_translation,
)
from facegan.methods.gan.critic import TrainingCritic
from facegan.randomness import BatchRandom

POLICY = "color,translation,cutout"


def rng(seed: int = 0) -> BatchRandom:
    return BatchRandom.seeded(seed)


def images(n: int = 6, size: int = 16) -> torch.Tensor:
    pixels = torch.rand(n, 3, size, size, generator=torch.Generator().manual_seed(99))
    return pixels * 2 - 1  # (N, 3, H, W) in [-1, 1]


@pytest.mark.parametrize("policy", ["color", "translation", "cutout", POLICY])
def test_augment_keeps_the_shape_and_is_deterministic_given_the_generator(policy):
    x = images()
    a, b = diff_augment(x, policy, rng(1)), diff_augment(x, policy, rng(1))
    assert a.shape == x.shape and torch.equal(a, b)
    assert not torch.equal(a, diff_augment(x, policy, rng(2)))
    assert not torch.equal(a, x)


def test_empty_policy_is_the_identity():
    x = images()
    assert torch.equal(diff_augment(x, "", rng()), x)


def test_translation_moves_pixels_and_fills_with_zero_within_range():
    x = images()
    out = rand_translation(x, rng(3))
    values = set(x.flatten().tolist()) | {0.0}
    assert set(out.flatten().tolist()) <= values  # no pixel is invented
    assert out.min() >= -1 and out.max() <= 1
    # A 16-px image moves by at most 2 px: the shift of each image is recovered exactly.
    for i in range(len(x)):
        matches = [(dy, dx) for dy in range(-2, 3) for dx in range(-2, 3)
                   if torch.equal(out[i, :, 2:-2, 2:-2],
                                  x[i, :, 2 - dy:14 - dy, 2 - dx:14 - dx])]
        assert len(matches) == 1


def test_cutout_zeroes_one_square_of_half_the_size():
    x = images().abs() + 0.1  # no zero pixels to start with
    out = rand_cutout(x, rng(4))
    zeros = out[:, 0] == 0  # (N, H, W)
    assert torch.equal(zeros, (out == 0).all(dim=1))  # the same square in every channel
    kept = ~zeros.unsqueeze(1).expand_as(x)
    assert torch.equal(out[kept], x[kept])
    for mask in zeros:
        rows, cols = mask.any(1).nonzero(), mask.any(0).nonzero()
        assert 0 < mask.sum() <= 8 * 8  # an 8x8 square, clipped at the border
        assert mask.sum() == len(rows) * len(cols)  # a rectangle


def test_brightness_shifts_each_image_by_one_offset_below_a_half():
    x = images()
    shift = rand_brightness(x, rng(5)) - x
    per_image = shift.flatten(1)
    assert torch.allclose(per_image, per_image[:, :1].expand_as(per_image))
    assert per_image.abs().max() <= 0.5


def test_augment_is_differentiable():
    x = images().requires_grad_(True)
    diff_augment(x, POLICY, rng(6)).pow(2).sum().backward()
    assert x.grad is not None and x.grad.abs().sum() > 0
    assert torch.isfinite(x.grad).all()


def test_augment_keeps_the_memory_format():
    x = images().contiguous(memory_format=torch.channels_last)
    assert diff_augment(x, POLICY, rng()).is_contiguous(memory_format=torch.channels_last)
    assert diff_augment(images(), POLICY, rng()).is_contiguous()


class TwoHeadCritic(torch.nn.Module):
    """Returns (logits, auxiliary logits) and takes a label, like an ACGAN discriminator."""

    num_classes = 3

    def __init__(self) -> None:
        super().__init__()
        self.linear = torch.nn.Linear(3 * 16 * 16, 1 + self.num_classes)

    def forward(self, x, c=None):
        out = self.linear(x.flatten(1))
        return out[:, 0] + (0 if c is None else c.float()), out[:, 1:]


def test_training_critic_augments_and_passes_arguments_and_outputs_through():
    critic = TwoHeadCritic()
    view = TrainingCritic(critic, POLICY, rng(7))
    x, c = images(), torch.arange(6)
    logits, aux = view(x, c)
    expected_logits, expected_aux = critic(diff_augment(x, POLICY, rng(7)), c)
    assert torch.equal(logits, expected_logits) and torch.equal(aux, expected_aux)
    assert view.num_classes == 3 and view.grad_scale is None  # attributes read through
    plain_logits, _ = TrainingCritic(critic)(x, c)
    assert torch.equal(plain_logits, critic(x, c)[0])


def test_gradient_penalty_differentiates_through_the_augmented_critic():
    critic = TwoHeadCritic()
    view = TrainingCritic(critic, POLICY, rng(8))
    real, fake = images(), images().flip(0)
    penalty = losses.gradient_penalty(lambda x, c: view(x, c)[0], real, fake,
                                      alpha=rng(9).rand(6))
    penalty.backward()
    assert torch.isfinite(penalty) and critic.linear.weight.grad.abs().sum() > 0
