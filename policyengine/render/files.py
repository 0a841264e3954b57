"""Writing output files: atomically, keeping the file's permissions, owner and links."""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import IO, Any


def write_atomically(path: Path, text: str | bytes | Iterable[str | Spooled]) -> None:
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


def _opened(target: int | Path, text: str | bytes | Iterable[str | Spooled]) -> Any:
    if isinstance(text, bytes):
        return open(target, "wb")
    return open(target, "w", encoding="utf-8", newline="\n")


class Spooled:
    """Text already written, UTF-8 encoded, to a stretch of a file (by an `eval --jobs`
    worker, policyengine/shards.py): written out by the kernel, file to file, instead of
    being sent to this process, decoded and encoded again. A piece of text like a `str`
    wherever output comes in pieces."""

    __slots__ = ("file", "length", "offset")

    def __init__(self, file: IO[bytes], offset: int, length: int) -> None:
        self.file, self.offset, self.length = file, offset, length

    def __str__(self) -> str:
        return os.pread(self.file.fileno(), self.length, self.offset).decode("utf-8")

    def copy_to(self, out: Any) -> None:
        """Append the bytes to `out`, a text file opened for writing (flushed first)."""
        out.flush()
        source, target = self.file.fileno(), out.fileno()
        at, left = self.offset, self.length
        try:
            while left:
                sent = os.sendfile(target, source, at, left)
                if sent == 0:
                    raise OSError("sendfile wrote nothing")
                at, left = at + sent, left - sent
        except (AttributeError, OSError):  # no sendfile here (macOS to a file, Windows), or not to this target
            while left:
                block = os.pread(source, min(left, 1 << 20), at)
                out.buffer.write(block)
                at, left = at + len(block), left - len(block)
            out.flush()


def joined_text(pieces: Iterable[str | Spooled]) -> str:
    """Pieces of output as one text (for the screen and the tests)."""
    return "".join(str(piece) for piece in pieces)


def _write(fh: Any, text: str | bytes | Iterable[str | Spooled]) -> None:
    if isinstance(text, (str, bytes)):
        fh.write(text)
        return
    for piece in text:
        if isinstance(piece, Spooled):
            piece.copy_to(fh)
        else:
            fh.write(piece)


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
