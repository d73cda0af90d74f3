"""Serve the book's JavaScript from the book itself: MathJax 3, the widgets manager, RequireJS.

A plain Jupyter Book 1.x page loads MathJax, the Jupyter widgets HTML manager and RequireJS
from public CDNs, so offline the formulas stay raw TeX and saved widgets do not render. This
module fetches pinned releases of the npm packages `mathjax`, `@jupyter-widgets/html-manager`
and `requirejs` with `npm pack` (the package's own tarball, none of its dependencies), checks
each tarball against the sha512 integrity pinned below, and unpacks the files the pages use
into `_build/vendor/static/vendor/`. `_config.yml` points `mathjax_path` and
`nb_ipywidgets_js` at those copies.

It runs in two ways:

- as a Sphinx extension (`sphinx.local_extensions` in `_config.yml`), so every book build,
  `make book` and the test suite's clean build alike, vendors the files first, adds the folder
  to `html_static_path` and checks that the configuration names only local copies. It also
  makes the pages themselves work offline: it leaves out the thebe loader script (thebe would
  come from a CDN; the book has no thebe button, `launch_buttons.thebe: false`), drops the
  Font Awesome 4 link that Matplotlib's animation player puts in its output (the theme's own
  Font Awesome draws those icons), and on pages with saved widgets tells the widgets manager
  where its font files are and lets it typeset labels with MathJax 3;
- from the command line, `python scripts/vendor_assets.py [STATIC_DIR]`, to fetch the files
  without building.

Only the npm registry is needed, once: the tarballs are kept in `_build/vendor/tarballs/`
and npm's own cache, and a later build reuses them without a network.
"""

from __future__ import annotations

import base64
import fnmatch
import hashlib
import json
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_STATIC = ROOT / "_build" / "vendor" / "static"


@dataclass(frozen=True)
class Asset:
    """One npm package: which release, its integrity, and which of its files the pages use."""

    name: str
    version: str
    integrity: str  # npm's `dist.integrity` of the tarball: "sha512-" + base64 digest
    folder: str  # destination below <static>/vendor/
    strip: str  # prefix removed from the tarball path ("package/" always comes off)
    keep: tuple[str, ...]  # fnmatch patterns on the path after `strip` ("*" crosses "/")

    @property
    def spec(self) -> str:
        return f"{self.name}@{self.version}"

    @property
    def tarball_name(self) -> str:
        # npm's own naming: "@scope/name" packs to "scope-name-<version>.tgz"
        return f"{self.name.lstrip('@').replace('/', '-')}-{self.version}.tgz"


ASSETS = (
    Asset(
        name="mathjax",
        version="3.2.2",
        integrity="sha512-Bt+SSVU8eBG27zChVewOicYs7Xsdt40qm4+UpHyX7k0/"
        "O9NliPc+x77k1/FEsPsjKPZGJvtRZM1vO+geW0OhGw==",
        folder="mathjax",
        strip="es5/",
        # the component Sphinx loads by default, plus what it loads lazily: TeX extensions
        # (autoload), the CHTML fonts, the menu and the accessibility/speech components
        keep=(
            "tex-mml-chtml.js",
            "input/*",
            "output/chtml*",
            "ui/*",
            "a11y/*",
            "sre/*",
            "adaptors/*",
            "LICENSE",
        ),
    ),
    Asset(
        name="@jupyter-widgets/html-manager",
        version="1.0.15",  # the manager of ipywidgets 8 (controls 2.0.0, base 2.0.0)
        integrity="sha512-5thBIV6ymNgmPVOHvzx+gGy8ZSKmSazhtGw4/c4xJDVzRhG9PTeQsRjF3FUTopvFi/"
        "/SABeNz1yp47bCrJ3CQA==",
        folder="jupyter-widgets",
        strip="dist/",
        # embed-amd.js loads its Font Awesome files from its own folder
        keep=(
            "embed-amd.js",
            "embed.js.LICENSE.txt",
            "*.woff2",
            "*.woff",
            "*.ttf",
            "*.eot",
            "*.svg",
        ),
    ),
    Asset(
        name="requirejs",
        version="2.3.8",
        integrity="sha512-7/cTSLOdYkNBNJcDMWf+luFvMriVm7eYxp4BcFCsAX0wF421Vyce5SXP17c+"
        "Jd5otXKGNehIonFlyQXSowL6Mw==",
        folder="requirejs",
        strip="",
        keep=("require.js",),  # its licence is in the file's header
    ),
)

STAMP = ".complete.json"


class VendorError(RuntimeError):
    """The assets could not be fetched or do not match their pinned integrity."""


def integrity_of(path: Path) -> str:
    """npm's integrity string of a file: "sha512-" + base64 of its SHA-512 digest."""
    digest = hashlib.sha512(path.read_bytes()).digest()
    return "sha512-" + base64.b64encode(digest).decode()


def _stamp(assets) -> dict:
    return {a.folder: {"spec": a.spec, "integrity": a.integrity} for a in assets}


