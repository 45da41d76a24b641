import numpy as np
import pytest
import torch

from facegan.config import validate_section
from facegan.data.base import DataInfo, build_dataset
from facegan.data.embedding_folder import EmbeddingFolderConfig
from facegan.data.subset import limited_rows
from facegan.errors import FaceganError
from tests.data.conftest import write_corrupt_files, write_solid_images

MANIFEST_HEADER = "image,source,face,left,top,right,bottom,face_size,score,detector\n"


@pytest.fixture
def faces_dir(tmp_path):
    """The layout `facegan data faces --embed` writes: images/, manifest.csv, embeddings.npy."""
    paths = write_solid_images(tmp_path / "images", [(200, 0, 0), (0, 200, 0), (0, 0, 200)])
    paths.insert(1, write_corrupt_files(tmp_path / "images")[0])  # a truncated crop
    rows = [f"images/{p.name},photos/{i}.jpg,0,1,2,3,4,90,0.9,hog\n" for i, p in enumerate(paths)]
    (tmp_path / "manifest.csv").write_text(MANIFEST_HEADER + "".join(rows))
    embeddings = np.arange(4 * 5, dtype=np.float32).reshape(4, 5)
    np.save(tmp_path / "embeddings.npy", embeddings)
    return tmp_path


def faces(root, **values):
    cfg = validate_section(EmbeddingFolderConfig, {"name": "embedding_folder", "root": str(root),
                                                   "image_size": 8, **values}, "data")
    return build_dataset(cfg)


def test_items_carry_the_embedding_of_their_manifest_row(faces_dir):
    dataset = faces(faces_dir)
    assert dataset.info.label_kind == "embedding" and dataset.info.embedding_dim == 5
    assert len(dataset) == 3 and len(dataset.report.skipped) == 1  # the truncated crop
    image, embedding = dataset[1]
    assert embedding.dtype == torch.float32 and embedding.tolist() == [10, 11, 12, 13, 14]
    assert image[1].mean() > 0.5  # the green face of manifest row 2
    assert dataset[0][1].tolist() == [0, 1, 2, 3, 4]


def test_limit_keeps_a_seeded_subset_with_its_embeddings(faces_dir):
    dataset = faces(faces_dir, limit=2)
    rows = limited_rows(4, 2)  # of the 4 listed crops, which exist (one does not decode)
    expected = [5 * row for row in rows if row != 1]  # row 1 is the truncated crop
    assert [int(embedding[0]) for _, embedding in dataset] == expected
    assert expected != [0]  # the first 2 rows (red, truncated) would give [0]
    channel_of = {0: 0, 10: 1, 15: 2}  # first embedding value -> the colour of that row's crop
    for image, embedding in (dataset[i] for i in range(len(dataset))):
        assert image[channel_of[int(embedding[0])]].mean() > 0.5  # each face with its own row
    assert torch.equal(faces(faces_dir, limit=2).labels, dataset.labels)
    assert len(faces(faces_dir, limit=50)) == 3


def test_data_info_round_trips_the_embedding_dim():
    info = DataInfo(name="Faces", image_size=8, channels=3, label_kind="embedding",
                    embedding_dim=128)
    assert info.to_dict()["embedding_dim"] == 128
    assert DataInfo.from_dict(info.to_dict()) == info
    assert DataInfo.from_dict({"name": "x", "image_size": 8, "channels": 1}).embedding_dim == 0


def test_missing_or_misaligned_embeddings_are_one_line_errors(faces_dir):
    np.save(faces_dir / "embeddings.npy", np.zeros((3, 5), np.float32))
    with pytest.raises(FaceganError, match=r"holds \(3, 5\) but .* lists 4 faces"):
        faces(faces_dir)
    (faces_dir / "embeddings.npy").unlink()
    with pytest.raises(FaceganError, match="embeddings.npy not found .* with --embed"):
        faces(faces_dir)
    with pytest.raises(FaceganError, match="manifest.csv not found; create it with: facegan "
                                           "data faces"):
        faces(faces_dir / "images")
