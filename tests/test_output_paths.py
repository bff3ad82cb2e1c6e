"""Where `ldnn train` and `ldnn compile` write: an output location they cannot use is a
diagnostic found before any work starts, and a run stopped by SIGTERM or Ctrl-C leaves nothing behind.

`/proc` stands for a folder one cannot write to: root can write almost anywhere else."""

from __future__ import annotations

import signal
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from helpers import (
    CTRL_C_LOST_OR_MASKED,
    ctrl_c_lost_in_a_finalizer,
    handler_seen_in_a_worker_thread,
    ldnn_process,
    then,
    train_in_a_child,
)

from ldnn_dsl.cli import main
from ldnn_dsl.exit_status import INTERRUPTED_STATUS, TERMINATED_STATUS
from ldnn_dsl.source.diagnostics import DiagnosticError
from ldnn_dsl.train.folder import FILES, staging
from ldnn_dsl.train.stopping import Terminated, sigterm_raises

NO_PROC = pytest.mark.skipif(not Path("/proc/self").is_dir(), reason="needs Linux's /proc")

SPEC = """
model sorter {
  input [9]
  dense 16 relu
  dense 24
  reshape [3, 8]
  activation softmax
}

data {
  source   sort(count=3, bits=3, samples=SAMPLES)
  validate 10%
  seed     1
}

train {
  loss    sparse_categorical_crossentropy
  lr      0.1
  batch   64
  epochs  EPOCHS
  metrics [accuracy]
  seed    1
  jit     false
}
"""


def spec(tmp_path: Path, epochs: int = 1, samples: int = 400) -> Path:
    path = tmp_path / "base.ldnn"
    path.write_text(SPEC.replace("EPOCHS", str(epochs)).replace("SAMPLES", str(samples)))
    return path


def leftovers(folder: Path) -> list[str]:
    """Hidden entries (staging folders, partial files) ldnn may have left in `folder`."""
    return sorted(p.name for p in folder.iterdir() if p.name.startswith("."))


# ldnn train --out ----------------------------------------------------------------------------
@NO_PROC
@pytest.mark.parametrize(("out", "where"), [("/proc/ldnn-run", "`/proc`"), ("/proc/ldnn-run/deeper", "`/proc`"),
                                            ("{tmp}/base.ldnn/run", "base.ldnn` is a file")])
def test_train_refuses_an_out_it_cannot_write_before_training(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                              out: str, where: str) -> None:
    path = spec(tmp_path)
    assert main(["train", str(path), "--out", out.format(tmp=tmp_path)]) == 1
    err = capsys.readouterr().err
    assert "error[E005]: cannot write the run folder at" in err and where in err, err
    assert "Traceback" not in err and "linear baseline" not in err  # refused before the data were loaded
    assert sorted(p.name for p in tmp_path.iterdir()) == ["base.ldnn"]


def test_train_refuses_the_current_folder_as_out(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """A run folder is built beside itself and renamed into place: the current folder cannot be
    one (renaming it away would pull the shell's folder from under it). The output is no line
    of the spec's, so the error names the spec without pointing into it."""
    path = spec(tmp_path)
    here = tmp_path / "empty"
    here.mkdir()
    monkeypatch.chdir(here)
    assert main(["train", str(path), "--out", "."]) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"{path}: error[E005]: the run folder cannot be the current folder `{here}`\n"), err
    assert "Traceback" not in err and "train {" not in err
    assert "linear baseline" not in err
    assert list(here.iterdir()) == [] and sorted(p.name for p in tmp_path.iterdir()) == ["base.ldnn", "empty"]


@pytest.mark.parametrize("command", [["train", "--out", ""], ["compile", "-o", ""]])
def test_an_empty_output_path_is_a_usage_error(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                               monkeypatch: pytest.MonkeyPatch, command: list[str]) -> None:
    """`--out "$RUN"` with RUN unset: not the current folder, nor a file named `.keras`."""
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SystemExit) as exited:
        main([command[0], str(spec(tmp_path)), *command[1:]])
    assert exited.value.code == 2
    assert f"ldnn {command[0]}: error: argument {command[1]}" in capsys.readouterr().err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["base.ldnn"]


