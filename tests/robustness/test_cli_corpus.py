"""The command line's fuzz corpus (issue 17): for every command, the bad inputs users really
produce -- a missing path, an empty, binary or truncated file, a wrong type or an out-of-range
value, the wrong kind of file, a foreign checkpoint, an unwritable output folder, a full disk.

Each case checks that facegan exits with the status it should (2: a mistake the user can fix),
prints one line naming the problem on stderr and no traceback, and leaves every file in its
workspace as it was: no run directory or output file is created or changed."""

from __future__ import annotations

import json
import pickle
from collections.abc import Callable
from dataclasses import dataclass

import pytest
import torch
from safetensors.torch import save_file

from tests.robustness.conftest import VERBOSE_HINT, Workspace, changes, invoke, snapshot

Args = Callable[[Workspace], list]


@dataclass(frozen=True)
class Case:
    command: str
    bad_input: str
    args: Args  # builds the bad input in the workspace, returns the command line
    message: str  # a fragment of the one line on stderr
    code: int = 2  # 0: a damaged input facegan is meant to tolerate (it says so, or skips it)
    notes: int = 0  # progress lines logged before the error (a cache being built, say)
    creates: tuple[str, ...] = ()  # what it may create on the way (a name ending in / : and
    # all under it), e.g. the data cache

    @property
    def id(self) -> str:
        return f"{self.command}: {self.bad_input}"


def then(_setup, *args) -> list:
    """The command line ``args``, once ``_setup`` (the calls that damaged the files) has run."""
    return list(args)


def foreign_pickle(w: Workspace, name: str) -> None:
    w.write(name, pickle.dumps({"state_dict": {"weight": [1.0, 2.0]}, "epoch": 3}))


def foreign_safetensors(w: Workspace, name: str) -> None:
    save_file({"encoder.weight": torch.zeros(3, 3)}, str(w / name))


def weights(w: Workspace):
    return w.generator / "generator.safetensors"


def meta(w: Workspace):
    return w.generator / "generator.json"


FOLDER_RECIPE = """\
data: {{name: image_folder, root: {root}, image_size: 16}}
model: {{name: dcgan, latent_dim: 8, g_width: 4, d_width: 4}}
objective: {{name: wgan_gp}}
"""

TRAIN = [
    Case("train", "missing config", lambda w: ["train", w / "nope.yaml"], "not found"),
    Case("train", "a directory as config", lambda w: ["train", w.folder("configs")],
         "is a folder"),
    Case("train", "a run directory as config", lambda w: ["train", w.run], "is a folder"),
    Case("train", "empty config", lambda w: ["train", w.empty("empty.yaml")], "needs a name"),
    Case("train", "binary config", lambda w: ["train", w.binary("junk.yaml")], "not UTF-8"),
    Case("train", "truncated config",
         lambda w: ["train", w.truncate(w.write("cut.yaml", w.config.read_text()), 0.3)],
         "config"),
    Case("train", "a PNG as config", lambda w: ["train", w.png("face.png")], "not UTF-8"),
    Case("train", "a list as config", lambda w: ["train", w.write("list.yaml", "- a\n- b\n")],
         "must be a mapping"),
    Case("train", "a PNG as data folder",
         lambda w: ["train", w.write("faces.yaml", FOLDER_RECIPE.format(root=w.png("a.png")))],
         "a.png"),
    Case("train", "wrong type in --set",
         lambda w: ["train", w.config, "--set", "train.epochs=many"], "train.epochs"),
    Case("train", "out of range --set",
         lambda w: ["train", w.config, "--set", "train.batch_size=0"],
         "greater than or equal to 1"),
    Case("train", "--set without =", lambda w: ["train", w.config, "--set", "train.epochs"],
         "not of the form key.sub=value"),
    Case("train", "unknown --set key", lambda w: ["train", w.config, "--set", "train.epoch=3"],
         "unknown config key 'train.epoch'"),
    Case("train", "unknown option", lambda w: ["train", w.config, "--epochs", "3"],
         "No such option"),
    Case("train", "missing data folder",
         lambda w: ["train", w.write("faces.yaml", FOLDER_RECIPE.format(root=w / "no_data"))],
         "no_data"),
    Case("train", "existing run without --resume",
         lambda w: then(w.copy_run("models/MNIST/WGAN_GP"), "train", w.config),
         "already exists"),
    Case("train", "run root under a file",
         lambda w: ["train", w.config, "--set", f"run.root={w.under_a_file('models')}"],
         "a_file.txt"),
    Case("train", "read-only run root",
         lambda w: ["train", w.config, "--set", f"run.root={w.read_only('locked')}/models"],
         "Permission denied"),
    Case("train", "run root on a full disk",
         lambda w: ["train", w.config, "--set", f"run.root={w.full_disk('disk')}/models"],
         "No space left on device"),
]

