"""`write_atomic`: replace a file's contents all at once or not at all.

The rules (the README's "Files" section says the same):

- The bytes go to a temporary file `.NAME.PID-RANDOM.tmp` in the target's folder, flushed to
  disk, then renamed over the target: a reader sees the old file or the new one, never half.
- A symlink is followed: its target file is replaced, the link stays a link (as `open(path,
  "w")` would do, and as editors do).
- Only regular files are replaced. An existing character or block device, FIFO, socket or
  folder is refused with `NotARegularFileError` (an `OSError` and a `ValueError`) and left
  alone: an atomic replace of `/dev/null` would swap the device for a plain file (as root),
  and writing into a FIFO blocks until a reader comes.
- An existing file keeps its permission bits (a 0600 file stays 0600); a new file gets
  0666 minus the umask, as `open` gives.
- If anything fails, or the write is interrupted by an exception (KeyboardInterrupt
  included), the temporary file is removed and the target is untouched. A process killed
  outright (SIGKILL, power loss) cannot clean up: its temporary file stays, named after its
  process id, and the next `write_atomic` into the same folder for the same name removes it
  once that process no longer exists.
- Errors name the path the caller gave, never the temporary file.
"""

from __future__ import annotations

import errno
import os
import re
import secrets
import stat
from pathlib import Path

__all__ = ["write_atomic", "check_writable_target", "NotARegularFileError"]


class NotARegularFileError(OSError, ValueError):
    """The target exists but is not a regular file (a device, FIFO, socket or folder)."""


_KINDS = ((stat.S_ISDIR, "a folder"), (stat.S_ISCHR, "a character device"),
          (stat.S_ISBLK, "a block device"), (stat.S_ISFIFO, "a FIFO (named pipe)"),
          (stat.S_ISSOCK, "a socket"))


def check_writable_target(path: str | os.PathLike[str]) -> tuple[Path, os.stat_result | None]:
    """The file `write_atomic(path, ...)` would replace (symlinks followed) and its current
    stat (None if it does not exist yet). Raises `NotARegularFileError` if it exists and is
    not a regular file; the error names `path`."""
    given = os.fspath(path)
    target = Path(os.path.realpath(given))  # through every symlink, even a dangling one
    try:
        st = os.stat(target)
    except FileNotFoundError:
        return target, None
    except OSError as e:
        raise _renamed(e, given) from None
    if not stat.S_ISREG(st.st_mode):
        kind = next((name for test, name in _KINDS if test(st.st_mode)), "not a regular file")
        via = f" (through the link to {target})" if str(target) != os.path.abspath(given) else ""
        raise NotARegularFileError(errno.EINVAL, f"{given}{via} is {kind}, not a regular file; "
                                   "only regular files are written", given)
    return target, st


def write_atomic(path: str | os.PathLike[str], data: bytes) -> Path:
    """Write `data` to `path` through a temporary file in the same folder, flushed to disk
    and renamed over the file only when complete (see the module's rules: symlinks are
    followed, only regular files are replaced, permission bits are kept, nothing is left
    behind on an error). Returns `path` as a Path."""
    given = Path(path)
    target, st = check_writable_target(given)
    _sweep_leftovers(target)
    tmp = target.with_name(f".{target.name}.{os.getpid()}-{secrets.token_hex(4)}.tmp")
    fd = -1
    try:
        # 0666 lets the umask decide a new file's bits, as open() does; an existing file's
        # bits are copied so that saving never widens (or narrows) who can read it
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0),
                     0o600 if st is not None else 0o666)
        if st is not None:
            os.chmod(tmp, stat.S_IMODE(st.st_mode))
        with os.fdopen(fd, "wb") as f:
            fd = -1  # the file object owns it now
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, target)
    except BaseException as e:  # KeyboardInterrupt too: never leave the temporary file
        if fd >= 0:
            os.close(fd)
        tmp.unlink(missing_ok=True)
        if isinstance(e, OSError) and not isinstance(e, NotARegularFileError):
            raise _renamed(e, os.fspath(given)) from None
        raise
    _fsync_folder(target.parent)
    return given


def _renamed(e: OSError, path: str) -> OSError:
    """The same kind of error, naming the caller's path instead of a temporary file."""
    if e.errno is None:
        return type(e)(f"cannot write {path}: {e}")
    return type(e)(e.errno, e.strerror or os.strerror(e.errno), path)


def _fsync_folder(folder: Path) -> None:
    """Make the rename itself durable; best effort (some file systems refuse)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _sweep_leftovers(target: Path) -> None:
    """Remove temporary files for `target` left by processes that no longer exist (killed
    by SIGKILL mid-save). Only our own pattern, only regular files, only dead writers."""
    pattern = re.compile(rf"\.{re.escape(target.name)}\.(\d+)-[0-9a-f]{{8}}\.tmp")
    try:
        names = os.listdir(target.parent)
    except OSError:
        return
    for name in names:
        match = pattern.fullmatch(name)
        if match is None or _alive(int(match[1])):
            continue
        leftover = target.parent / name
        try:
            if stat.S_ISREG(os.lstat(leftover).st_mode):
                leftover.unlink()
        except OSError:
            pass


def _alive(pid: int) -> bool:
    # on Windows os.kill(pid, 0) would terminate the process; a thread of ours may be writing
    if os.name == "nt" or pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # PermissionError: it exists, owned by someone else
        return True
    return True