def test_train_refuses_a_symbolic_link_as_out_and_says_why(tmp_path: Path) -> None:
    """The run is renamed into place: a link to an empty folder would be replaced, the folder left empty."""
    from ldnn_dsl.train.run import train

    (tmp_path / "real").mkdir()
    (tmp_path / "link").symlink_to(tmp_path / "real")
    with pytest.raises(DiagnosticError) as caught:
        train(spec(tmp_path), out=tmp_path / "link", quiet=True)
    (diag,) = caught.value.diagnostics
    assert "is a symbolic link" in diag.message and diag.help == f"give the folder itself: `--out {tmp_path / 'real'}`"
    assert (tmp_path / "link").is_symlink() and list((tmp_path / "real").iterdir()) == []


def test_train_refuses_a_file_as_out(tmp_path: Path) -> None:
    from ldnn_dsl.train.run import train

    path = spec(tmp_path)
    with pytest.raises(DiagnosticError) as caught:
        train(path, out=path, quiet=True)
    assert [d.code for d in caught.value.diagnostics] == ["E005"]
    assert "already exists and is not a folder" in caught.value.diagnostics[0].message
    assert sorted(p.name for p in tmp_path.iterdir()) == ["base.ldnn"]


@NO_PROC
def test_staging_that_cannot_start_is_a_diagnostic() -> None:
    """Checked up front by `refuse_unusable_folder`; should the folder still fail (a race), no traceback."""
    with pytest.raises(DiagnosticError) as caught, staging(Path("/proc/ldnn-run")):
        pass
    assert [d.code for d in caught.value.diagnostics] == ["E005"]
    assert "/proc/ldnn-run" in caught.value.diagnostics[0].message


def test_a_failed_run_leaves_no_folders_it_made(tmp_path: Path) -> None:
    """The parents staging made for `--out a/b/run` go too when the run fails."""
    with pytest.raises(RuntimeError), staging(tmp_path / "a" / "b" / "run") as staged:
        assert staged.temp.is_dir()
        raise RuntimeError("training failed")
    assert list(tmp_path.iterdir()) == []


def test_a_run_whose_default_folder_was_taken_meanwhile_goes_to_the_next_name(tmp_path: Path) -> None:
    """Two runs started in the same second chose the same `runs/<model>-<time>`: the second to finish
    takes the next free name instead of failing and throwing its result away."""
    from ldnn_dsl.train.folder import default_folders

    names = default_folders("m", tmp_path / "runs")
    first = next(names)
    with staging(first, names) as staged:
        (staged.temp / "model.keras").write_text("second")
        first.mkdir(parents=True)
        (first / "model.keras").write_text("first")  # the other run, done first
    assert staged.folder == first.with_name(f"{first.name}-2")
    assert (first / "model.keras").read_text() == "first"
    assert (staged.folder / "model.keras").read_text() == "second"
    assert leftovers(first.parent) == []


@pytest.mark.parametrize("made", ["file", "link"])
def test_a_run_whose_folder_became_a_file_or_link_meanwhile_goes_to_the_next_name(tmp_path: Path, made: str) -> None:
    """A file or a link put at `--out` while training ran takes that name as a folder would:
    the finished run goes to the next name, not to E005 with the run thrown away."""
    from ldnn_dsl.train.folder import numbered

    out = tmp_path / "placetest"
    with staging(out, numbered(out)) as staged:
        (staged.temp / "model.keras").write_text("run")
        if made == "file":
            out.write_text("someone else's")
        else:
            (tmp_path / "elsewhere").mkdir()
            out.symlink_to(tmp_path / "elsewhere")
    assert staged.folder == tmp_path / "placetest-2"
    assert (staged.folder / "model.keras").read_text() == "run"
    assert out.is_symlink() if made == "link" else out.read_text() == "someone else's"


