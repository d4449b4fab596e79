"""Units as a tree: 县 → 学区/中心学校 → 学校 (any depth up to MAX_DEPTH), and telling a new unit from a typo.

A unit may name a parent unit (the roster's 上级单位 column, or a units file of 单位 and 上级单位).
An admin's scope is their unit and everything below it (below()); reviewer routing and digests
walk up (chain()). Units without a parent are the tree's tops; a flat list of units is a tree
whose every unit is a top, so nothing changes for a bureau that never names a parent.
"""

from __future__ import annotations

import difflib
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from knowledge import messages as M
from knowledge.errors import ValidationError, XuefaError
from knowledge.tables import read_table

MAX_DEPTH = 6  # 县 → 片区 → 学区 → 中心学校 → 学校 → 教学点 at most: deeper is a loop or a mistake
CLOSE_RATIO = 0.75  # names at least this alike (after folding digits and widths) are named as close
_NUMERALS = str.maketrans("〇零一二三四五六七八九", "00123456789")


class UnitError(XuefaError):
    """A unit tree that cannot be: a unit its own ancestor, or deeper than MAX_DEPTH."""


@dataclass(frozen=True)
class UnitTree:
    """Every unit with its parent (None for a top unit)."""

    parents: dict[str, str | None] = field(default_factory=dict)

    def __contains__(self, name: object) -> bool:
        return name in self.parents

    @property
    def names(self) -> list[str]:
        """Return every unit, by name."""
        return sorted(self.parents)

    @property
    def nested(self) -> bool:
        """Tell whether any unit has a parent (a flat list of units is not nested)."""
        return any(parent is not None for parent in self.parents.values())

    def children(self, name: str | None) -> list[str]:
        """Return the units directly below a unit (None: the top units), by name."""
        return sorted(unit for unit, parent in self.parents.items() if parent == name)

    def below(self, name: str) -> frozenset[str]:
        """Return a unit and every unit below it: an admin of the unit sees all of these."""
        found, todo = {name}, [name]
        while todo:
            for child in self.children(todo.pop()):
                if child not in found:
                    found.add(child)
                    todo.append(child)
        return frozenset(found)

    def chain(self, name: str) -> tuple[str, ...]:
        """Return a unit and its ancestors up to its top unit: (学校, 中心学校, 县)."""
        chain = [name]
        while (parent := self.parents.get(chain[-1])) is not None and parent not in chain:
            chain.append(parent)
        return tuple(chain)

    def depth(self, name: str) -> int:
        """Return how deep a unit sits: 1 for a top unit."""
        return len(self.chain(name))

    def branch(self, name: str, depth: int) -> str | None:
        """Return the unit at a depth on a unit's chain (None when the unit sits higher than that depth)."""
        chain = self.chain(name)
        return chain[len(chain) - depth] if len(chain) >= depth else None

    def with_links(self, links: Iterable[tuple[str, str | None]]) -> UnitTree:
        """Return the tree with some units (re)attached, refusing a loop or a tree deeper than MAX_DEPTH."""
        parents = dict(self.parents)
        for unit, parent in links:
            parents.setdefault(unit, None)
            if parent:
                parents.setdefault(parent, None)
                parents[unit] = parent
        tree = UnitTree(parents)
        for unit in parents:
            seen = [unit]
            while (parent := parents.get(seen[-1])) is not None:
                if parent in seen:
                    loop = seen[seen.index(parent):]
                    raise UnitError(M.UNIT_LOOP.format(units="→".join([*loop, parent])))
                seen.append(parent)
            if len(seen) > MAX_DEPTH:
                raise UnitError(M.UNIT_TOO_DEEP.format(unit=unit, depth=MAX_DEPTH))
        return tree

    def lines(self) -> list[str]:
        """Return the tree as indented lines, tops first, for `xuefa roster units`."""
        out: list[str] = []

        def walk(name: str, level: int) -> None:
            out.append("　" * level + name)
            for child in self.children(name):
                walk(child, level + 1)

        for top in self.children(None):
            walk(top, 0)
        return out


