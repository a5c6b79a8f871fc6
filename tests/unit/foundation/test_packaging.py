"""The wheel a non-editable ``pip install .`` installs carries every data file of the tree.

The vendored schemas keep the standards' folder names (``plo/v1.5``), which are not package
names; setuptools leaves such folders out unless told. These tests build the wheel offline from
a copy of the sources, install it into a folder of its own and use the installed package, so a
file missing from it shows up as it would for a municipality installing samflyt.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from tests.unit.xml.conftest import CORPUS

ROOT = Path(__file__).resolve().parents[3]
PACKAGES = ("streams", "connectors", "schemas")
PLO_SAMPLES = (
    CORPUS / "sarepta/acceptance-tests/plo-1.5-innleggelsesrapport-mottak"
    "/Case1-Innleggelsesrapport-v1_5.xml",
    CORPUS / "sarepta/plo-1.6/Innleggelsesrapport_v1-6_Ny.xml",
)
_INSTALLED_CHECK = """
import json, sys
from pathlib import Path
import schemas
from schemas.xml import parse_message
from schemas.xml.xsd import schema_dir
found = sorted(str(p.relative_to(schema_dir())) for p in schema_dir().rglob("*.xsd"))
parsed = [parse_message(Path(f).read_bytes(), strict=True).standard_version for f in sys.argv[1:]]
print(json.dumps({"package": schemas.__file__, "xsds": found, "parsed": parsed}))
"""

pytestmark = pytest.mark.slow


def _pip(*args: str) -> None:
    subprocess.run(
        [sys.executable, "-m", "pip", "--disable-pip-version-check", *args],
        check=True,
        capture_output=True,
    )


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The wheel built offline from a copy of the sources (the tree stays untouched)."""
    work = tmp_path_factory.mktemp("wheel")
    source = work / "source"
    source.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(ROOT / name, source / name)
    for package in PACKAGES:
        shutil.copytree(
            ROOT / package, source / package, ignore=shutil.ignore_patterns("__pycache__")
        )
    dist = work / "dist"
    _pip("wheel", "--no-deps", "--no-build-isolation", "--no-index", "-w", str(dist), str(source))
    (built,) = dist.glob("samflyt-*.whl")
    return built


def _tree_files(suffix: str) -> set[str]:
    return {
        p.relative_to(ROOT).as_posix()
        for package in PACKAGES
        for p in (ROOT / package).rglob(f"*{suffix}")
        if "__pycache__" not in p.parts
    }


@pytest.mark.parametrize("suffix", [".xsd", ".avsc", ".yaml", ".xml", "py.typed"])
def test_the_wheel_holds_every_data_file_of_the_tree(wheel: Path, suffix: str) -> None:
    in_tree = _tree_files(suffix)
    assert in_tree, suffix
    with zipfile.ZipFile(wheel) as archive:
        in_wheel = set(archive.namelist())
    assert sorted(in_tree - in_wheel) == []


def test_the_installed_package_finds_every_schema_and_validates_plo(
    wheel: Path, tmp_path: Path
) -> None:
    site = tmp_path / "site"
    _pip("install", "--no-deps", "--no-index", "--target", str(site), str(wheel))
    env = {**os.environ, "PYTHONPATH": str(site)}
    run = subprocess.run(
        [sys.executable, "-c", _INSTALLED_CHECK, *map(str, PLO_SAMPLES)],
        cwd=tmp_path,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    report = json.loads(run.stdout)
    assert Path(report["package"]).is_relative_to(site)  # the installed copy, not the tree
    tree = sorted(
        p.relative_to(ROOT / "schemas" / "xsd").as_posix()
        for p in (ROOT / "schemas" / "xsd").rglob("*.xsd")
    )
    assert report["xsds"] == tree
    assert report["parsed"] == ["1.5", "1.6"]