def test_outputs_whose_names_are_near_the_length_limit_are_written(tmp_path: Path,
                                                                    capsys: pytest.CaptureFixture[str]) -> None:
    """The temporary sibling is named after the output, cut short where its name would pass 255 bytes."""
    path = spec(tmp_path)
    model = tmp_path / ("m" * 249 + ".keras")
    assert main(["compile", str(path), "-o", str(model)]) == 0, capsys.readouterr().err
    with staging(tmp_path / ("é" * 127)) as staged:  # 254 bytes in UTF-8
        (staged.temp / "model.keras").write_text("run")
    assert (tmp_path / ("é" * 127) / "model.keras").read_text() == "run"
    assert model.is_file() and leftovers(tmp_path) == []


def test_outputs_whose_names_are_not_utf8_are_written(tmp_path: Path) -> None:
    """A name from another system (a latin-1 byte) was a UnicodeEncodeError traceback."""
    import os

    model = tmp_path / os.fsdecode(b"\xffm.keras")
    done = ldnn_process("compile", str(spec(tmp_path)), "-o", str(model), timeout=120)
    assert done.returncode == 0 and b"Traceback" not in done.stderr, done.stderr[-2000:]
    with staging(tmp_path / os.fsdecode(b"run\xff")) as staged:
        (staged.temp / "model.keras").write_text("run")
    assert model.is_file() and (tmp_path / os.fsdecode(b"run\xff") / "model.keras").read_text() == "run"
    assert leftovers(tmp_path) == []