GENERATE = [
    Case("generate", "missing run", lambda w: ["generate", w / "nope"], "does not exist"),
    Case("generate", "a config as run", lambda w: ["generate", w.config],
         "no saved generator found"),
    Case("generate", "an empty folder", lambda w: ["generate", w.folder("empty")],
         "no saved generator found"),
    Case("generate", "a PNG as run", lambda w: ["generate", w.png("face.png")],
         "no saved generator found"),
    Case("generate", "a foreign pickle as run",
         lambda w: then(foreign_pickle(w, "model.pt"), "generate", w / "model.pt"),
         "no saved generator found"),
    Case("generate", "empty weights",
         lambda w: then(w.empty(weights(w).relative_to(w.path)), "generate", w.run),
         "generator.safetensors is damaged"),
    Case("generate", "truncated weights",
         lambda w: then(w.truncate(weights(w)), "generate", w.run),
         "generator.safetensors is damaged"),
    Case("generate", "binary weights",
         lambda w: then(w.binary(weights(w).relative_to(w.path)), "generate", w.run),
         "generator.safetensors is damaged"),
    Case("generate", "a foreign pickle as weights",
         lambda w: then(foreign_pickle(w, weights(w).relative_to(w.path)), "generate", w.run),
         "generator.safetensors is damaged"),
    Case("generate", "a safetensors with other keys",
         lambda w: then(foreign_safetensors(w, weights(w).relative_to(w.path)), "generate",
                        w.run), "does not fit this model"),
    Case("generate", "empty generator.json",
         lambda w: then(w.empty(meta(w).relative_to(w.path)), "generate", w.run),
         "generator.json is damaged"),
    Case("generate", "binary generator.json",
         lambda w: then(w.binary(meta(w).relative_to(w.path)), "generate", w.run),
         "generator.json is damaged"),
    Case("generate", "truncated generator.json",
         lambda w: then(w.truncate(meta(w)), "generate", w.run), "generator.json is damaged"),
    Case("generate", "generator.json of another program",
         lambda w: then(w.write(meta(w).relative_to(w.path), '{"model": "resnet50"}'),
                        "generate", w.run), "not a facegan generator description"),
    Case("generate", "generator.json without its networks",
         lambda w: then(w.write(meta(w).relative_to(w.path),
                                json.dumps({"format": "facegan.generator/2"})),
                        "generate", w.run), "generator.json"),
    Case("generate", "generator.json naming an unknown model",
         lambda w: then(w.write(meta(w).relative_to(w.path), json.dumps(
             {**json.loads(meta(w).read_text()), "model": {"name": "stylegan9"}})),
                        "generate", w.run), "stylegan9"),
    Case("generate", "-n 0", lambda w: ["generate", w.run, "-n", "0"], "-n"),
    Case("generate", "-n not a number", lambda w: ["generate", w.run, "-n", "many"], "-n"),
    Case("generate", "negative --seed", lambda w: ["generate", w.run, "--seed", "-1"], "--seed"),
    Case("generate", "huge --seed", lambda w: ["generate", w.run, "--seed", str(2**70)],
         "--seed"),
    Case("generate", "unknown --mode", lambda w: ["generate", w.run, "--mode", "sideways"],
         "unknown --mode"),
    Case("generate", "--steps 0", lambda w: ["generate", w.run, "--mode", "interpolate",
                                             "--steps", "0"], "--steps"),
    Case("generate", "unknown --device", lambda w: ["generate", w.run, "--device", "tpu"],
         "--device"),
    Case("generate", "--label not in the model",
         lambda w: ["generate", w.run, "--label", "eleven"], "label"),
    Case("generate", "missing --embedding file",
         lambda w: ["generate", w.run, "--mode", "embedding", "--embedding", w / "e.npy"],
         "e.npy"),
    Case("generate", "a foreign pickle as --embedding",
         lambda w: then(foreign_pickle(w, "faces.pt"), "generate", w.run, "--mode", "embedding",
                        "--embedding", w / "faces.pt"), "faces.pt"),
    Case("generate", "a binary --embedding",
         lambda w: ["generate", w.run, "--mode", "embedding", "--embedding",
                    w.binary("faces.npy")], "faces.npy"),
    Case("generate", "--grid under a file",
         lambda w: ["generate", w.run, "-n", "1", "--grid", w.under_a_file("out.png")],
         "a_file.txt"),
    Case("generate", "--grid is a directory",
         lambda w: ["generate", w.run, "-n", "1", "--grid", w.folder("pictures")],
         "pictures"),
    Case("generate", "--grid with an unknown extension",
         lambda w: ["generate", w.run, "-n", "1", "--grid", w / "samples.pnj"], "samples.pnj"),
    Case("generate", "--out-dir is a file",
         lambda w: ["generate", w.run, "-n", "1", "--out-dir", w.write("list.txt", "x")],
         "list.txt"),
    Case("generate", "--grid in a read-only folder",
         lambda w: ["generate", w.run, "-n", "1", "--grid", w.read_only("locked") / "s.png"],
         "Permission denied"),
    Case("generate", "--grid on a full disk",
         lambda w: ["generate", w.run, "-n", "1", "--grid", w.full_disk("disk") / "s.png"],
         "No space left on device"),
]

