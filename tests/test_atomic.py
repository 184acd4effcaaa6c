"""write_atomic: whole files or nothing; symlinks followed; special files refused; permission
bits kept; no temporary file left behind (exceptions, Ctrl-C, and after a SIGKILL); errors
name the caller's path."""

import os
import signal
import stat
import subprocess
import sys
import textwrap

import pytest

from autograd_lite import atomic
from autograd_lite.atomic import NotARegularFileError, write_atomic

posix_only = pytest.mark.skipif(os.name != "posix", reason="POSIX file types and modes")


def names(folder) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def test_a_new_file_gets_the_bytes_and_the_umask_permissions(tmp_path):
    old = os.umask(0o027)
    try:
        write_atomic(tmp_path / "f", b"data")
    finally:
        os.umask(old)
    assert (tmp_path / "f").read_bytes() == b"data"
    if os.name == "posix":
        assert stat.S_IMODE((tmp_path / "f").stat().st_mode) == 0o640


@posix_only
@pytest.mark.parametrize("mode", [0o600, 0o640, 0o755])
def test_an_existing_file_keeps_its_permission_bits(tmp_path, mode):
    path = tmp_path / "secret.npz"
    path.write_bytes(b"old")
    path.chmod(mode)
    write_atomic(path, b"new")
    assert path.read_bytes() == b"new"
    assert stat.S_IMODE(path.stat().st_mode) == mode


@posix_only
def test_a_symlink_is_followed_and_stays_a_link(tmp_path):
    (tmp_path / "real").mkdir()
    target = tmp_path / "real" / "model.npz"
    target.write_bytes(b"old")
    target.chmod(0o600)
    link = tmp_path / "link.npz"
    link.symlink_to(target)
    write_atomic(link, b"new")
    assert link.is_symlink() and os.readlink(link) == str(target)
    assert target.read_bytes() == b"new" and stat.S_IMODE(target.stat().st_mode) == 0o600
    assert names(tmp_path) == ["link.npz", "real"] and names(tmp_path / "real") == ["model.npz"]


@posix_only
def test_a_dangling_symlink_creates_its_target(tmp_path):
    link = tmp_path / "link"
    link.symlink_to(tmp_path / "made")
    write_atomic(link, b"x")
    assert link.is_symlink() and (tmp_path / "made").read_bytes() == b"x"


@posix_only
def test_a_fifo_is_refused_and_left_alone(tmp_path):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    with pytest.raises(NotARegularFileError, match=r"pipe is a FIFO \(named pipe\), not a "
                                                   r"regular file"):
        write_atomic(fifo, b"x")
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode) and names(tmp_path) == ["pipe"]


@posix_only
def test_a_character_device_is_refused_even_through_a_symlink(tmp_path):
    with pytest.raises(NotARegularFileError, match="/dev/null is a character device"):
        write_atomic("/dev/null", b"x")
    link = tmp_path / "out"
    link.symlink_to("/dev/null")
    with pytest.raises(ValueError, match=r"out \(through the link to /dev/null\) is a "
                                         "character device"):
        write_atomic(link, b"x")
    assert stat.S_ISCHR(os.stat("/dev/null").st_mode) and link.is_symlink()


def test_a_folder_is_refused(tmp_path):
    with pytest.raises(OSError, match="is a folder"):
        write_atomic(tmp_path, b"x")


def test_errors_name_the_callers_path_not_the_temporary_file(tmp_path):
    missing = tmp_path / "absent" / "m.npz"
    with pytest.raises(FileNotFoundError) as info:
        write_atomic(missing, b"x")
    assert info.value.filename == str(missing) and ".tmp" not in str(info.value)


@pytest.mark.parametrize("error", [OSError(28, "No space left on device"), KeyboardInterrupt()])
def test_an_interrupted_write_leaves_the_old_file_and_no_temporary(tmp_path, monkeypatch, error):
    path = tmp_path / "m.npz"
    path.write_bytes(b"old")

    def broken_fsync(fd):
        raise error

    monkeypatch.setattr(os, "fsync", broken_fsync)
    with pytest.raises(type(error)) as info:
        write_atomic(path, b"new")
    assert path.read_bytes() == b"old" and names(tmp_path) == ["m.npz"]
    if isinstance(error, OSError):
        assert info.value.filename == str(path)


KILLED_MIDWAY = textwrap.dedent("""
    import os, sys
    from autograd_lite import atomic
    def hang(fd):
        print("writing", flush=True)
        os.kill(os.getpid(), 9)          # SIGKILL: no cleanup can run
    os.fsync = hang
    atomic.write_atomic(sys.argv[1], b"new")
""")


@posix_only
def test_a_temporary_file_left_by_a_killed_save_is_removed_by_the_next_save(tmp_path):
    path = tmp_path / "m.npz"
    path.write_bytes(b"old")
    done = subprocess.run([sys.executable, "-c", KILLED_MIDWAY, str(path)],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == -signal.SIGKILL and done.stdout == "writing\n"
    leftovers = [n for n in names(tmp_path) if n.endswith(".tmp")]
    assert len(leftovers) == 1 and leftovers[0].startswith(".m.npz.")  # it cannot clean up
    assert path.read_bytes() == b"old"  # but the old file is intact
    write_atomic(path, b"newer")
    assert names(tmp_path) == ["m.npz"] and path.read_bytes() == b"newer"


def test_a_temporary_file_of_a_live_process_is_not_swept(tmp_path):
    live = tmp_path / f".m.npz.{os.getppid()}-0123abcd.tmp"  # our parent is alive
    live.write_bytes(b"in progress")
    write_atomic(tmp_path / "m.npz", b"x")
    assert live.exists()


def test_check_writable_target_reports_the_file_and_its_stat(tmp_path):
    target, st = atomic.check_writable_target(tmp_path / "new")
    assert target == tmp_path.resolve() / "new" and st is None
    (tmp_path / "old").write_bytes(b"1")
    assert atomic.check_writable_target(tmp_path / "old")[1].st_size == 1
