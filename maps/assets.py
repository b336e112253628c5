"""Web assets: Leaflet from an installed package, our own map runtime, and the page templates.

Leaflet 1.9.4 comes from the PyPI package ``django-js-lib-leaflet`` (``js_lib_leaflet/static/
js_lib_leaflet/``); nothing third-party is copied into this repository. The stylesheet's images
(layer-control icon, default marker) are turned into ``data:`` URIs so the map needs no file or
network access beyond itself.
"""

from __future__ import annotations

import base64
import functools
import re
from importlib import resources

import jinja2

from ..geodata.common import say
from ..geodata.settings import cache_folder

_LEAFLET_PACKAGE = "js_lib_leaflet"
_LEAFLET_DIR = ("static", "js_lib_leaflet")
_OWN_PACKAGE = "lifecircle.maps"


def _leaflet_file(*parts: str):
    try:
        root = resources.files(_LEAFLET_PACKAGE)
    except ModuleNotFoundError:
        raise ImportError(say("map.no_leaflet", "en")) from None
    return root.joinpath(*_LEAFLET_DIR, *parts)


def _script_safe(code: str) -> str:
    """Make ``code`` safe inside an inline ``<script>``: no closing tag, no source-map fetch."""
    code = re.sub(r"^\s*//# sourceMappingURL=.*$", "", code, flags=re.MULTILINE)
    return code.replace("</script", "<\\/script").replace("</SCRIPT", "<\\/SCRIPT")


def _style_safe(css: str) -> str:
    css = re.sub(r"/\*.*?\*/", "", css, flags=re.DOTALL)  # comments (bug-tracker links, source maps)
    return css.replace("</style", "<\\/style")


@functools.cache
def leaflet_js() -> str:
    """Leaflet's minified JavaScript, ready to inline."""
    return _script_safe(_leaflet_file("leaflet.js").read_text(encoding="utf-8"))


@functools.cache
def leaflet_css() -> str:
    """Leaflet's stylesheet with every ``url(images/…)`` replaced by a ``data:`` URI."""
    css = _leaflet_file("leaflet.css").read_text(encoding="utf-8")

    def _inline(match: re.Match) -> str:
        name = match.group(1)
        data = _leaflet_file("images", name).read_bytes()
        return f"url(data:image/png;base64,{base64.b64encode(data).decode('ascii')})"

    return _style_safe(re.sub(r"url\(images/([\w.-]+\.png)\)", _inline, css))


@functools.cache
def leaflet_version() -> str:
    """The Leaflet version string found in the inlined script."""
    match = re.search(r'version="([\d.]+)"', leaflet_js())
    return match.group(1) if match else "unknown"


@functools.cache
def runtime_js() -> str:
    """Our map runtime (layer building, popups with escaped text, the test hook ``window.lifecircle``)."""
    return _script_safe(
        resources.files(_OWN_PACKAGE).joinpath("templates", "lifecircle.js").read_text("utf-8")
    )


@functools.cache
def runtime_css() -> str:
    """Styles of the legend, title box and popups."""
    return _style_safe(
        resources.files(_OWN_PACKAGE).joinpath("templates", "lifecircle.css").read_text("utf-8")
    )


@functools.cache
def _environment() -> jinja2.Environment:
    """The pages' template engine; compiled templates are kept in the cache folder (``templates/``).

    Compiling the report's template took 0.03 s of every run; jinja checks each cached entry
    against the template's source, so an edited template is compiled again.
    """
    folder = cache_folder("templates")
    return jinja2.Environment(
        loader=jinja2.PackageLoader(_OWN_PACKAGE, "templates"),
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
        bytecode_cache=None if folder is None else jinja2.FileSystemBytecodeCache(str(folder)),
    )


def template(name: str) -> jinja2.Template:
    """The page template ``templates/<name>``; it escapes every value it is given."""
    return _environment().get_template(name)
