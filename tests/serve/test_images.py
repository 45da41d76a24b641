import torch

from facegan.datainfo import DataInfo
from facegan.methods.gan.sampler import gan_model
from facegan.sampling import generate_images
from facegan.serve.images import latent_noise, png_base64_list, png_bytes, seeded, slerp, to_uint8
from tests.serve.conftest import pixels


def test_noise_is_what_facegan_generate_draws():
    class Echo(torch.nn.Module):  # returns its noise, so generate_images shows what it drew
        latent_dim = 6

        def forward(self, z, c=None):
            return z

    expected = generate_images(gan_model(Echo(), DataInfo("X", 8, 1)), 4, 11, torch.device("cpu"))
    torch.testing.assert_close(latent_noise(4, 6, seeded(11), None), expected)


def test_truncation_keeps_every_entry_inside_the_bound():
    z = latent_noise(64, 32, seeded(0), 0.5)
    assert z.abs().max() <= 0.5
    assert z.std() > 0.2  # redrawn, not clipped to the bound or zeroed
    torch.testing.assert_close(z, latent_noise(64, 32, seeded(0), 0.5))


def test_slerp_runs_from_a_to_b_on_the_sphere():
    a, b = torch.tensor([1.0, 0.0]), torch.tensor([0.0, 1.0])
    path = slerp(a, b, 3)
    torch.testing.assert_close(path[0], a)
    torch.testing.assert_close(path[-1], b)
    torch.testing.assert_close(path.norm(dim=1), torch.ones(3))  # a straight line dips to 0.71


def test_uint8_and_png_round_trip():
    images = torch.tensor([-1.0, -0.5, 0.0, 1.0]).view(1, 1, 2, 2)
    assert to_uint8(images).flatten().tolist() == [0, 64, 128, 255]
    assert pixels(png_bytes(images)).tolist() == [[0, 64], [128, 255]]
    grid = pixels(png_bytes(images.expand(3, 3, 2, 2), nrow=3))
    assert grid.shape == (6, 14, 3)  # 3 images of 2 px in a row, 2 px padding
    assert len(png_base64_list(images.expand(5, 1, 2, 2))) == 5
