"""Atomic output: build everything aside, then swap it in (used by reports and by write_trial).

A report run writes into a temporary directory that is a sibling of the output directory (so on the
same filesystem, where a rename is atomic). Only when every target has been built does
:meth:`StagedOutput.commit` move each top-level entry (``index.html``, one folder per target) into the
output directory, keeping the previous version aside until all renames succeeded and restoring it if
one fails. A run that fails before the commit leaves the previous report untouched; other files in the
output directory (for example the notebooks' ``figures/``) are never touched.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

__all__ = ["StagedOutput"]


class StagedOutput:
    """A staging directory for one report run.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> out = pathlib.Path(tempfile.mkdtemp()) / "reports"
    >>> with StagedOutput(out) as stage:
    ...     _ = (stage.path / "index.html").write_text("hello")
    ...     _ = stage.commit()
    >>> (out / "index.html").read_text()
    'hello'
    """

    def __init__(self, out_dir: str | Path):
        self.out_dir = Path(out_dir).absolute()
        self.path: Path = Path()
        self.committed = False

    def __enter__(self) -> "StagedOutput":
        if self.out_dir.exists() and not self.out_dir.is_dir():
            raise NotADirectoryError(f"{self.out_dir} exists and is not a directory")
        self.out_dir.parent.mkdir(parents=True, exist_ok=True)
        self.path = Path(tempfile.mkdtemp(prefix=f".{self.out_dir.name}.tmp-", dir=self.out_dir.parent))
        return self

    def __exit__(self, *exc_info) -> None:
        shutil.rmtree(self.path, ignore_errors=True)

    def commit(self) -> list[Path]:
        """Move every top-level entry of the staging directory into the output directory.

        Returns the paths written. On failure the entries already moved are put back as they were and
        the error is raised.
        """
        if self.committed:
            raise RuntimeError("this staged output was already committed")
        self.out_dir.mkdir(parents=True, exist_ok=True)
        backup = Path(tempfile.mkdtemp(prefix=f".{self.out_dir.name}.old-", dir=self.out_dir.parent))
        moved: list[tuple[Path, Path | None]] = []  # (target, its backup or None)
        try:
            for entry in sorted(self.path.iterdir(), key=lambda p: (p.name == "index.html", p.name)):
                target = self.out_dir / entry.name
                old: Path | None = None
                if target.exists() or target.is_symlink():
                    old = backup / entry.name
                    os.replace(target, old)
                moved.append((target, old))
                os.replace(entry, target)
        except BaseException:
            for target, old in reversed(moved):
                if target.is_dir() and not target.is_symlink():
                    shutil.rmtree(target, ignore_errors=True)
                elif target.exists():
                    target.unlink()
                if old is not None:
                    os.replace(old, target)
            raise
        finally:
            shutil.rmtree(backup, ignore_errors=True)
        self.committed = True
        return [target for target, _ in moved]