def fold(name: str) -> str:
    """Fold a unit name for comparing: full width to half width, Chinese numerals to digits, no spaces."""
    return unicodedata.normalize("NFKC", name).translate(_NUMERALS).replace(" ", "").casefold()


def close_names(name: str, existing: Iterable[str], limit: int = 3) -> list[str]:
    """Return the existing unit names that look like a typo of name (城关1小 beside 城关一小), closest first."""
    folded = fold(name)
    scored = []
    for other in existing:
        if other == name:
            continue
        ratio = 1.0 if fold(other) == folded else difflib.SequenceMatcher(None, folded, fold(other)).ratio()
        if ratio >= CLOSE_RATIO:
            scored.append((-ratio, other))
    return [other for _, other in sorted(scored)[:limit]]


@dataclass(frozen=True)
class NewUnit:
    """A unit an import would create, with the existing names it could be a typo of."""

    name: str
    close: tuple[str, ...] = ()

    def describe(self) -> str:
        """Say the new unit and its look-alikes in one line."""
        if self.close:
            return M.UNIT_NEW_CLOSE.format(unit=self.name, close="、".join(self.close))
        return M.UNIT_NEW.format(unit=self.name)


class NewUnitsError(XuefaError):
    """An import would create units the admin has not confirmed (--new-units)."""

    def __init__(self, units: list[NewUnit], confirm: str):
        self.units = units
        lines = [M.UNITS_NEW_HEAD.format(n=len(units)), *(unit.describe() for unit in units), confirm]
        super().__init__("\n".join(lines))


def new_units(existing: Iterable[str], named: Iterable[str]) -> list[NewUnit]:
    """Return the units named that do not exist yet, each with its close existing names.

    A first import (no unit exists yet) creates its units freely: there is nothing to mistype.
    """
    existing = list(existing)
    if not existing:
        return []
    known = set(existing)
    fresh: dict[str, None] = {}
    for name in named:
        if name and name not in known:
            fresh.setdefault(name)
    return [NewUnit(name, tuple(close_names(name, existing))) for name in fresh]


def check_new_units(existing: Iterable[str], named: Iterable[str], allowed: bool, confirm: str) -> None:
    """Raise NewUnitsError when an import would create units and the admin did not allow it."""
    found = new_units(existing, named)
    if found and not allowed:
        raise NewUnitsError(found, confirm)


@dataclass(frozen=True)
class UnitLink:
    """One line of a units file: a unit and its parent."""

    row: int
    unit: str
    parent: str | None


def parse_units(path: Path, rows: list[tuple[int, list[str]]] | None = None) -> list[UnitLink]:
    """Read a units file (columns 单位 and 上级单位; an empty 上级单位 makes a top unit)."""
    from knowledge.members import unsafe_text

    table = read_table(path, [M.UNITS_COL_UNIT, M.UNITS_COL_PARENT], rows=rows)
    links, problems, seen = [], [], {}
    for number, values in table.rows:
        unit, parent = values[M.UNITS_COL_UNIT], values[M.UNITS_COL_PARENT]
        if not unit:
            problems.append((number, M.ROSTER_UNIT_EMPTY))
        elif unsafe_text(unit) or unsafe_text(parent):
            problems.append((number, M.ROSTER_TEXT_UNSAFE.format(column=M.UNITS_COL_UNIT)))
        elif unit == parent:
            problems.append((number, M.UNIT_OWN_PARENT.format(unit=unit)))
        elif unit in seen:
            problems.append((number, M.UNIT_DUPLICATE.format(unit=unit, row=seen[unit])))
        else:
            seen[unit] = number
            links.append(UnitLink(number, unit, parent or None))
    if problems:
        raise ValidationError(str(path), problems)
    if not links:
        raise XuefaError(M.UNITS_EMPTY)
    return links