REPORT = [
    Case("report", "missing run", lambda w: ["report", w / "nope"], "not a run directory"),
    Case("report", "a config as run", lambda w: ["report", w.config], "not a run directory"),
    Case("report", "binary config.yaml",
         lambda w: then(w.binary("run/config.yaml"), "report", w.run), "config.yaml"),
    Case("report", "truncated config.yaml",
         lambda w: then(w.write("run/config.yaml", "data:\n  name: mnist\n  root: [unclosed"),
                        "report", w.run), "config.yaml"),
    Case("report", "a list as config.yaml",
         lambda w: then(w.write("run/config.yaml", "- a\n"), "report", w.run), "config.yaml"),
    Case("report", "binary metrics.jsonl (its unreadable lines are skipped)",
         lambda w: then(w.binary("run/metrics.jsonl"), "report", w.run), "", code=0),
    Case("report", "damaged generator.json",
         lambda w: then(w.truncate(meta(w)), "report", w.run), "generator.json is damaged"),
    Case("report", "unknown --device", lambda w: ["report", w.run, "--device", "gpu0"],
         "--device"),
    Case("report", "read-only run",
         lambda w: then(w.read_only_tree(w.run), "report", w.run), "Permission denied"),
    Case("report", "full disk",
         lambda w: then(w.full_disk(w.run), "report", w.run), "No space left on device"),
]

COMPARE = [
    Case("compare", "one run", lambda w: ["compare", w.run], "at least two"),
    Case("compare", "a missing run", lambda w: ["compare", w.run, w / "nope"],
         "not a run directory"),
    Case("compare", "the same run twice", lambda w: ["compare", w.run, w.run], "twice"),
    Case("compare", "a config as run", lambda w: ["compare", w.run, w.config],
         "not a run directory"),
    Case("compare", "binary config.yaml",
         lambda w: then(w.binary("other/config.yaml"), "compare", w.run, w / "other"),
         "config.yaml"),
    Case("compare", "--out under a file",
         lambda w: ["compare", w.run, w.copy_run("other"), "--out",
                    w.under_a_file("c.html")], "a_file.txt"),
    Case("compare", "--out is a directory",
         lambda w: ["compare", w.run, w.copy_run("other"), "--out", w.folder("pages")],
         "pages"),
    Case("compare", "--out in a read-only folder",
         lambda w: ["compare", w.run, w.copy_run("other"), "--out",
                    w.read_only("locked") / "c.html"], "Permission denied"),
    Case("compare", "--out on a full disk",
         lambda w: ["compare", w.run, w.copy_run("other"), "--out",
                    w.full_disk("disk") / "c.html"], "No space left on device"),
]

