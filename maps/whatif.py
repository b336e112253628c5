"""The what-if panel of the map: the page's script and styles around a run's packed walking times.

`whatif_html` turns a payload (`lifecircle.scenarios.whatif.whatif_payload`: homes, units, per
service the CSR home × site matrix of whole seconds and the sites) into one block to insert before
``</body>`` of ``map.html`` (`insert_whatif`). The script (``templates/whatif.js``) finds the
Leaflet map as ``window.lifecircle.map``, reads the payload with ``JSON.parse`` (no ``eval``),
draws the homes on its own canvas and the sites as clickable markers, and recomputes coverage,
the per-unit table, the colours and the chart on every change from typed arrays. Its words are the
catalogue entries ``whatif.js.*`` handed over in the payload; every text reaches the page through
``textContent``. ``window.lifecircleWhatIf`` is its API (``open``, ``close``, ``reset``,
``greedy``, ``state``, ``exportFiles``).
"""

from __future__ import annotations

import re
from functools import cache
from importlib import resources

from ..geodata.common import catalogue
from .i18n import check_lang
from .webmap import _spec_json  # the map's own JSON for inline scripts (no </script>, no markers)

_PACKAGE = "lifecircle.maps"
_PREFIX = "whatif.js."


@cache
def _template(name: str) -> str:
    return resources.files(_PACKAGE).joinpath("templates", name).read_text("utf-8")


def whatif_texts(lang: str = "zh") -> dict[str, str]:
    """The page's words in ``lang``: ``whatif.js.<key>`` → template, placeholders left for the script."""
    lang = "en" if lang == "en" else "zh"
    return {k.removeprefix(_PREFIX): v[lang] for k, v in catalogue().items() if k.startswith(_PREFIX)}


def whatif_html(payload: dict, lang: str = "zh") -> str:
    """The ``<style>`` and ``<script>`` block of the what-if, to insert before ``</body>``.

    Parameters
    ----------
    payload
        `lifecircle.scenarios.whatif.whatif_payload` (or its ``too_large`` stand-in, which makes a
        panel saying so and showing the command instead).
    lang
        ``zh`` or ``en``: the panel's words and number format.

    Returns
    -------
    str
        The block; the payload sits in a ``<script type="application/json">`` element.
    """
    check_lang(lang)
    data = {
        **payload,
        "lang": lang,
        "locale": "en-US" if lang == "en" else "zh-CN",
        "texts": whatif_texts(lang),
    }
    css = re.sub(r"/\*.*?\*/", "", _template("whatif.css"), flags=re.S).replace("</style", "<\\/style")
    js = _template("whatif.js").replace("</script", "<\\/script")
    return (
        f"<style>{css}</style>\n"
        f'<script type="application/json" id="lc-whatif-data">{_spec_json(data)}</script>\n'
        f"<script>{js}</script>\n"
    )


def insert_whatif(page: str, block: str) -> str:
    """``page`` (a map's HTML) with ``block`` inserted before its last ``</body>``."""
    at = page.lower().rfind("</body>")
    if at < 0:
        return page + block
    return page[:at] + block + page[at:]
