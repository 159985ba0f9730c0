"""The ingest planner and file walker: names, hidden files, size limit, hash comparison."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path

from wxo.ingest.files import LocalFile, sha256_of, walk
from wxo.ingest.planner import Action, RemoteDocument, Step, batches, plan


def _file(name: str, size: int = 10) -> LocalFile:
    return LocalFile(name=name, path=Path("/nowhere") / name, size=size)


def _hashes(mapping: dict[str, str]) -> Callable[[LocalFile], str]:
    return lambda f: mapping[f.name]


def test_walk_names_files_by_relative_path_and_ignores_hidden_ones(tmp_path: Path) -> None:
    (tmp_path / "b" / "c").mkdir(parents=True)
    (tmp_path / ".hidden").mkdir()
    (tmp_path / "a.txt").write_text("a")
    (tmp_path / "b" / "c" / "d.md").write_text("d")
    (tmp_path / "b" / ".secret").write_text("s")
    (tmp_path / ".hidden" / "e.txt").write_text("e")
    files, skips = walk(tmp_path, max_file_bytes=100)
    assert [f.name for f in files] == ["a.txt", "b/c/d.md"]
    assert skips == []


def test_walk_skips_files_over_the_limit_and_empty_ones_with_reasons(tmp_path: Path) -> None:
    (tmp_path / "big.bin").write_bytes(b"x" * 101)
    (tmp_path / "fits.bin").write_bytes(b"x" * 100)
    (tmp_path / "empty.txt").write_bytes(b"")
    files, skips = walk(tmp_path, max_file_bytes=100)
    assert [f.name for f in files] == ["fits.bin"]
    reasons = {s.name: s.reason for s in skips}
    assert reasons["big.bin"] == "101 bytes is over the server's limit of 100"
    assert reasons["empty.txt"] == "empty file"


def test_walk_of_a_single_file_uses_its_name(tmp_path: Path) -> None:
    path = tmp_path / "only.txt"
    path.write_text("x")
    files, _ = walk(path, max_file_bytes=100)
    assert files == [LocalFile(name="only.txt", path=path, size=1)]


def test_sha256_of_matches_hashlib_across_chunks(tmp_path: Path) -> None:
    data = b"0123456789" * 300_000  # over one read chunk
    path = tmp_path / "f"
    path.write_bytes(data)
    assert sha256_of(path) == hashlib.sha256(data).hexdigest()


def test_plan_creates_new_names_skips_equal_bytes_and_replaces_changed_ones() -> None:
    files = [_file("new.txt"), _file("same.txt"), _file("changed.txt")]
    remote = [
        RemoteDocument(id="d-same", name="same.txt", content_hash="h-same"),
        RemoteDocument(id="d-changed", name="changed.txt", content_hash="h-old"),
    ]
    steps = plan(
        files,
        remote,
        hash_of=_hashes({"new.txt": "h-new", "same.txt": "h-same", "changed.txt": "h-new2"}),
    )
    assert [(s.file.name, s.action, s.document_id) for s in steps] == [
        ("new.txt", Action.CREATE, None),
        ("same.txt", Action.UNCHANGED, "d-same"),
        ("changed.txt", Action.REPLACE, "d-changed"),
    ]


def test_plan_compares_with_every_version_and_replaces_the_newest() -> None:
    remote = [  # newest first, as the API lists them
        RemoteDocument(id="v2", name="a.txt", content_hash="h2"),
        RemoteDocument(id="v1", name="a.txt", content_hash="h1"),
    ]
    [old] = plan([_file("a.txt")], remote, hash_of=_hashes({"a.txt": "h1"}))
    assert (old.action, old.document_id) == (Action.UNCHANGED, "v1")
    [new] = plan([_file("a.txt")], remote, hash_of=_hashes({"a.txt": "h3"}))
    assert (new.action, new.document_id) == (Action.REPLACE, "v2")


def test_plan_leaves_same_bytes_under_another_name_to_the_server() -> None:
    remote = [RemoteDocument(id="d", name="original.txt", content_hash="h")]
    [step] = plan([_file("copy.txt")], remote, hash_of=_hashes({"copy.txt": "h"}))
    assert step.action is Action.CREATE


def test_plan_treats_a_document_without_bytes_as_changed() -> None:
    remote = [RemoteDocument(id="d", name="a.txt", content_hash=None)]
    [step] = plan([_file("a.txt")], remote, hash_of=_hashes({"a.txt": "h"}))
    assert (step.action, step.document_id) == (Action.REPLACE, "d")


def test_batches_respect_file_count_and_byte_limits() -> None:
    steps = [Step(_file(f"f{i}", size=40), "h", Action.CREATE) for i in range(5)]
    by_count = batches(steps, max_files=2, max_bytes=1000)
    assert [len(b) for b in by_count] == [2, 2, 1]
    by_bytes = batches(steps, max_files=10, max_bytes=100)
    assert [len(b) for b in by_bytes] == [2, 2, 1]
    huge = [Step(_file("big", size=500), "h", Action.CREATE), *steps[:1]]
    assert [len(b) for b in batches(huge, max_files=10, max_bytes=100)] == [1, 1]