EXPORT = [
    Case("export", "missing run", lambda w: ["export", w / "nope", "--out", w / "g.onnx"],
         "does not exist"),
    Case("export", "missing --out", lambda w: ["export", w.run], "--out"),
    Case("export", "unknown --format",
         lambda w: ["export", w.run, "--format", "tflite", "--out", w / "g.tflite"],
         "--format 'tflite'"),
    Case("export", "a foreign pickle as weights",
         lambda w: then(foreign_pickle(w, weights(w).relative_to(w.path)), "export", w.run,
                        "--out", w / "g.onnx"), "generator.safetensors is damaged"),
    Case("export", "--out under a file",
         lambda w: ["export", w.run, "--format", "torchscript", "--out",
                    w.under_a_file("g.pt")], "a_file.txt"),
    Case("export", "--out is a directory",
         lambda w: ["export", w.run, "--format", "torchscript", "--out", w.folder("exports")],
         "exports"),
]

SERVE = [
    Case("serve", "nothing to serve", lambda w: ["serve"], "nothing to serve"),
    Case("serve", "missing run", lambda w: ["serve", w / "nope"], "does not exist"),
    Case("serve", "a config as model", lambda w: ["serve", w.config], "not something"),
    Case("serve", "a PNG as model", lambda w: ["serve", w.png("face.png")], "not something"),
    Case("serve", "an empty .onnx", lambda w: ["serve", w.empty("g.onnx")], "g.onnx"),
    Case("serve", "a binary .onnx", lambda w: ["serve", w.binary("g.onnx")], "g.onnx"),
    Case("serve", "a foreign pickle as weights",
         lambda w: then(foreign_pickle(w, weights(w).relative_to(w.path)), "serve", w.run),
         "generator.safetensors is damaged"),
    Case("serve", "a safetensors with other keys",
         lambda w: then(foreign_safetensors(w, weights(w).relative_to(w.path)), "serve",
                        w.run), "does not fit this model"),
    Case("serve", "torn last line of metrics.jsonl (skipped)",
         lambda w: then(w.write("run/metrics.jsonl", (w.run / "metrics.jsonl").read_text()
                                + '{"step": 9, "loss'), "serve", w.run), "", code=0),
    Case("serve", "--model without =", lambda w: ["serve", "--model", w.run], "NAME=PATH"),
    Case("serve", "the same name twice",
         lambda w: ["serve", "--model", f"a={w.run}", "--model", f"a={w.run}"], "twice"),
    Case("serve", "--queue-limit 0", lambda w: ["serve", w.run, "--queue-limit", "0"],
         "--queue-limit"),
    Case("serve", "--port not a number", lambda w: ["serve", w.run, "--port", "http"],
         "--port"),
    Case("serve", "--port out of range", lambda w: ["serve", w.run, "--port", "70000"],
         "--port"),
    Case("serve", "unknown --device", lambda w: ["serve", w.run, "--device", "npu"],
         "--device"),
]

PIPELINE = [
    Case("pipeline", "missing config", lambda w: ["pipeline", w / "nope.yaml"], "not found"),
    Case("pipeline", "binary config", lambda w: ["pipeline", w.binary("junk.yaml")],
         "not UTF-8"),
    Case("pipeline", "a run directory as config", lambda w: ["pipeline", w.run], "is a folder"),
    Case("pipeline", "--epochs 0", lambda w: ["pipeline", w.config, "--epochs", "0"],
         "--epochs"),
    Case("pipeline", "--nproc-per-node 0",
         lambda w: ["pipeline", w.config, "--nproc-per-node", "0"], "--nproc-per-node"),
    Case("pipeline", "missing --pipeline file",
         lambda w: ["pipeline", w.config, "--pipeline", w / "p.yaml"], "p.yaml"),
    Case("pipeline", "binary --pipeline file",
         lambda w: ["pipeline", w.config, "--pipeline", w.binary("p.yaml")], "p.yaml"),
    Case("pipeline", "truncated --pipeline file",
         lambda w: ["pipeline", w.config, "--pipeline",
                    w.write("p.yaml", "stages:\n  epoch: [train_epoch,\n")], "p.yaml"),
    Case("pipeline", "a run config as --pipeline file",
         lambda w: ["pipeline", w.config, "--pipeline", w.config],
         "tiny.yaml: unknown config key 'pipeline.data'"),
    Case("pipeline", "wrong type in --set",
         lambda w: ["pipeline", w.config, "--set", "train.epochs=[1]"], "train.epochs"),
    Case("pipeline", "status without a run", lambda w: ["pipeline", "status"],
         "needs a run directory"),
    Case("pipeline", "status of a missing run", lambda w: ["pipeline", "status", w / "nope"],
         "nope"),
    Case("pipeline", "status of a config", lambda w: ["pipeline", "status", w.config],
         "tiny.yaml"),
    Case("pipeline", "an extra argument", lambda w: ["pipeline", w.config, w.run],
         "unexpected argument"),
]

