"""Finding what to resume from: a savepoint, a checkpoint, or the newest checkpoint
below a checkpoint folder."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlparse


class NoCheckpointError(ValueError):
    pass


def _local_path(uri: str) -> Path | None:
    parsed = urlparse(uri)
    if parsed.scheme in ("", "file"):
        return Path(parsed.path)
    return None


def newest_checkpoint(uri: str) -> str | None:
    """The newest complete checkpoint or savepoint below a local folder, if any."""
    path = _local_path(uri)
    if path is None or not path.is_dir():
        return None
    candidates = [meta.parent for meta in path.glob("**/chk-*/_metadata")]
    candidates += [meta.parent for meta in path.glob("**/savepoint-*/_metadata")]
    if not candidates:
        return None
    newest = max(candidates, key=lambda folder: (folder / "_metadata").stat().st_mtime)
    return newest.as_uri()


def resolve_restore_path(uri: str) -> str:
    """`uri` itself when it is a savepoint/checkpoint or a remote location; for a local
    folder of checkpoints, the newest complete one in it."""
    path = _local_path(uri)
    if path is None or (path / "_metadata").is_file():
        return uri
    newest = newest_checkpoint(uri)
    if newest is None:
        raise NoCheckpointError(f"no checkpoint or savepoint (a _metadata file) under {uri}")
    return newest
