"""Writing output files: atomically, keeping the file's permissions, owner and links."""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any


def write_atomically(path: Path, text: str | bytes | Iterable[str]) -> None:
    """Write via a temporary file in the same folder, flushed to disk, and rename: never a
    half-written file, even after a power cut. `text` may come in pieces, written as they
    are made; bytes (a workbook) are written as they are.

    The file keeps the permissions it had (a new one gets what the umask gives, not the
    temporary file's private 0600) and, where allowed, its owner and group; a symbolic
    link stays a link to the rewritten file. What a rename cannot keep is written in place
    instead: a file with several hard links (a rename would split them), and what is no
    regular file at all (`-o /dev/stdout`, a pipe). A symbolic-link loop or a missing
    folder raises OSError, which callers report as bad input.
    """
    try:
        info = os.stat(path)  # through links; a loop raises OSError (ELOOP)
    except FileNotFoundError:
        info = None
    if info is not None and (not stat.S_ISREG(info.st_mode) or info.st_nlink > 1):
        with _opened(path, text) as fh:
            _write(fh, text)
        return
    path = Path(os.path.realpath(path)) if path.is_symlink() else path
    mode = stat.S_IMODE(info.st_mode) if info is not None else 0o666 & ~_umask()
    directory = path.parent if str(path.parent) else Path(".")
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=directory)
    try:
        with _opened(fd, text) as fh:
            _write(fh, text)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, mode)
        if info is not None and (info.st_uid, info.st_gid) != _owner(tmp):
            with contextlib.suppress(OSError):  # only root may give a file away
                os.chown(tmp, info.st_uid, info.st_gid)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    _sync_folder(directory)


def _opened(target: int | Path, text: str | bytes | Iterable[str]) -> Any:
    if isinstance(text, bytes):
        return open(target, "wb")
    return open(target, "w", encoding="utf-8", newline="\n")


def _write(fh: Any, text: str | bytes | Iterable[str]) -> None:
    if isinstance(text, (str, bytes)):
        fh.write(text)  # type: ignore[attr-defined]
    else:
        fh.writelines(text)  # type: ignore[attr-defined]


def _owner(path: str) -> tuple[int, int]:
    info = os.stat(path)
    return info.st_uid, info.st_gid


def _sync_folder(directory: Path) -> None:
    """Make the rename itself durable (where the system lets a folder be opened)."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _umask() -> int:
    mask = os.umask(0o022)  # the only way to read it is to set it
    os.umask(mask)
    return mask
