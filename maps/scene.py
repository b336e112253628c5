"""What every overlay of one map shares: the language, the services and their names, the two states."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from ..geodata.common import say
from .i18n import code_label
from .inputs import AFTER, MapInputs, admin_names, first_service, services_of, view_of


@dataclass(frozen=True)
class Scene:
    """The shared facts of a map's overlays.

    Attributes
    ----------
    lang
        ``"zh"`` or ``"en"``.
    services
        The service keys drawn, in order (``<service>_after`` for a second state).
    first
        The service whose layers start visible.
    units
        Unit code → unit name, for the popups of residents.
    states
        Names of the two states, or ``None`` for the default wording.
    """

    lang: str
    services: tuple[str, ...]
    first: str | None
    units: dict[str, str] = field(default_factory=dict)
    states: tuple[str, str] | None = None

    def label(self, service: str) -> str:
        """The name of a service key in layer names and the legend (its state said when it has two)."""
        view = view_of(service, self.services)
        base = service.removesuffix(AFTER) if view == "after" else service
        if self.states is None or view is None:
            return code_label(service, self.lang)
        state = self.states[1] if view == "after" else self.states[0]
        return say("map.service_state", self.lang, service=code_label(base, self.lang), state=state)

    def view(self, service: str) -> str | None:
        """The view the layers of a service key belong to (see `lifecircle.maps.inputs.view_of`)."""
        return view_of(service, self.services)

    def shown(self, service: str) -> bool:
        """Whether the layers of a service key start visible in their view."""
        return self.first is not None and service in (self.first, f"{self.first}{AFTER}")


def scene_of(inputs: MapInputs, lang: str, services: Sequence[str] | None = None) -> Scene:
    """The `Scene` of ``inputs`` in ``lang``."""
    services = list(services) if services is not None else services_of(inputs)
    return Scene(
        lang=lang,
        services=tuple(services),
        first=first_service(inputs, services),
        units=admin_names(inputs.admin),
        states=inputs.states,
    )
