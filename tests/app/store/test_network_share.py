"""Scenario 18: a SQLite file on NFS or SMB is refused at start, with the reason and a way out."""

from __future__ import annotations

import functools
from pathlib import Path

import pytest

import app.store.database as database_module
from app.store import Database, DatabaseOnNetworkShare
from app.store.database import filesystem_type

MOUNTS = """\
/dev/vda1 / ext4 rw,relatime 0 0
proc /proc proc rw,nosuid 0 0
filer:/export/noc /mnt/team nfs4 rw,vers=4.2 0 0
//fs01/ops /mnt/ops cifs rw,vers=3.0 0 0
tmpfs /mnt/team/cache tmpfs rw 0 0
//fs01/with\\040space /mnt/with\\040space smb3 rw 0 0
"""


@pytest.fixture
def mounts(tmp_path: Path) -> Path:
    path = tmp_path / "mounts"
    path.write_text(MOUNTS, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/mnt/team/noc/noc.db", "nfs4"),
        ("/mnt/team", "nfs4"),
        ("/mnt/ops/console", "cifs"),
        ("/mnt/team/cache/x", "tmpfs"),  # the longest mount point wins
        ("/mnt/teamwork/x", "ext4"),  # a prefix of the name is not a mount point
        ("/mnt/with space/noc.db", "smb3"),  # /proc/mounts escapes spaces as \040
        ("/home/alice/.local/share/noc", "ext4"),
    ],
)
def test_filesystem_type_maps_a_path_to_its_longest_mount(
    mounts: Path, path: str, expected: str
) -> None:
    assert filesystem_type(Path(path), mounts) == expected


def test_filesystem_type_is_unknown_without_a_mounts_table(tmp_path: Path) -> None:
    assert filesystem_type(Path("/mnt/team"), tmp_path / "no-such-mounts") is None


@pytest.mark.parametrize("kind", ["nfs4", "nfs", "cifs", "smb3", "fuse.sshfs", "fuse.gvfsd-fuse"])
def test_a_database_on_a_network_share_is_refused_with_an_explanation(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, kind: str
) -> None:
    share = tmp_path / "share"
    table = tmp_path / "fake-mounts"
    table.write_text(f"/dev/vda1 / ext4 rw 0 0\nfiler:/export {share} {kind} rw 0 0\n")
    monkeypatch.setattr(
        database_module, "filesystem_type", functools.partial(filesystem_type, mounts=table)
    )
    target = share / "noc" / "noc.db"

    with pytest.raises(DatabaseOnNetworkShare, match=f"network share \\({kind}\\)") as raised:
        Database(f"sqlite:///{target}")

    assert "PostgreSQL" in str(raised.value)
    assert not target.exists()


def test_a_database_on_a_local_disk_beside_a_share_opens(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    table = tmp_path / "fake-mounts"
    table.write_text(f"/dev/vda1 / ext4 rw 0 0\nfiler:/export {tmp_path / 'share'} nfs4 rw 0 0\n")
    monkeypatch.setattr(
        database_module, "filesystem_type", functools.partial(filesystem_type, mounts=table)
    )
    Database(f"sqlite:///{tmp_path / 'local' / 'noc.db'}").dispose()