DATA = [
    Case("data synth", "--n 0", lambda w: ["data", "synth", "--n", "0", "--out", w / "s"],
         "n"),
    Case("data synth", "--size 0", lambda w: ["data", "synth", "--n", "2", "--size", "0",
                                              "--out", w / "s"], "size"),
    Case("data synth", "--size not a number",
         lambda w: ["data", "synth", "--size", "big", "--out", w / "s"], "--size"),
    Case("data synth", "--num-identities 0",
         lambda w: ["data", "synth", "--n", "2", "--num-identities", "0", "--out", w / "s"],
         "identities"),
    Case("data synth", "--out is someone's folder",
         lambda w: ["data", "synth", "--n", "2", "--size", "16", "--out", w.run], "run"),
    Case("data synth", "--out is a file",
         lambda w: ["data", "synth", "--n", "2", "--size", "16", "--out",
                    w.write("faces", "x")], "faces"),
    Case("data synth", "--out under a file",
         lambda w: ["data", "synth", "--n", "2", "--size", "16", "--out",
                    w.under_a_file("faces")], "a_file.txt"),
    Case("data synth", "--out in a read-only folder",
         lambda w: ["data", "synth", "--n", "2", "--size", "16", "--out",
                    w.read_only("locked") / "faces"], "Permission denied"),
    Case("data synth", "--out on a full disk",
         lambda w: ["data", "synth", "--n", "2", "--size", "16", "--out",
                    w.full_disk("disk") / "faces"], "No space left on device"),
    Case("data inspect", "missing path", lambda w: ["data", "inspect", w / "nope"],
         "neither a YAML recipe nor a data folder"),
    Case("data inspect", "a PNG as path", lambda w: ["data", "inspect", w.png("face.png")],
         "neither a YAML recipe nor a data folder"),
    Case("data inspect", "binary config", lambda w: ["data", "inspect", w.binary("j.yaml")],
         "not UTF-8"),
    Case("data inspect", "an empty folder", lambda w: ["data", "inspect", w.folder("photos")],
         "photos"),
    Case("data inspect", "a folder of non-images",
         lambda w: then((w.binary("photos/a.jpg"), w.write("photos/b.png", "text")), "data",
                        "inspect", w / "photos"), "none of the 2 image files", notes=1,
         creates=("photos/.facegan_cache", "photos/.facegan_cache/")),
    Case("data inspect", "a binary labels.csv",
         lambda w: then((w.png("photos/a.png"), w.binary("photos/labels.csv")), "data",
                        "inspect", w / "photos"), "labels.csv"),
    Case("data inspect", "a binary embeddings.npy",
         lambda w: then((w.png("faces/a.png"), w.write("faces/manifest.csv", "image\na.png\n"),
                         w.binary("faces/embeddings.npy")), "data", "inspect", w / "faces"),
         "embeddings.npy"),
    Case("data inspect", "-n 0", lambda w: ["data", "inspect", w.config, "-n", "0"], "-n"),
    Case("data inspect", "wrong type in --set",
         lambda w: ["data", "inspect", w.config, "--set", "data.image_size=big"],
         "data.image_size"),
    Case("data inspect", "--grid on a full disk",
         lambda w: ["data", "inspect", w.config, "--grid", w.full_disk("disk") / "g.png"],
         "g.png: No space left on device"),
    Case("data inspect", "--grid under a file",
         lambda w: ["data", "inspect", w.config, "--grid", w.under_a_file("g.png")],
         "a_file.txt"),
    Case("data faces", "missing --src",
         lambda w: ["data", "faces", "--src", w / "nope", "--out", w / "faces"], "nope"),
    Case("data faces", "a file as --src",
         lambda w: ["data", "faces", "--src", w.png("face.png"), "--out", w / "faces"],
         "face.png"),
    Case("data faces", "--size 0",
         lambda w: ["data", "faces", "--src", w.folder("photos"), "--out", w / "faces",
                    "--size", "0"], "--size"),
    Case("data faces", "--landmarks 7",
         lambda w: ["data", "faces", "--src", w.folder("photos"), "--out", w / "faces",
                    "--landmarks", "7"], "--landmarks"),
    Case("data faces", "unknown --detector",
         lambda w: ["data", "faces", "--src", w.folder("photos"), "--out", w / "faces",
                    "--detector", "yolo"], "--detector"),
    Case("data faces", "--workers 0",
         lambda w: ["data", "faces", "--src", w.folder("photos"), "--out", w / "faces",
                    "--workers", "0"], "--workers"),
    Case("data faces", "--dedupe not a number",
         lambda w: ["data", "faces", "--src", w.folder("photos"), "--out", w / "faces",
                    "--dedupe", "lots"], "--dedupe"),
    Case("data faces", "--out under a file",
         lambda w: then(w.png("photos/a.png"), "data", "faces", "--src", w / "photos", "--out",
                        w.under_a_file("faces")), "a_file.txt"),
]

