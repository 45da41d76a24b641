import base64
import json

import pytest
import torch

from facegan.cli import main
from facegan.datainfo import DataInfo
from facegan.errors import FaceganError
from facegan.export import META_KEY, TORCHSCRIPT_META_FILE, export_model
from facegan.methods.gan.sampler import gan_model
from facegan.methods.io import load_model_dir
from facegan.serve.models import onnx_model
from tests.serve.conftest import (
    TinyConditionalGenerator,
    conditional_model,
    pixels,
    save_tiny_mnist_generator,
)


def quiet_jit_load(path, **kwargs):
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        return torch.jit.load(str(path), **kwargs)


@pytest.fixture(scope="module")
def mnist_generator_dir(tmp_path_factory):
    return save_tiny_mnist_generator(tmp_path_factory.mktemp("generator"))


@pytest.fixture(scope="module")
def onnx_export(mnist_generator_dir, tmp_path_factory):
    """The tiny MNIST generator exported once through the CLI (ONNX export takes ~10 s)."""
    pytest.importorskip("onnxruntime")
    pytest.importorskip("onnxscript")
    out = tmp_path_factory.mktemp("export") / "generator.onnx"
    with pytest.raises(SystemExit) as exit_info:
        main(["export", str(mnist_generator_dir), "--format", "onnx", "--out", str(out)])
    assert exit_info.value.code in (0, None)
    # one file, nothing beside it (no external-data file, no temporary left behind)
    assert [p.name for p in out.parent.iterdir()] == ["generator.onnx"]
    return out


def test_onnx_export_matches_pytorch_at_any_batch_size(onnx_export, mnist_generator_dir):
    import onnxruntime

    session = onnxruntime.InferenceSession(str(onnx_export), providers=["CPUExecutionProvider"])
    generator = load_model_dir(mnist_generator_dir)[0].networks["generator"]
    for batch in (1, 7):
        z = torch.randn(batch, 16)
        (images,) = session.run(None, {"z": z.numpy()})
        with torch.no_grad():
            torch.testing.assert_close(torch.from_numpy(images), generator(z),
                                       atol=1e-4, rtol=0)
    meta = json.loads(session.get_modelmeta().custom_metadata_map[META_KEY])
    assert meta["latent_dim"] == 16 and meta["data"]["name"] == "MNIST" and meta["epoch"] == 2


def test_served_onnx_gives_the_pytorch_images(onnx_export, mnist_generator_dir):
    pytest.importorskip("fastapi")
    from fastapi.testclient import TestClient

    from facegan.serve.app import create_app
    from facegan.serve.models import load_served_model

    served = [load_served_model("onnx", onnx_export, torch.device("cpu")),
              load_served_model("torch", mnist_generator_dir, torch.device("cpu"))]
    client = TestClient(create_app(served))
    assert client.get("/api/model").json()["backend"] == "onnx"
    assert client.get("/api/model").json()["training"] == {"epoch": 2, "step": 16}
    answers = [client.post("/api/generate", json={"model": name, "seed": 9, "n": 4,
                                                  "format": "json"}).json()["images"]
               for name in ("onnx", "torch")]
    onnx_pixels, torch_pixels = ([pixels(base64.b64decode(i)).astype(int) for i in images]
                                 for images in answers)
    for a, b in zip(onnx_pixels, torch_pixels, strict=True):
        assert abs(a - b).max() <= 1  # float differences of ~1e-6 may flip one rounding


def test_torchscript_export_round_trips(mnist_generator_dir, tmp_path, capsys):
    out = tmp_path / "generator.pt"
    with pytest.raises(SystemExit) as exit_info:
        main(["export", str(mnist_generator_dir), "--format", "torchscript", "--out", str(out)])
    assert exit_info.value.code in (0, None)
    assert "dynamic batch size" in capsys.readouterr().out
    extra = {TORCHSCRIPT_META_FILE: ""}
    module = quiet_jit_load(out, _extra_files=extra)
    generator = load_model_dir(mnist_generator_dir)[0].networks["generator"]
    z = torch.randn(5, 16)
    with torch.no_grad():
        torch.testing.assert_close(module(z), generator(z), atol=1e-5, rtol=0)
    assert json.loads(extra[TORCHSCRIPT_META_FILE])["latent_dim"] == 16


def test_conditional_generator_exports_with_its_condition(tmp_path):
    generator = TinyConditionalGenerator("class", 3).eval()
    meta = {"data": {"name": "Tiny", "image_size": 8, "channels": 3, "label_kind": "class",
                     "label_names": ["a", "b", "c"]}}
    result = export_model(gan_model(generator, DataInfo.from_dict(meta["data"])), meta,
                          "torchscript", tmp_path / "g.pt")
    assert result.max_abs_difference <= 1e-5
    z, c = torch.randn(4, 8), torch.tensor([0, 1, 2, 1])
    with torch.no_grad():
        torch.testing.assert_close(quiet_jit_load(result.path)(z, c), generator(z, c))


def test_class_conditional_onnx_export_serves_the_same_images(tmp_path):
    pytest.importorskip("onnxruntime")
    pytest.importorskip("fastapi")
    from fastapi.testclient import TestClient

    from facegan.serve.app import create_app
    from facegan.serve.models import onnx_model

    served = conditional_model("class", name="torch")
    generator = TinyConditionalGenerator("class", 3)
    export = export_model(gan_model(generator, DataInfo.from_dict(served.data)),
                          {"data": served.data}, "onnx", tmp_path / "g.onnx")
    client = TestClient(create_app([served, onnx_model("onnx", export.path)]))
    assert client.get("/api/model", params={"name": "onnx"}).json()["labels"] == \
        ["zero", "one", "two"]
    torch_png, onnx_png = (client.post("/api/generate", json={
        "model": name, "seed": 4, "n": 6, "labels": ["two"]}).content
        for name in ("torch", "onnx"))
    assert abs(pixels(torch_png).astype(int) - pixels(onnx_png)).max() <= 1


@pytest.mark.parametrize(("args", "message"), [
    (["--format", "gif"], "--format 'gif' is not supported"),
    ([], "Missing option '--out'"),
])
def test_export_mistakes_are_one_line_errors(mnist_generator_dir, tmp_path, capsys, args,
                                             message):
    with pytest.raises(SystemExit) as exit_info:
        main(["export", str(mnist_generator_dir), *args,
              *(["--out", str(tmp_path / "g")] if args else [])])
    assert exit_info.value.code == 2
    assert message in capsys.readouterr().err


def test_a_damaged_onnx_file_is_one_line(tmp_path):
    path = tmp_path / "model.onnx"
    path.write_bytes(b"\x08\x07 not a protobuf of a model")
    with pytest.raises(FaceganError, match="is not a readable ONNX model .*; export it again"
                       ) as caught:
        onnx_model("m", path)
    assert "\n" not in str(caught.value)
