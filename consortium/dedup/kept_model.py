"""The match model a process clusters with: the consortium's own fit, read from its
:class:`~consortium.dedup.ports.MatchModelStore`, else the packaged default (:func:`packaged_model`: the package's
``consortium/dedup/dedup_model.json`` when a release ships one, else the prior beliefs,
:data:`~consortium.dedup.model.PRIOR_MODEL`).

A long-lived process (a warm harvest Lambda, ``consortium run``) asks the store again at most every
:data:`CHECK_EVERY` whether another model was saved (``dedup fit`` or ``dedup rebuild`` elsewhere, the rebuild task
on AWS), and reads it if so: a cheap question (a HeadObject, a file's size and time), asked once a page.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Final

from consortium.dedup.model import PRIOR_MODEL, MatchModel, OutdatedModelError
from consortium.errors import ValidationError
from consortium.ports import Clock, system_clock

if TYPE_CHECKING:
    from datetime import datetime

    from consortium.dedup.ports import MatchModelStore

log = logging.getLogger(__name__)

__all__ = ["CHECK_EVERY", "PACKAGED", "KeptModel", "packaged_model", "read_model"]

CHECK_EVERY: Final = timedelta(minutes=5)
"""How often a process asks its model store whether another model was saved."""
PACKAGED: Final = Path(__file__).with_name("dedup_model.json")
"""Where a release ships a default model (package data), used until a consortium keeps its own fit."""


def read_model(text: str, where: str) -> MatchModel:
    """The model in ``text`` (kept at ``where``); :class:`~consortium.errors.ValidationError` naming ``where``
    and what is wrong when it is not one (not JSON, a table missing, a level count or probability that does not
    fit)."""
    try:
        return MatchModel.from_json(text, where)
    except ValidationError:
        raise
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        what = f"no {exc}" if isinstance(exc, KeyError) else str(exc)
        raise ValidationError(f"{where}: not a match model ({what})", where=where) from exc


def packaged_model(path: Path = PACKAGED) -> MatchModel:
    """The default model: the one at ``path`` (the package's ``dedup_model.json``) when there is one, else the prior
    beliefs; one that does not read is refused naming the file."""
    if not path.exists():
        return PRIOR_MODEL
    return read_model(path.read_text(encoding="utf-8"), str(path))


class KeptModel:
    """The model to cluster with, kept in step with the store (see the module).

    Example
    -------
    >>> kept = KeptModel(S3MatchModelStore("consortium-raw"))
    >>> decide(a, b, kept.current())
    """

    def __init__(
        self,
        store: MatchModelStore | None,
        default: MatchModel | None = None,
        *,
        clock: Clock = system_clock,
        check_every: timedelta = CHECK_EVERY,
    ) -> None:
        self.store = store
        self.default = default if default is not None else packaged_model()
        self.clock = clock
        self.check_every = check_every
        self._model = self.default
        self._version: str | None = None
        self._checked: datetime | None = None

    @property
    def fitted(self) -> bool:
        """Whether the model in use is a fit read from the store (not the default)."""
        return self._version is not None

    def current(self) -> MatchModel:
        """The model: the store's (read again when it changed, asked at most every :attr:`check_every`), or
        the default while the store keeps none."""
        if self.store is None:
            return self._model
        now = self.clock()
        if self._checked is not None and now - self._checked < self.check_every:
            return self._model
        self._checked = now
        version = self.store.version()
        if version != self._version:
            found = self._load() if version is not None else None
            self._model = found if found is not None else self.default
            self._version = version if found is not None else None
        return self._model

    def _load(self) -> MatchModel | None:
        """The store's model; ``None`` when it was fitted by an earlier matcher whose comparisons had other
        levels (logged: the default is used until ``dedup fit`` or ``dedup rebuild`` fits the weights again)."""
        assert self.store is not None
        try:
            return self.store.load()
        except OutdatedModelError:
            log.warning(
                "%s was fitted to other comparison levels: the default model is used until `consortium dedup fit` "
                "or `consortium dedup rebuild` fits the weights again",
                self.store.where,
            )
            return None

    def save(self, model: MatchModel) -> None:
        """Keep ``model`` in the store (when there is one) and use it from now on."""
        if self.store is not None:
            self.store.save(model)
            self._version = self.store.version()
            self._checked = self.clock()
        self._model = model