FEATURES = [
    Case("features", "missing config", lambda w: ["features", "train", w / "nope.yaml"],
         "not found"),
    Case("features", "binary config", lambda w: ["features", "train", w.binary("j.yaml")],
         "not UTF-8"),
    Case("features", "--epochs 0", lambda w: ["features", "train", w.config, "--epochs", "0"],
         "--epochs"),
    Case("features", "--width 0", lambda w: ["features", "train", w.config, "--width", "0"],
         "--width"),
    Case("features", "--feature-dim -1",
         lambda w: ["features", "train", w.config, "--feature-dim", "-1"], "--feature-dim"),
    Case("features", "out of range --set",
         lambda w: ["features", "train", w.config, "--set", "data.image_size=2"],
         "data.image_size"),
    Case("features", "--out on a full disk",
         lambda w: ["features", "train", w.config, "--epochs", "1", "--width", "4",
                    "--feature-dim", "4", "--no-progress", "--out",
                    w.full_disk("disk") / "classifier"], "No space left on device",
         creates=("disk/classifier",)),  # the folder, left empty
    Case("features", "--out under a file",
         lambda w: ["features", "train", w.config, "--epochs", "1", "--width", "4",
                    "--feature-dim", "4", "--no-progress", "--out",
                    w.under_a_file("classifier")],
         "a_file.txt"),
]

def evaluation(w: Workspace) -> list:
    """A quick evaluation of the tiny run that succeeds, up to writing its --json."""
    return ["evaluate", w.run, "--metrics", "fid", "--classifier", w.classifier,
            "--num-samples", "8", "--no-progress", "--no-cache"]


EVALUATE = [
    Case("evaluate", "missing run", lambda w: ["evaluate", w / "nope"], "does not exist"),
    Case("evaluate", "a config as run", lambda w: ["evaluate", w.config],
         "no saved generator found"),
    Case("evaluate", "unknown --metrics", lambda w: ["evaluate", w.run, "--metrics", "fid,iq"],
         "iq"),
    Case("evaluate", "--num-samples 0", lambda w: ["evaluate", w.run, "--num-samples", "0"],
         "--num-samples"),
    Case("evaluate", "--batch-size -4", lambda w: ["evaluate", w.run, "--batch-size", "-4"],
         "--batch-size"),
    Case("evaluate", "unknown --features",
         lambda w: ["evaluate", w.run, "--features", "clip"], "clip"),
    Case("evaluate", "unknown --condition",
         lambda w: ["evaluate", w.run, "--condition", "sometimes"], "--condition"),
    Case("evaluate", "missing --classifier",
         lambda w: ["evaluate", w.run, "--classifier", w / "nope"], "nope"),
    Case("evaluate", "a PNG as --classifier",
         lambda w: ["evaluate", w.run, "--classifier", w.png("face.png")],
         "no trained classifier in"),
    Case("evaluate", "binary --inception-weights",
         lambda w: ["evaluate", w.run, "--features", "inception", "--inception-weights",
                    w.binary("pt_inception.pth")], "pt_inception.pth"),
    Case("evaluate", "binary --config",
         lambda w: ["evaluate", w.run, "--config", w.binary("j.yaml")], "not UTF-8"),
    Case("evaluate", "wrong type in --set",
         lambda w: ["evaluate", w.run, "--set", "data.limit=some"], "data.limit"),
    Case("evaluate", "unknown --device", lambda w: ["evaluate", w.run, "--device", "tpu"],
         "--device"),
    Case("evaluate", "--json under a file",
         lambda w: [*evaluation(w), "--json", w.under_a_file("r.json")], "a_file.txt"),
    Case("evaluate", "--json is a directory",
         lambda w: [*evaluation(w), "--json", w.folder("results")], "results"),
    Case("evaluate", "--json on a full disk",
         lambda w: [*evaluation(w), "--json", w.full_disk("disk") / "r.json"],
         "r.json: No space left on device"),
]