def _npm() -> str:
    npm = shutil.which("npm")
    if npm is None:
        raise VendorError(
            "npm (Node.js) is needed once to fetch MathJax, the Jupyter widgets manager and "
            "RequireJS from the npm registry so that the book works offline. Install Node.js "
            "(Debian/Ubuntu: `apt-get install npm`; macOS: `brew install node`) and build again."
        )
    return npm


def fetch_tarball(asset: Asset, cache: Path) -> Path:
    """The asset's tarball in `cache`, packed by npm if absent, always integrity-checked."""
    tarball = cache / asset.tarball_name
    if not tarball.is_file() or integrity_of(tarball) != asset.integrity:
        cache.mkdir(parents=True, exist_ok=True)
        tarball.unlink(missing_ok=True)
        cmd = [_npm(), "pack", asset.spec, "--pack-destination", str(cache), "--json"]
        cmd += ["--prefer-offline", "--ignore-scripts", "--no-fund", "--no-audit"]
        result = subprocess.run(cmd, capture_output=True, text=True, timeout=600, check=False)
        if result.returncode != 0 or not tarball.is_file():
            raise VendorError(
                f"`npm pack {asset.spec}` failed (exit {result.returncode}); the npm registry "
                f"must be reachable the first time:\n{result.stderr.strip()[-2000:]}"
            )
    found = integrity_of(tarball)
    if found != asset.integrity:
        tarball.unlink()
        raise VendorError(
            f"{asset.spec}: the tarball's integrity is {found}, expected the pinned "
            f"{asset.integrity}; refusing to serve an unverified file"
        )
    return tarball


def _members(asset: Asset, archive: tarfile.TarFile):
    """(member, path inside the asset's folder) for every file of the tarball we keep."""
    for member in archive.getmembers():
        if not member.isfile():
            continue
        path = PurePosixPath(member.name)
        if path.parts[0] != "package" or ".." in path.parts:
            continue
        rel = path.relative_to("package").as_posix()
        if rel.startswith(asset.strip):
            rel = rel[len(asset.strip) :]
        elif rel != "LICENSE":
            continue
        if any(fnmatch.fnmatchcase(rel, pattern) for pattern in asset.keep):
            yield member, rel


