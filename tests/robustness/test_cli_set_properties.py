"""Property-based checks of ``--set`` (hypothesis): whatever keys and values a user types,
``facegan train CONFIG --dry-run --set KEY=VALUE`` prints the resolved config (exit 0) or one
line naming the problem (exit 2), never a traceback and never an unforeseen error (exit 1).
``--dry-run`` validates without importing torch or touching a file, so each example is quick."""

from __future__ import annotations

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from facegan.config import load_config
from tests.conftest import MNIST_CONFIG
from tests.robustness.conftest import changes, invoke, snapshot

FAST = settings(max_examples=50, deadline=None, database=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture])


def flat_keys(mapping: dict, prefix: str = "") -> list[str]:
    keys = []
    for key, value in mapping.items():
        keys.append(f"{prefix}{key}")
        if isinstance(value, dict):
            keys += flat_keys(value, f"{prefix}{key}.")
    return keys


VALID_KEYS = flat_keys(load_config(MNIST_CONFIG).to_dict())
SECTIONS = sorted({key.split(".")[0] for key in VALID_KEYS})
# what YAML makes of text that users type by mistake: open brackets, anchors, tags, merge
# keys, numbers beyond float range, booleans spelled out, nothing at all
TRICKY_VALUES = ["", " ", "null", "~", "yes", "off", "[", "]", "{", "}", "[1,", "{a: 1",
                 "{a: 1}", "[0.5, 0.999]", "[[[]]]", "1e309", "-1e309", ".inf", ".nan", "-0",
                 "0x1F", "0o17", "1_000", "2**70", str(2**70), "-1", "0", "1.5", "!!binary AAAA",
                 "!!python/object/apply:os.system [ls]", "&a 1", "*a", "<<: *a", "|", ">-",
                 "'", '"', "%TAG", "@", "`", "- x", "a: b", "a=b", "=", "\x00", "\t", "é",
                 "2024-01-01", "12:30:00", "!!set {a}", "? a", "#", "models/../x"]

keys = st.one_of(
    st.sampled_from(VALID_KEYS),
    st.builds(lambda key, tail: f"{key}.{tail}", st.sampled_from(VALID_KEYS),
              st.text(max_size=6)),
    st.builds(lambda section, tail: f"{section}.{tail}", st.sampled_from(SECTIONS),
              st.text(max_size=10)),
    st.text(max_size=12),
)
values = st.one_of(
    st.sampled_from(TRICKY_VALUES),
    st.text(max_size=12),
    st.integers(-2**70, 2**70).map(str),
    st.floats().map(repr),
    st.lists(st.one_of(st.integers(-9, 9), st.floats(-2, 2), st.text(max_size=3)),
             max_size=3).map(str),
)
overrides = st.lists(
    st.one_of(st.builds(lambda key, value: f"{key}={value}", keys, values),
              st.text(max_size=16)),  # no '=' at all, or only one
    min_size=1, max_size=3)


@FAST
@given(items=overrides)
@example(items=["train.batch_size=0"])
@example(items=["train.epochs.deeper=1"])
@example(items=["data.name=celeba"])
@example(items=["run.seed=" + str(2**70)])
@example(items=["train.g_betas=[0.5]"])
@example(items=["model=3"])
@example(items=["eval.metrics=fid"])
def test_set_gives_the_config_or_one_line(items, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    before = snapshot(tmp_path)
    result = invoke(capsys, "train", MNIST_CONFIG, "--dry-run", *[f"--set={i}" for i in items])
    assert "Traceback" not in result.out + result.err
    assert result.code in (0, 2), result.err
    if result.code == 0:
        assert "# run directory: " in result.out
        assert result.err_lines == []
    else:
        assert len(result.err_lines) == 1, result.err
        assert result.err_lines[0].startswith("error: ")
    assert changes(before, snapshot(tmp_path)) == []  # a dry run writes nothing
