import os
import subprocess
import sys
from pathlib import Path

import pytest

import facegan
from facegan.errors import FaceganError
from facegan.faces import models


@pytest.mark.parametrize("name", sorted(models.MODEL_FILES))
def test_model_files_are_found_without_importing_their_package(name):
    path = models.model_path(name)
    assert path.is_file() and path.stat().st_size > 100_000
    assert "face_recognition_models" not in sys.modules


def test_missing_model_package_names_the_extra(monkeypatch):
    monkeypatch.setattr(models.importlib.util, "find_spec", lambda name: None)
    with pytest.raises(FaceganError, match=r"pip install 'facegan\[faces\]'"):
        models.model_path("landmarks_68")


def test_missing_dlib_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "dlib", None)  # makes `import dlib` fail
    with pytest.raises(FaceganError, match=r"pip install 'facegan\[faces\]'"):
        models.import_dlib()


def test_importing_the_command_does_not_load_dlib():
    code = "import sys, facegan.faces.command; assert 'dlib' not in sys.modules, 'dlib imported'"
    env = {**os.environ, "PYTHONPATH": str(Path(facegan.__file__).parents[1])}
    subprocess.run([sys.executable, "-c", code], check=True, env=env)