def unpack(asset: Asset, tarball: Path, target: Path) -> int:
    """Extract the kept files of `tarball` into `target` (replaced whole); return their count."""
    staging = Path(tempfile.mkdtemp(prefix=f".{asset.folder}-", dir=target.parent))
    count = 0
    try:
        with tarfile.open(tarball, "r:gz") as archive:
            for member, rel in _members(asset, archive):
                out = staging / rel
                out.parent.mkdir(parents=True, exist_ok=True)
                source = archive.extractfile(member)
                if source is None:
                    continue
                with source, out.open("wb") as sink:
                    shutil.copyfileobj(source, sink)
                count += 1
        if count == 0:
            raise VendorError(f"{asset.spec}: no file matched {asset.keep}")
        shutil.rmtree(target, ignore_errors=True)
        staging.rename(target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return count


def vendor(static_dir: Path = DEFAULT_STATIC, *, assets=ASSETS, log=print) -> Path:
    """Make `static_dir/vendor/` hold every asset; return `static_dir`.

    Does nothing when the stamp says the same pinned releases are already in place.
    """
    static_dir = Path(static_dir).resolve()
    vendor_dir = static_dir / "vendor"
    stamp = vendor_dir / STAMP
    wanted = _stamp(assets)
    if stamp.is_file() and json.loads(stamp.read_text()) == wanted:
        if all((vendor_dir / a.folder).is_dir() for a in assets):
            return static_dir
    cache = static_dir.parent / "tarballs"
    vendor_dir.mkdir(parents=True, exist_ok=True)
    stamp.unlink(missing_ok=True)
    for asset in assets:
        tarball = fetch_tarball(asset, cache)
        count = unpack(asset, tarball, vendor_dir / asset.folder)
        log(f"vendor_assets: {asset.spec}: {count} files -> {vendor_dir / asset.folder}")
    stamp.write_text(json.dumps(wanted, indent=1, sort_keys=True))
    return static_dir


# --- Sphinx extension -------------------------------------------------------------------


def _is_remote(uri: str) -> bool:
    return "://" in uri or uri.startswith("//")


def _on_config_inited(app, config) -> None:
    from sphinx.errors import ExtensionError

    static_dir = Path(app.outdir).parent / "vendor" / "static"
    try:
        vendor(static_dir, log=lambda message: None)
    except VendorError as error:
        raise ExtensionError(str(error)) from error
    config.html_static_path = [*config.html_static_path, str(static_dir)]

    # Every script the pages load must be one of the local copies.
    uris = {"mathjax_path": config.mathjax_path}
    uris |= {f"nb_ipywidgets_js[{uri!r}]": uri for uri in config.nb_ipywidgets_js}
    for setting, uri in uris.items():
        if _is_remote(uri):
            raise ExtensionError(
                f"{setting} is {uri!r}, a remote URL: the book must work offline; "
                "point it at a file under vendor/ (see scripts/vendor_assets.py)"
            )
        if not (static_dir / uri).is_file():
            raise ExtensionError(
                f"{setting} is {uri!r}, which is not in {static_dir}; expected one of the "
                f"vendored files under vendor/ (see scripts/vendor_assets.py)"
            )


# Style sheets that notebook outputs link from a CDN although the book already has what they
# provide. Matplotlib's JavaScript animation player (`to_jshtml`) links Font Awesome 4 for
# its buttons' icons; the theme's own Font Awesome (served from _static/) draws the same
# `fa fa-play`-style icons, so the link is dropped.
REDUNDANT_REMOTE_STYLESHEETS = re.compile(
    r"<link\b[^>]*\bhref=[\"']https?://maxcdn\.bootstrapcdn\.com/font-awesome/[^\"']*[\"'][^>]*>",
    re.IGNORECASE,
)


def _drop_redundant_remote_stylesheets(app, doctree, docname) -> None:
    from docutils import nodes

    for node in list(doctree.findall(nodes.raw)):
        if "html" not in node.get("format", "").split():
            continue
        text = node.astext()
        cleaned = REDUNDANT_REMOTE_STYLESHEETS.sub("", text)
        if cleaned != text:
            node.clear()
            node.append(nodes.Text(cleaned))


# Run before the widgets manager on pages with saved widgets (an inline script; `{assets}`
# is the manager's folder relative to the page).
WIDGETS_PRELUDE = """\
(function () {
  // Each AMD module bundled in embed-amd.js loads its Font Awesome files from the folder of
  // the module's URL, which RequireJS would resolve against the page's folder: map the
  // modules to the vendored copy (a global `require` object configures RequireJS).
  var assets = new URL(".", new URL("{assets}", document.baseURI)).href;
  var paths = {"@jupyter-widgets/html-manager/dist": assets.slice(0, -1)};
  ["base", "controls", "base7", "controls7", "html-manager"].forEach(function (name) {
    paths["@jupyter-widgets/" + name] = assets + name;
  });
  if (typeof window.require === "function") { window.require.config({paths: paths}); }
  else { window.require = {paths: paths}; }
  window.__jupyter_widgets_assets_path__ = assets;
  // The manager typesets widget labels with MathJax 2's MathJax.Hub.Queue whenever
  // window.MathJax exists, and MathJax 3 has no Hub: give every MathJax object one whose
  // Queue hands the element to MathJax 3.
  function withHub(mathjax) {
    if (mathjax && typeof mathjax === "object" && !mathjax.Hub) {
      mathjax.Hub = {Queue: function (job) {
        var element = Array.isArray(job) ? job[2] : undefined;
        var mj = window.MathJax;
        if (mj && mj.typesetPromise && mj.startup) {
          mj.startup.promise.then(function () {
            return mj.typesetPromise(element ? [element] : undefined);
          });
        }
      }};
    }
    return mathjax;
  }
  var current = withHub(window.MathJax);
  Object.defineProperty(window, "MathJax", {
    configurable: true, enumerable: true,
    get: function () { return current; },
    set: function (value) { current = withHub(value); },
  });
})();
"""


def _filename(js) -> str:
    return str(getattr(js, "filename", "") or "")


def _offline_page(app, pagename, templatename, context, doctree) -> None:
    """Adjust the page's scripts: no thebe loader; on widget pages, the widgets prelude."""
    scripts = context.get("script_files")
    if not isinstance(scripts, list):
        return
    launch = app.config.html_theme_options.get("launch_buttons", {}) or {}
    if not launch.get("thebe"):
        # sphinx-thebe's scripts name thebe's CDN, and the book has no thebe button.
        # In place: the list is the builder's own, which it restores before the next page.
        scripts[:] = [
            js
            for js in scripts
            if not _filename(js).endswith("sphinx-thebe.js")
            and "THEBE_JS_URL" not in str(getattr(js, "attributes", {}).get("body", ""))
        ]
    manager = next((_filename(js) for js in scripts if _filename(js).endswith("embed-amd.js")), "")
    if manager and "pathto" in context:
        # Sphinx keeps the script's path from the output folder ("_static/...")
        if not manager.startswith("_static/"):
            manager = f"_static/{manager}"
        assets = context["pathto"](manager, 1)
        # priority 400: before the default-priority scripts, the manager's among them
        app.add_js_file(None, body=WIDGETS_PRELUDE.replace("{assets}", assets), priority=400)


def setup(app):
    app.connect("config-inited", _on_config_inited)
    app.connect("doctree-resolved", _drop_redundant_remote_stylesheets)
    # late, after the other extensions have added their scripts to the page
    app.connect("html-page-context", _offline_page, priority=900)
    return {"parallel_read_safe": True, "parallel_write_safe": True, "version": "1.0"}


def main(argv: list[str]) -> int:
    static_dir = Path(argv[0]) if argv else DEFAULT_STATIC
    try:
        vendor(static_dir)
    except VendorError as error:
        print(f"vendor_assets: {error}", file=sys.stderr)
        return 1
    print(f"vendor_assets: the book's scripts are in {static_dir / 'vendor'}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
