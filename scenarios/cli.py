"""The ``lifecircle`` command line: one command per job, clear errors, exit code 2 on bad input."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from lifecircle.geodata import settings
from lifecircle.geodata.errors import InputError
from lifecircle.maps.i18n import t

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    help="lifecircle: walking reach of elderly-care and childcare services (一老一小服务圈).",
    pretty_exceptions_enable=False,
)
out = Console()
err = Console(stderr=True)

Lang = Annotated[str, typer.Option("--lang", help="Language of what is printed: zh or en.")]


@app.callback()
def _root(
    progress: Annotated[
        bool | None, typer.Option("--progress/--no-progress", help="Progress bars on stderr.")
    ] = None,
) -> None:
    settings.show_progress = sys.stderr.isatty() if progress is None else progress


@app.command()
def network(
    source: Annotated[
        str,
        typer.Argument(
            help="An .osm.pbf, .osm(.bz2) file, a road line layer (.geojson/.gpkg/.shp/.zip), "
            "'embedded' (central Helsinki), or 'place:<name>' (Overpass, online)."
        ),
    ],
    clip: Annotated[
        str | None, typer.Option(help="Clip area: a polygon file or minlon,minlat,maxlon,maxlat.")
    ] = None,
    clip_crs: Annotated[
        str | None, typer.Option(help="CRS of the clip file: wgs84, gcj02, bd09 or an EPSG code.")
    ] = None,
    lines_crs: Annotated[
        str | None, typer.Option(help="CRS of a line layer when the file does not say it right.")
    ] = None,
    all_components: Annotated[
        bool, typer.Option("--all-components", help="Keep every component, not only the largest.")
    ] = False,
    save: Annotated[
        Path | None, typer.Option("--out", help="Save the network as a GeoPackage (.gpkg).")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the summary as JSON.")] = False,
    lang: Lang = "zh",
) -> None:
    """Build a walk network and print its summary (nodes, edges, km by class, steps, components)."""
    from lifecircle.geodata.sources import network_summary, read_network

    net = read_network(
        source,
        clip=clip,
        clip_crs=clip_crs,
        lines_crs=lines_crs,
        keep="all" if all_components else "giant",
    )
    summary = network_summary(net)
    if save is not None:
        net.to_file(save)
        summary["saved"] = str(save)
    if as_json:
        out.print_json(json.dumps(summary, ensure_ascii=False))
        return
    print_network_summary(summary, lang)


def print_network_summary(summary: dict, lang: str = "zh") -> None:
    """Print a network summary as two small tables."""
    tab = Table(title=t("network", lang), show_header=False)
    tab.add_row(t("source", lang), summary["source"])
    tab.add_row(t("crs", lang), summary["crs"])
    tab.add_row(t("nodes", lang), f"{summary['nodes']:,}")
    tab.add_row(t("edges", lang), f"{summary['edges']:,}")
    tab.add_row(t("length_km", lang), f"{summary['length_km']:,.2f}")
    tab.add_row(t("steps_km", lang), f"{summary['steps_km']:,.2f}")
    tab.add_row(t("components", lang), f"{summary['components']:,}")
    tab.add_row(
        t("dropped", lang),
        f"{summary['nodes_dropped']:,} / {summary['nodes_before']:,} "
        f"({1 - summary['share_nodes_kept']:.1%}), {summary['length_dropped_km']:.2f} km",
    )
    tab.add_row(t("bbox", lang), ", ".join(f"{b:.5f}" for b in summary["bbox_wgs84"]))
    if "saved" in summary:
        tab.add_row(t("saved", lang), summary["saved"])
    out.print(tab)
    cls = Table(title=t("km_by_class", lang))
    cls.add_column(t("class", lang))
    cls.add_column("km", justify="right")
    for name, km in summary["km_by_class"].items():
        cls.add_row(name, f"{km:,.2f}")
    out.print(cls)


@app.command()
def demo(
    out_dir: Annotated[Path, typer.Option("--out", help="Output folder.")] = Path("out/demo"),
    lang: Lang = "zh",
) -> None:
    """Run the default job on the embedded central-Helsinki extract (works offline)."""
    from lifecircle.geodata.sources import network_summary, read_network

    net = read_network("embedded")
    summary = network_summary(net)
    out_dir.mkdir(parents=True, exist_ok=True)
    net.to_file(out_dir / "network.gpkg")
    summary["saved"] = str(out_dir / "network.gpkg")
    print_network_summary(summary, lang)


def main() -> None:
    """Console entry point: run the app; bad input becomes one sentence and exit code 2."""
    try:
        app(standalone_mode=False)
    except InputError as exc:
        err.print(f"[bold red]{t('error')} / error:[/] {exc.message}", highlight=False)
        sys.exit(exc.exit_code)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except typer.Abort:
        sys.exit(130)
    except Exception as exc:  # click usage errors
        import click

        if isinstance(exc, click.ClickException):
            exc.show()
            sys.exit(exc.exit_code)
        raise


if __name__ == "__main__":
    main()