@pytest.mark.slow
def test_a_run_whose_out_was_filled_while_it_trained_is_saved_beside_it(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    """A file put in `--out` during training is kept, and so is the run: in `--out`-2, said even with --quiet."""
    from ldnn_dsl.train import run  # `ldnn_dsl.train` itself is the API's function

    out = tmp_path / "run"
    saving = run.save_run

    def save_after_another_writer(*args: object, **kwargs: object) -> object:
        out.mkdir(exist_ok=True)
        (out / "mine.txt").write_text("theirs")
        return saving(*args, **kwargs)

    monkeypatch.setattr(run, "save_run", save_after_another_writer)
    assert main(["train", str(spec(tmp_path)), "--out", str(out), "--quiet"]) == 0
    captured = capsys.readouterr()
    assert captured.out == f"{out}-2\n"
    assert f"`{out}` was filled by something else while the net trained; the run is saved in `{out}-2`" in captured.err
    assert [p.name for p in out.iterdir()] == ["mine.txt"] and (out / "mine.txt").read_text() == "theirs"
    assert sorted(p.name for p in (tmp_path / "run-2").iterdir()) == sorted(FILES)
    assert leftovers(tmp_path) == []


def test_an_out_folder_taken_meanwhile_fails_and_keeps_the_other_run(tmp_path: Path) -> None:
    """`--out` names one folder: filled by another run meanwhile, it is not written over."""
    out = tmp_path / "run"
    with pytest.raises(DiagnosticError) as caught, staging(out) as staged:
        (staged.temp / "model.keras").write_text("second")
        out.mkdir()
        (out / "model.keras").write_text("first")
    (diag,) = caught.value.diagnostics
    assert diag.where == str(out) and "could not put the run folder in place" in diag.message
    assert (out / "model.keras").read_text() == "first" and leftovers(tmp_path) == []


@pytest.mark.slow
def test_a_full_disk_while_saving_says_so_and_leaves_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Training went fine and writing failed: that is what the message says, at the run folder."""
    import errno
    import os

    from ldnn_dsl.train import run, saving  # `ldnn_dsl.train` itself is the API's function

    def full(*args: object, **kwargs: object) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(saving, "write_curves", full)
    out = tmp_path / "run"
    with pytest.raises(DiagnosticError) as caught:
        run.train(spec(tmp_path), out=out, quiet=True)
    (diag,) = caught.value.diagnostics
    assert (diag.code, diag.where) == ("E005", str(out))
    assert diag.message == "could not save the run: No space left on device"
    assert not out.exists() and leftovers(tmp_path) == []


# ldnn compile -o -----------------------------------------------------------------------------
@pytest.mark.parametrize(("target", "why"), [
    pytest.param("/proc/ldnn-m.keras", "`/proc` is not writable", marks=NO_PROC),
    ("{tmp}/adir.keras", "is a folder"),
    ("{tmp}/base.ldnn/m.keras", "base.ldnn` is a file, not a folder"),
])
def test_compile_refuses_an_output_it_cannot_write(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                   target: str, why: str) -> None:
    path = spec(tmp_path)
    (tmp_path / "adir.keras").mkdir()
    assert main(["compile", str(path), "-o", target.format(tmp=tmp_path)]) == 1
    err = capsys.readouterr().err
    assert "error[E005]: cannot write the model here" in err and why in err and "Traceback" not in err, err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["adir.keras", "base.ldnn"]
    assert list((tmp_path / "adir.keras").iterdir()) == []


def test_compile_writes_through_a_symbolic_link(tmp_path: Path) -> None:
    """As `fmt` and Keras' own `save` do: renaming over the link had replaced it with a plain
    file and left the model it points at as it was."""
    path = spec(tmp_path)
    (tmp_path / "models").mkdir()
    (tmp_path / "link.keras").symlink_to(tmp_path / "models" / "m.keras")  # not there yet: made through the link
    assert main(["compile", str(path), "-o", str(tmp_path / "link.keras")]) == 0
    assert (tmp_path / "link.keras").is_symlink() and (tmp_path / "models" / "m.keras").is_file()
    assert leftovers(tmp_path / "models") == [] and leftovers(tmp_path) == []


@pytest.mark.parametrize(("target", "why"), [("gone/m.keras", "it is a link to `{tmp}/gone/m.keras`, whose folder "
                                                                 "does not exist"),
                                             ("link.keras", "it is a link that leads back to itself")])
def test_compile_refuses_a_link_it_cannot_write_through(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                        target: str, why: str) -> None:
    path = spec(tmp_path)
    (tmp_path / "link.keras").symlink_to(tmp_path / target)
    assert main(["compile", str(path), "-o", str(tmp_path / "link.keras")]) == 1
    err = capsys.readouterr().err
    assert f"error[E005]: cannot write the model here: {why.format(tmp=tmp_path)}" in err, err
    assert (tmp_path / "link.keras").is_symlink() and not (tmp_path / "gone").exists()


def test_compile_stopped_by_sigterm_leaves_no_partial_file(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    """SIGTERM while the model is being written: the half-written file is removed."""
    import ldnn_dsl.build.model

    class Model:
        def save(self, path: Path) -> None:
            Path(path).write_bytes(b"half a model")
            signal.raise_signal(signal.SIGTERM)

    monkeypatch.setattr(ldnn_dsl.build.model, "build_model", lambda spec, xla: Model())
    before = signal.getsignal(signal.SIGTERM)
    assert main(["compile", str(spec(tmp_path)), "-o", str(tmp_path / "m.keras")]) == TERMINATED_STATUS == 143
    err = capsys.readouterr().err
    assert "terminated (SIGTERM)" in err and "Traceback" not in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["base.ldnn"]
    assert signal.getsignal(signal.SIGTERM) is before


@pytest.mark.parametrize("ctrl_c", CTRL_C_LOST_OR_MASKED)
def test_compile_aborts_on_a_ctrl_c_lost_or_masked_before_saving(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
        ctrl_c: Callable[[], None]) -> None:
    """Seen by hand: a Ctrl-C pressed while Keras loaded was lost, and compile wrote the model and
    exited 0. Now it ends with Ctrl-C's status, and an earlier model at the target is kept."""
    from ldnn_dsl.commands import compile_cmd

    target = tmp_path / "m.keras"
    target.write_bytes(b"an earlier model")
    monkeypatch.setattr(compile_cmd, "check_source", then(compile_cmd.check_source, ctrl_c))
    before = signal.getsignal(signal.SIGINT)
    assert main(["compile", str(spec(tmp_path)), "-o", str(target)]) == INTERRUPTED_STATUS == 130
    err = capsys.readouterr().err
    assert f"ldnn compile: interrupted (Ctrl-C); {target} was not written" in err
    assert "Traceback" not in err and "Exception ignored" not in err, err
    assert target.read_bytes() == b"an earlier model" and leftovers(tmp_path) == []
    assert signal.getsignal(signal.SIGINT) is before


def test_a_ctrl_c_lost_while_the_model_was_saved_keeps_the_earlier_one(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    import ldnn_dsl.build.model

    class Model:
        def save(self, path: Path) -> None:
            Path(path).write_bytes(b"a model")
            ctrl_c_lost_in_a_finalizer()

    target = tmp_path / "m.keras"
    target.write_bytes(b"an earlier model")
    monkeypatch.setattr(ldnn_dsl.build.model, "build_model", lambda spec, xla: Model())
    assert main(["compile", str(spec(tmp_path)), "-o", str(target)]) == INTERRUPTED_STATUS
    assert "was not written" in capsys.readouterr().err
    assert target.read_bytes() == b"an earlier model" and leftovers(tmp_path) == []


@pytest.mark.parametrize("ctrl_c", CTRL_C_LOST_OR_MASKED)
def test_gradcheck_aborts_on_a_ctrl_c_lost_or_masked_and_gives_no_verdict(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
        ctrl_c: Callable[[], None]) -> None:
    """As compile: a lost Ctrl-C used to let the whole check run and print `ok`."""
    from ldnn_dsl.commands import gradcheck_cmd

    monkeypatch.setattr(gradcheck_cmd, "check_source", then(gradcheck_cmd.check_source, ctrl_c))
    assert main(["gradcheck", str(spec(tmp_path))]) == INTERRUPTED_STATUS
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "ldnn gradcheck: interrupted (Ctrl-C); no gradient was judged" in captured.err
    assert "Traceback" not in captured.err and "Exception ignored" not in captured.err, captured.err


# SIGTERM -------------------------------------------------------------------------------------
def test_sigterm_raises_inside_the_block_once_and_is_restored_after() -> None:
    before = signal.getsignal(signal.SIGTERM)
    with pytest.raises(Terminated), sigterm_raises():
        try:
            signal.raise_signal(signal.SIGTERM)
        finally:
            signal.raise_signal(signal.SIGTERM)  # a second one while cleaning up is ignored
    assert signal.getsignal(signal.SIGTERM) is before


def test_sigterm_is_left_alone_in_a_worker_thread() -> None:
    """Only the main thread may set signal handlers."""
    before, seen = handler_seen_in_a_worker_thread(sigterm_raises, signal.SIGTERM)
    assert seen == before


@pytest.mark.slow
def test_a_run_stopped_by_sigterm_leaves_no_folder(tmp_path: Path) -> None:
    """`timeout`, `kill` and job schedulers stop a run with SIGTERM: like a second Ctrl-C, it
    aborts with one diagnostic and removes the staging folder."""
    path = spec(tmp_path, epochs=1000, samples=4000)
    out, err = tmp_path / "run", tmp_path / "stderr.txt"
    child = train_in_a_child(path, out, err)
    assert leftovers(tmp_path) == [f".run.partial-{child.pid}"]
    time.sleep(0.2)
    child.send_signal(signal.SIGTERM)
    child.communicate(timeout=120)
    text = err.read_text()
    assert child.returncode == 143, text[-2000:]
    assert "error[E406]: training terminated (SIGTERM); nothing was saved" in text and "Traceback" not in text
    assert not out.exists() and leftovers(tmp_path) == []


def sigterm_once_placed(monkeypatch: pytest.MonkeyPatch, target: Path, signum: int = signal.SIGTERM) -> None:
    """SIGTERM (or `signum`) right after `target` is renamed into place, before the command can say so."""
    import os

    rename = os.replace

    def replace_then_sigterm(src: object, dst: object) -> None:
        rename(src, dst)  # type: ignore[arg-type]
        if Path(str(dst)) == target:
            signal.raise_signal(signum)

    monkeypatch.setattr(os, "replace", replace_then_sigterm)


@pytest.mark.slow
def test_sigterm_just_after_the_run_folder_is_in_place_says_it_was_saved(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    """The run is saved the moment its folder is renamed into place: a SIGTERM after that still
    ends the command with 143, but must not claim that nothing was saved."""
    out = tmp_path / "run"
    sigterm_once_placed(monkeypatch, out)
    assert main(["train", str(spec(tmp_path)), "--out", str(out), "--quiet"]) == TERMINATED_STATUS
    err = capsys.readouterr().err
    assert f"terminated (SIGTERM) after the run was saved: {out} is complete" in err, err
    assert "nothing was saved" not in err and "Traceback" not in err
    assert sorted(p.name for p in out.iterdir()) == sorted(FILES) and leftovers(tmp_path) == []


@pytest.mark.slow
def test_ctrl_c_just_after_the_run_folder_is_in_place_says_it_was_saved(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    """Training is over, so the Ctrl-C aborts (130), but the run it finds saved is reported so."""
    out = tmp_path / "run"
    sigterm_once_placed(monkeypatch, out, signal.SIGINT)
    assert main(["train", str(spec(tmp_path)), "--out", str(out), "--quiet"]) == INTERRUPTED_STATUS
    err = capsys.readouterr().err
    assert f"interrupted (Ctrl-C) after the run was saved: {out} is complete" in err, err
    assert "nothing was saved" not in err and "Traceback" not in err
    assert sorted(p.name for p in out.iterdir()) == sorted(FILES) and leftovers(tmp_path) == []


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_a_signal_as_the_handlers_are_put_back_is_still_handled(monkeypatch: pytest.MonkeyPatch,
                                                                 signum: int) -> None:
    """The command is done and the handlers are being restored: a SIGTERM that landed then
    raised past `guarded`, and the process ended in a traceback."""
    from contextlib import contextmanager

    from ldnn_dsl.commands import guard

    aborts = guard.ctrl_c_aborts

    @contextmanager
    def aborts_then_a_signal():
        with aborts():
            yield
        signal.raise_signal(signum)  # the Ctrl-C handler is back to Python's, SIGTERM's still ours

    monkeypatch.setattr(guard, "ctrl_c_aborts", aborts_then_a_signal)
    assert guard.guarded(lambda: 0, interrupted=lambda: 130, terminated=lambda: 143) == 128 + signum


def test_sigterm_just_after_the_model_is_in_place_says_it_was_written(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    import ldnn_dsl.build.model

    class Model:
        def save(self, path: Path) -> None:
            Path(path).write_bytes(b"a model")

    target = tmp_path / "m.keras"
    monkeypatch.setattr(ldnn_dsl.build.model, "build_model", lambda spec, xla: Model())
    sigterm_once_placed(monkeypatch, target)
    assert main(["compile", str(spec(tmp_path)), "-o", str(target)]) == TERMINATED_STATUS
    err = capsys.readouterr().err
    assert f"terminated (SIGTERM) after {target} was written" in err and "not written" not in err, err
    assert target.read_bytes() == b"a model" and leftovers(tmp_path) == []


def test_a_model_file_replaced_is_not_taken_for_one_written(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    """An earlier model at the target, and SIGTERM before the rename: it was not written."""
    import ldnn_dsl.build.model

    class Model:
        def save(self, path: Path) -> None:
            Path(path).write_bytes(b"half a model")
            signal.raise_signal(signal.SIGTERM)

    target = tmp_path / "m.keras"
    target.write_bytes(b"an earlier model")
    monkeypatch.setattr(ldnn_dsl.build.model, "build_model", lambda spec, xla: Model())
    assert main(["compile", str(spec(tmp_path)), "-o", str(target)]) == TERMINATED_STATUS
    assert f"{target} was not written" in capsys.readouterr().err
    assert target.read_bytes() == b"an earlier model" and leftovers(tmp_path) == []
