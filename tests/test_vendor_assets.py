"""Does scripts/vendor_assets.py serve only verified files, and does _config.yml use them?

Questions answered here, without a network (the tarballs are made in a temporary folder):
- Does a cached tarball with the pinned integrity get unpacked, keeping only the listed files?
- Is a tarball whose integrity differs from the pinned one refused?
- Is a path that escapes the package ignored?
- Does a second run with the stamp in place do nothing?
- Do `mathjax_path` and `nb_ipywidgets_js` in _config.yml name files the script vendors?
"""

from __future__ import annotations

import dataclasses
import fnmatch
import importlib.util
import io
import sys
import tarfile
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
_spec = importlib.util.spec_from_file_location(
    "vendor_assets", ROOT / "scripts" / "vendor_assets.py"
)
vendor_assets = importlib.util.module_from_spec(_spec)
sys.modules["vendor_assets"] = vendor_assets  # dataclasses look their module up there
_spec.loader.exec_module(vendor_assets)


def _tarball(path: Path, files: dict[str, bytes]) -> Path:
    with tarfile.open(path, "w:gz") as archive:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return path


@pytest.fixture
def fake_asset(tmp_path):
    """A package tarball already in the cache, and an Asset pinned to its integrity."""
    cache = tmp_path / "tarballs"
    cache.mkdir()
    asset = vendor_assets.Asset(
        name="@scope/fake",
        version="1.2.3",
        integrity="",
        folder="fake",
        strip="dist/",
        keep=("main.js", "fonts/*", "LICENSE"),  # LICENSE sits outside dist/
    )
    tarball = _tarball(
        cache / asset.tarball_name,
        {
            "package/dist/main.js": b"console.log('main');",
            "package/dist/fonts/a.woff2": b"font",
            "package/dist/other.js.map": b"not kept",
            "package/src/main.ts": b"not kept",
            "package/LICENSE": b"licence",
            "package/../../escape.js": b"never",
        },
    )
    asset = dataclasses.replace(asset, integrity=vendor_assets.integrity_of(tarball))
    return asset, tmp_path / "static"


def test_tarball_name_follows_npm():
    asset = vendor_assets.Asset("@jupyter-widgets/html-manager", "1.0.15", "", "x", "", ())
    assert asset.tarball_name == "jupyter-widgets-html-manager-1.0.15.tgz"


def test_integrity_is_npm_sha512_base64(tmp_path):
    path = tmp_path / "f"
    path.write_bytes(b"")
    # sha512 of the empty string, base64, as npm writes it
    assert vendor_assets.integrity_of(path) == (
        "sha512-z4PhNX7vuL3xVChQ1m2AB9Yg5AULVxXcg/SpIdNs6c5H0NE8XYXysP+DGNKHfuwvY7kxvUdBeoGlODJ6+SfaPg=="
    )


def test_cached_tarball_is_unpacked_keeping_only_listed_files(fake_asset):
    asset, static = fake_asset
    vendor_assets.vendor(static, assets=(asset,), log=lambda message: None)
    folder = static / "vendor" / "fake"
    kept = sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file())
    assert kept == ["LICENSE", "fonts/a.woff2", "main.js"]
    assert (folder / "main.js").read_bytes() == b"console.log('main');"
    assert not (static.parent / "escape.js").exists()
    assert not list(static.parent.rglob("escape.js"))


def test_second_run_with_the_stamp_does_nothing(fake_asset):
    asset, static = fake_asset
    vendor_assets.vendor(static, assets=(asset,), log=lambda message: None)
    marker = static / "vendor" / "fake" / "main.js"
    marker.write_text("left alone")
    messages = []
    vendor_assets.vendor(static, assets=(asset,), log=messages.append)
    assert marker.read_text() == "left alone" and messages == []


def test_a_tarball_with_another_integrity_is_refused(fake_asset, monkeypatch):
    """The cached tarball no longer matches, and `npm pack` (faked) delivers the same file:
    nothing is unpacked and the bad tarball is deleted."""
    asset, static = fake_asset
    tampered = dataclasses.replace(asset, integrity="sha512-" + "A" * 86 + "==")
    cache = static.parent / "tarballs"
    delivered = (cache / asset.tarball_name).read_bytes()
    calls = []

    def fake_npm_pack(cmd, **kwargs):
        calls.append(cmd)
        (cache / asset.tarball_name).write_bytes(delivered)
        return vendor_assets.subprocess.CompletedProcess(cmd, 0, "[]", "")

    monkeypatch.setattr(vendor_assets, "_npm", lambda: "npm")
    monkeypatch.setattr(vendor_assets.subprocess, "run", fake_npm_pack)
    with pytest.raises(vendor_assets.VendorError, match="refusing to serve an unverified"):
        vendor_assets.vendor(static, assets=(tampered,), log=lambda message: None)
    assert calls and calls[0][:3] == ["npm", "pack", "@scope/fake@1.2.3"]
    assert not (static / "vendor" / "fake").exists()
    assert not (cache / asset.tarball_name).exists()


def test_without_npm_the_error_says_how_to_get_it(fake_asset, monkeypatch):
    asset, static = fake_asset
    (static.parent / "tarballs" / asset.tarball_name).unlink()
    monkeypatch.setattr(vendor_assets.shutil, "which", lambda name: None)
    with pytest.raises(vendor_assets.VendorError, match="apt-get install npm"):
        vendor_assets.vendor(static, assets=(asset,), log=lambda message: None)


def test_the_config_points_at_vendored_files_only():
    """Each script _config.yml names is kept by one of the pinned assets."""
    config = yaml.safe_load((ROOT / "_config.yml").read_text())
    sphinx = config["sphinx"]["config"]
    # vendor_assets serves the scripts; course_i18n (the editions) loads none of its own
    assert config["sphinx"]["local_extensions"] == {
        "vendor_assets": "scripts",
        "course_i18n": "scripts",
    }
    assert "<script" not in (ROOT / "scripts" / "course_i18n.py").read_text()
    uris = [sphinx["mathjax_path"], *sphinx["nb_ipywidgets_js"]]
    assert len(uris) == 3
    for uri in uris:
        assert "://" not in uri and uri.startswith("vendor/"), uri
        folder, _, rel = uri.removeprefix("vendor/").partition("/")
        asset = next((a for a in vendor_assets.ASSETS if a.folder == folder), None)
        assert asset is not None, f"{uri}: no asset unpacks into vendor/{folder}/"
        assert any(fnmatch.fnmatchcase(rel, pattern) for pattern in asset.keep), (
            f"{uri}: {asset.spec} does not keep {rel}"
        )
    assert config["launch_buttons"]["thebe"] is False