ANY = [
    Case("facegan", "unknown command", lambda w: ["trian", w.config], "No such command"),
    Case("facegan", "unknown data command", lambda w: ["data", "synthesize"],
         "No such command"),
    Case("facegan", "unknown global option", lambda w: ["--quiet", "train", w.config],
         "No such option"),
]

CASES = ANY + TRAIN + GENERATE + REPORT + COMPARE + EXPORT + SERVE + PIPELINE + DATA + FEATURES \
    + EVALUATE


@pytest.fixture
def no_server(monkeypatch):
    """uvicorn.run replaced: serve loads its models and stops before anything listens."""
    uvicorn = pytest.importorskip("uvicorn")
    calls = []
    monkeypatch.setattr(uvicorn, "run", lambda app, **options: calls.append(options))
    return calls


def expected(change: str, creates: tuple[str, ...]) -> bool:
    return any(change == f"created {path}" or path.endswith("/")
               and change.startswith(f"created {path}") for path in creates)


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_bad_input_is_one_line_and_changes_no_file(case, workspace, no_server, capsys):
    """Exit 2 with one line naming the problem (after any progress lines the case allows), no
    traceback, no file created or changed, nothing served; or, for a damage facegan tolerates,
    exit 0."""
    args = case.args(workspace)
    before = snapshot(workspace.path)
    result = invoke(capsys, *args)
    assert "Traceback" not in result.out + result.err
    assert result.code == case.code, result.err
    if case.code == 0:  # tolerated: it does its work
        assert bool(no_server) == (case.command == "serve")  # serve got as far as listening
        return
    assert [change for change in changes(before, snapshot(workspace.path))
            if not expected(change, case.creates)] == []
    *notes, line = result.err_lines or [""]
    assert len(notes) == case.notes, result.err
    assert all(note.startswith("facegan: ") for note in notes), result.err
    assert line.startswith("error: "), result.err
    assert case.message in line
    assert (VERBOSE_HINT in line) == (case.code == 1)
    assert not no_server  # nothing was served


CONTROLS = [
    ("train --dry-run", lambda w: ["train", w.config, "--dry-run"]),
    ("generate", lambda w: ["generate", w.run, "-n", "4", "--grid", w / "s.png"]),
    ("serve", lambda w: ["serve", w.run]),
    ("data inspect", lambda w: ["data", "inspect", w.config, "-n", "4", "--grid", w / "g.png"]),
]


@pytest.mark.parametrize("args", [args for _, args in CONTROLS],
                         ids=[name for name, _ in CONTROLS])
def test_the_workspace_itself_is_sound(args, workspace, no_server, capsys):
    """The same commands on the workspace's good files succeed: the cases above fail for their
    bad input, not for their surroundings."""
    command = args(workspace)
    result = invoke(capsys, *command)
    assert result.code == 0, result.err
    assert "error" not in result.err
    assert bool(no_server) == (command[0] == "serve")


def test_a_full_disk_at_the_first_checkpoint_leaves_no_partial_checkpoint(workspace, capsys):
    """Training fills the disk when it saves: one line naming the checkpoint, and nothing half
    written under saved_models/ (the weights, the optimizer state and the rest are written by
    Python, so the failure is an OSError rather than a C++ one)."""
    saved_models = workspace / "models/MNIST/WGAN_GP/saved_models"
    workspace.full_disk(saved_models)
    result = invoke(capsys, "train", workspace.config, "--no-progress")
    assert "Traceback" not in result.out + result.err
    assert result.code == 2, result.err
    *progress, line = result.err_lines
    assert all(note.startswith("facegan: ") for note in progress), result.err
    assert line.startswith(f"error: {saved_models}/checkpoint_")
    assert "No space left on device" in line
    assert list(saved_models.iterdir()) == []  # no checkpoint, no temporary folder
