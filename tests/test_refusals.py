"""Input that used to pass and then fail later (or worse, succeed wrongly) is refused up front.

Check-time refusals have goldens (`tests/diagnostics/refuse_*.ldnn`); here are the command-line
ones (`gradcheck --seed`/`--eps`, `fmt` through a symlink), the pieces the checker calls, and
proof that what the checker now accepts at the edges still builds and trains.
"""

from __future__ import annotations

import io
import os
from pathlib import Path
from types import ModuleType

import pytest
from helpers import checked, write

from ldnn_dsl.check.check import check_source
from ldnn_dsl.fmt import format_paths
from ldnn_dsl.layers.base import InitDefaults
from ldnn_dsl.layers.initializers import Init
from ldnn_dsl.source.text import decode

SPEC = "model m {\n  input [4]\n  dense 3 tanh\n  dense 1\n}\n"
UGLY = "model m {input [4]\n dense 1}\n"
PRETTY = "model m {\n  input [4]\n  dense 1\n}\n"


def errors(text: str) -> list[tuple[str, str]]:
    result = check_source(decode("t.ldnn", text.encode()), "compile")
    return [(d.code, d.message) for d in result.errors]


# --- gradcheck: --seed and --eps --------------------------------------------------------------

@pytest.mark.parametrize("value", ["-3", "99999999999999", "4294967296", "1.5", "two"])
def test_gradcheck_refuses_a_seed_keras_cannot_take(ldnn, tmp_path: Path, value: str) -> None:
    rc, out, err = ldnn("gradcheck", str(write(tmp_path / "base.ldnn", SPEC)), "--seed", value)
    assert rc == 2 and out == ""
    assert "argument --seed: expected a seed, a whole number from 0 to 4294967295" in err
    assert "internal error" not in err and "Traceback" not in err


@pytest.mark.parametrize("value", ["1e-20", "1e-300", "0", "-1e-6", "0.5", "inf", "nan", "tiny"])
def test_gradcheck_refuses_a_step_that_measures_nothing(ldnn, tmp_path: Path, value: str) -> None:
    rc, out, err = ldnn("gradcheck", str(write(tmp_path / "base.ldnn", SPEC)), f"--eps={value}")
    assert rc == 2 and out == ""
    assert f"argument --eps: expected a step from 1e-10 to 0.1, got '{value}'" in err
    assert "Traceback" not in err


def test_gradcheck_says_why_a_tiny_step_is_refused(ldnn, tmp_path: Path) -> None:
    err = ldnn("gradcheck", str(write(tmp_path / "base.ldnn", SPEC)), "--eps", "1e-20").err
    assert "float64" in err and "every gradient would pass" in err


@pytest.mark.parametrize("options", [{"eps": 1e-20}, {"eps": 0.5}, {"seed": -1}, {"seed": 2**32}])
def test_gradcheck_options_refuse_what_the_command_refuses(options: dict[str, float]) -> None:
    from ldnn_dsl.verify.gradcheck import GradcheckOptions

    with pytest.raises(ValueError, match=r"eps|seed"):
        GradcheckOptions(**options)  # type: ignore[arg-type]


def test_gradcheck_keeps_the_edges_of_the_range(ldnn, tmp_path: Path) -> None:
    from ldnn_dsl.verify.gradcheck import GradcheckOptions

    assert GradcheckOptions(eps=1e-10, seed=2**32 - 1).eps == 1e-10
    assert GradcheckOptions(eps=0.1, seed=0).eps == 0.1


# --- fmt through a symlink --------------------------------------------------------------------

def run_fmt(paths: list[str], **kwargs: bool) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    return format_paths(paths, out=out, err=err, **kwargs), out.getvalue(), err.getvalue()


def test_fmt_formats_a_symlinks_target_and_keeps_the_link(tmp_path: Path) -> None:
    real = write(tmp_path / "specs" / "real.ldnn", UGLY)
    link = tmp_path / "link.ldnn"
    link.symlink_to(os.path.relpath(real, tmp_path))
    assert run_fmt([str(link)]) == (0, "", "")
    assert link.is_symlink() and link.resolve() == real.resolve()
    assert real.read_text() == PRETTY and not real.is_symlink()
    assert sorted(p.name for p in real.parent.iterdir()) == ["real.ldnn"]  # no temp file left behind
    assert sorted(p.name for p in tmp_path.iterdir()) == ["link.ldnn", "specs"]


def test_fmt_follows_a_chain_of_links_and_keeps_the_mode(tmp_path: Path) -> None:
    real = write(tmp_path / "real.ldnn", UGLY)
    real.chmod(0o640)
    (tmp_path / "middle.ldnn").symlink_to(real)
    (tmp_path / "first.ldnn").symlink_to(tmp_path / "middle.ldnn")
    assert run_fmt([str(tmp_path / "first.ldnn")])[0] == 0
    assert (tmp_path / "first.ldnn").is_symlink() and (tmp_path / "middle.ldnn").is_symlink()
    assert real.read_text() == PRETTY
    assert real.stat().st_mode & 0o777 == 0o640


def test_fmt_check_through_a_link_names_the_link_and_writes_nothing(tmp_path: Path) -> None:
    real = write(tmp_path / "real.ldnn", UGLY)
    link = tmp_path / "link.ldnn"
    link.symlink_to(real)
    status, out, _ = run_fmt([str(link)], check=True)
    assert status == 1 and out == f"would reformat {link}\n"
    assert real.read_text() == UGLY and link.is_symlink()


