import numpy as np
import pytest
import torch
from safetensors.torch import load_file

from facegan.config import load_config, validate_section
from facegan.data.base import build_dataset
from facegan.data.synthfaces import ATTRIBUTE_NAMES, TAG_VALUES, generate
from facegan.data.synthfaces_dataset import SynthFacesConfig
from facegan.errors import FaceganError
from facegan.runs import RunDir
from facegan.training.trainer import Trainer
from tests.conftest import REPO

N, SIZE = 24, 16


def synth(tmp_path, **values):
    cfg = validate_section(SynthFacesConfig, {"name": "synthfaces", "n": N, "image_size": SIZE,
                                              "seed": 3, "cache_dir": str(tmp_path / "cache"),
                                              **values}, "data")
    return build_dataset(cfg)


@pytest.fixture(scope="module")
def reference():
    return generate(N, SIZE, seed=3)


def test_images_and_attribute_labels_match_the_renderer(tmp_path, reference):
    dataset = synth(tmp_path, attributes=["Smiling", "Eyeglasses", "hair_color"])
    expected = torch.from_numpy(reference.images).permute(0, 3, 1, 2)
    assert torch.equal(dataset.uint8_images(list(range(N))), expected)
    names = dataset.info.label_names
    hair = TAG_VALUES["hair_color"]
    assert names[:2] == ("Smiling", "Eyeglasses")
    assert names[2:] == tuple(f"hair_color={v}" for v in sorted(set(hair) & set(
        reference.tag_strings("hair_color"))))
    smiling = reference.attributes[:, ATTRIBUTE_NAMES.index("Smiling")]
    assert dataset.labels[:, 0].tolist() == smiling.tolist()
    for row, value in enumerate(reference.tag_strings("hair_color")):
        assert dataset.labels[row, names.index(f"hair_color={value}")] == 1
        assert dataset.labels[row, 2:].sum() == 1
    assert torch.equal(dataset.identities, torch.from_numpy(reference.identities))


def test_one_tag_gives_classes_and_no_attributes_gives_no_labels(tmp_path, reference):
    classes = synth(tmp_path, attributes=["eye_color"])
    assert classes.info.label_kind == "class"
    got = [classes.info.label_names[i] for i in classes.labels]
    assert got == reference.tag_strings("eye_color")
    plain = synth(tmp_path)
    assert plain.info.label_kind == "none" and plain[0][1].item() == -1
    assert plain.report.cache == classes.report.cache  # labels come from the same entry


def test_unknown_attribute_lists_the_valid_names(tmp_path):
    with pytest.raises(FaceganError, match="unknown SynthFaces attribute 'Hat'; valid names: "
                                           "Bald, Bangs, .*hair_color, eye_color"):
        synth(tmp_path, attributes=["Hat"])


def test_grayscale_and_uncached(tmp_path, reference):
    dataset = synth(tmp_path, channels=1, cache=False)
    assert dataset.report.cache is None and not (tmp_path / "cache").exists()
    luma = np.round(reference.images[0] @ np.array([0.299, 0.587, 0.114]))
    assert np.abs(dataset.uint8_images([0])[0, 0].numpy() - luma).max() <= 1


def synth_run_config(tmp_path, name="WGAN_GP", *overrides):
    return load_config(REPO / "configs" / "synthfaces_dcgan.yaml", [
        f"data.n={N}", f"data.image_size={SIZE}", f"data.cache_dir={tmp_path / 'cache'}",
        "model.latent_dim=8", "model.g_width=8", "model.d_width=8",
        "train.batch_size=8", "train.num_critic_steps=2", "train.epochs=1",
        "log.every=1", "log.num_samples=4", "log.histograms=false", "log.tensorboard=false",
        f"run.root={tmp_path / 'models'}", f"run.name={name}", *overrides])


def test_trainer_on_the_synthfaces_config_leaves_its_run_and_repeats_exactly(tmp_path):
    assert synth_run_config(tmp_path).data.hflip  # random flips are part of the recipe
    first = Trainer(synth_run_config(tmp_path, "first"), progress=False).fit()
    run = RunDir.for_config(synth_run_config(tmp_path, "first"))
    assert first.run_dir == run.path and run.path.parts[-2:] == ("SynthFaces", "first")
    assert first.counters.step == N // 8
    assert (run.visualizations / "samples" / "epoch_001.png").is_file()
    assert (run.saved_models / "generator" / "generator.safetensors").is_file()
    assert "name: synthfaces" in run.config_file.read_text()
    # flips are random; they draw from the seeded torch generator, so a second run is identical
    second = Trainer(synth_run_config(tmp_path, "second"), progress=False).fit()
    weights = [load_file(r.run_dir / "saved_models" / "generator" / "generator.safetensors")
               for r in (first, second)]
    assert all(torch.equal(weights[0][k], weights[1][k]) for k in weights[0])


def test_resume_with_random_flips_is_bit_identical(tmp_path):
    straight = Trainer(synth_run_config(tmp_path, "straight", "train.epochs=2"),
                       progress=False).fit()
    Trainer(synth_run_config(tmp_path, "split"), progress=False).fit()
    torch.manual_seed(999)  # a new process would start from another global RNG state
    resumed = Trainer(synth_run_config(tmp_path, "split", "train.epochs=2"), resume=True,
                      progress=False).fit()
    weights = [load_file(r.run_dir / "saved_models" / "generator" / "generator.safetensors")
               for r in (straight, resumed)]
    assert resumed.counters.step == straight.counters.step == 2 * N // 8
    assert all(torch.equal(weights[0][k], weights[1][k]) for k in weights[0])
