"""The small caches of every run: compiled page templates and the merged message catalogue.

Both live in the cache folder (``$LIFECIRCLE_CACHE``), are checked against their sources, and
are skipped with ``LIFECIRCLE_CACHE=off``.
"""

from __future__ import annotations

import pytest

from lifecircle.geodata import common


def test_templates_are_compiled_once_into_the_cache(tmp_path, monkeypatch):
    import jinja2

    from lifecircle.maps import assets

    compiled: list[str] = []
    compile_source = jinja2.Environment.compile

    def counting(self, source, name=None, filename=None, *args, **kwargs):
        compiled.append(name)
        return compile_source(self, source, name, filename, *args, **kwargs)

    monkeypatch.setattr(jinja2.Environment, "compile", counting)
    monkeypatch.setenv("LIFECIRCLE_CACHE", str(tmp_path))
    assets._environment.cache_clear()
    try:
        assets.template("report.html.j2")
        assert compiled == ["report.html.j2"] and len(list((tmp_path / "templates").iterdir())) == 1
        assets._environment.cache_clear()  # a new run: the compiled template comes from the cache
        assets.template("report.html.j2")
        assert compiled == ["report.html.j2"]
        monkeypatch.setenv("LIFECIRCLE_CACHE", "off")
        assets._environment.cache_clear()
        assets.template("report.html.j2")
        assert compiled == ["report.html.j2"] * 2
    finally:
        assets._environment.cache_clear()


def test_the_catalogue_is_parsed_once_and_read_back(tmp_path, monkeypatch):
    monkeypatch.setenv("LIFECIRCLE_CACHE", str(tmp_path))
    common.catalogue.cache_clear()
    try:
        first = common.catalogue()
        (entry,) = (tmp_path / "messages").iterdir()

        def no_parsing(texts):
            raise AssertionError("parsed again")

        monkeypatch.setattr(common, "_parse_catalogue", no_parsing)
        common.catalogue.cache_clear()
        assert common.catalogue() == first  # read back, not parsed
        monkeypatch.undo()
        monkeypatch.setenv("LIFECIRCLE_CACHE", str(tmp_path))
        entry.write_bytes(b"not marshal")  # a damaged entry is parsed again and replaced
        common.catalogue.cache_clear()
        assert common.catalogue() == first and entry.read_bytes() != b"not marshal"
    finally:
        common.catalogue.cache_clear()


def test_catalogue_files_are_merged_and_checked(tmp_path, monkeypatch):
    monkeypatch.setenv("LIFECIRCLE_CACHE", str(tmp_path))
    common.catalogue.cache_clear()
    texts = [("a.yaml", b'x.one: {zh: "\\u4e00", en: one}\n')]  # YAML's escape of the character
    try:
        common.catalogue()
        key_of = common._catalogue_entry
        assert key_of("k") == tmp_path / "messages" / "k.marshal"
        assert common._parse_catalogue(texts) == {"x.one": {"zh": "\u4e00", "en": "one"}}
        with pytest.raises(RuntimeError, match="twice"):
            common._parse_catalogue(texts * 2)
    finally:
        common.catalogue.cache_clear()