# --- the layer table's own checks -------------------------------------------------------------

def test_section_identity_cannot_fill_a_conv_kernel() -> None:
    """The `init` section's default reaches every layer; the table says which it cannot fill
    (the checker reports that at the section's line)."""
    spec = checked("model m {\n  input [8, 8, 3]\n  conv 4 3x3\n  flatten\n  dense 2\n}\n").spec
    assert spec is not None
    conv, _, dense = (n.layer for n in spec.model.body)
    identity = InitDefaults(weights=Init(name="identity"))
    assert [s for s, _ in conv.init_misfits(identity)] == ["weights"]
    assert "`identity` needs a 2-D weight, got the 4-D kernel of `conv`" in conv.init_misfits(identity)[0][1]
    assert dense.init_misfits(identity) == []
    orthogonal_bias = InitDefaults(biases=Init(name="orthogonal"))
    assert [s for s, _ in dense.init_misfits(orthogonal_bias)] == ["biases"]
    assert conv.init_misfits(InitDefaults(weights=Init(name="orthogonal"))) == []


def test_a_layers_own_init_wins_over_the_section() -> None:
    spec = checked("model m {\n  input [8, 8, 3]\n  conv 4 3x3 init=he_normal bias=false\n}\n").spec
    assert spec is not None
    conv = spec.model.body[0].layer
    assert conv.init_misfits(InitDefaults(weights=Init(name="identity"), biases=Init(name="identity"))) == []


@pytest.mark.parametrize(("text", "marked"), [('dense 4 name="a b"', '"a b"'), ("dense 4 init=constant(1e40)", "1e40"),
                                             ("dense 1e300", "1e300"), ("conv1d 4 3 init=identity", "identity"),
                                             ("dense 4 bias_init=identity", "identity"), ("dense 4 l2=inf", "inf")])
def test_refusals_point_at_the_argument(text: str, marked: str) -> None:
    """The caret goes under the value refused, not the whole layer."""
    source = f"model m {{\n  input [10, 4]\n  {text}\n}}\n"
    (found,) = check_source(decode("t.ldnn", source.encode()), "compile").errors
    span = found.span
    assert found.code in ("E201", "E202") and span is not None and span.line == span.end_line == 3
    assert source.splitlines()[2][span.col - 1:span.end_col - 1] == marked


def test_a_vocabulary_past_the_bound_is_refused_at_vocab() -> None:
    found = errors("model m {\n  input [10] int\n  embedding 8 vocab=1e12\n}\n")
    assert found[0] == ("E202", "`vocab` of `embedding` must be at most 2147483647 (2**31 - 1, the most "
                                "TensorFlow can index); got 1e+12")


def test_sizes_up_to_the_bound_are_accepted() -> None:
    spec = checked("model m {\n  input [4]\n  dense 2147483647\n}\n").spec
    assert spec is not None and spec.model.body[0].layer.units == 2**31 - 1
    assert errors("model m {\n  input [4]\n  dense 2147483648\n}\n")[0][0] == "E202"


def test_the_train_section_gets_the_same_bounds() -> None:
    """`lr`, `epochs` and friends share the layer table's number types."""
    base = "model m {\n  input [4]\n  dense 1\n}\ntrain {\n  loss mse\n  %s\n}\n"
    assert errors(base % "lr 3.5e38")[0][0] == "E202"  # past float32
    assert errors(base % "lr 1e400")[0][0] == "E209"  # past every float: refused where it is written
    assert errors(base % "epochs 1e300")[0][0] == "E202"
    assert not errors(base % "lr 3.0e38")


# --- what is accepted at the edges builds and trains -------------------------------------------

@pytest.fixture(scope="module")
def keras() -> ModuleType:
    import keras

    return keras


def test_names_keras_takes_build_and_train(keras: ModuleType) -> None:
    import numpy as np

    from ldnn_dsl.build.model import build_model

    text = ("model m {\n  input [4]\n  dense 3 tanh name=\"block.1-a\"\n  dense 3 name=\"x.y\"\n"
            "  residual { dense 3 name=_h }\n  dense 1 name=\"Out-9\"\n}\n")
    spec = checked(text, purpose="compile").spec
    model = build_model(spec)  # type: ignore[arg-type]
    assert [layer.name for layer in model.layers][-1] == "Out-9"
    model.compile(optimizer="sgd", loss="mse")
    history = model.fit(np.ones((8, 4), "float32"), np.zeros((8, 1), "float32"), epochs=1, verbose=0)
    assert np.isfinite(history.history["loss"][0])


def test_largest_constant_builds_finite_weights(keras: ModuleType) -> None:
    import numpy as np

    from ldnn_dsl.build.model import build_model

    spec = checked("model m {\n  input [4]\n  dense 2 init=constant(-3.4e38) bias_init=constant(3.4e38)\n}\n",
                   purpose="compile").spec
    layer = build_model(spec).get_layer("dense_1")  # type: ignore[arg-type]
    assert np.isfinite(keras.ops.convert_to_numpy(layer.kernel)).all()
    assert np.isfinite(keras.ops.convert_to_numpy(layer.bias)).all()
