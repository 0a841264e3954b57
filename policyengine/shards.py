"""`eval --jobs N`: one case evaluated by several processes, written as one process writes it.

The case is cut into shards of whole ranking groups (items ranked together stay together),
each shard is validated, evaluated and written as item text (JSON, YAML or CSV lines) by a
worker process, and the parent merges the shards' summaries (counts and exact sums) and
writes the result in the case's item order: the same bytes as one process
(docs/performance.md).

Only what is exact and simple to split is split. A case that needs every item in one place
— a ranking across all items, a rule reading `items`, rollups, `--due`, `--item`,
`--level`, `--sort`, a workbook or the terminal table — is evaluated by one process, and so is a
case one process would reject: the shards report nothing themselves; when any of them
finds a problem the parent evaluates the whole case once more in one process, whose
diagnostics (item order, the limit of 50, the messages) are the ones a user sees.
"""

from __future__ import annotations

import copy
import decimal
import gc
import multiprocessing
import os
import signal
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, replace
from decimal import Decimal
from itertools import chain, groupby, pairwise, repeat
from multiprocessing.connection import Connection, wait
from operator import itemgetter
from typing import Any

from . import runtime
from .case import Case
from .errors import Diagnostic, PolicyError
from .i18n import _
from .model import Grade, Input, Name
from .render import SPLIT_FORMATS
from .render.files import Spooled
from .render.tabular import Columns, joined

# items: below this a case is evaluated by one process unless --jobs asks for more (starting
# a worker and sending back its text costs more than it saves on a small case)
SHARD_FROM = 200_000

# the summary entries `merge_summaries` knows how to add up exactly; a summary with any
# other entry is not split (its parts might not add up)
_MERGEABLE = ("items", "levels", "fines", "counts", "sums")

_ITEMS_PER_PIECE = 256  # items written (and built) at a time


def cores() -> int:
    """The cores this process may run on (its affinity mask where the system has one)."""
    try:
        return max(len(os.sched_getaffinity(0)), 1)
    except AttributeError:  # macOS, Windows
        return os.cpu_count() or 1


# processes per core at most, whatever --jobs asks: more only adds start-up and memory, and
# `--jobs 100000` must not start a hundred thousand processes
MOST_PER_CORE = 4


def jobs_for(requested: int | None, items: int) -> int:
    """How many processes evaluate a case of this many items: as asked (at most
    MOST_PER_CORE per core), or by default every core for a large case and one below
    SHARD_FROM."""
    if requested is not None:
        return min(requested, MOST_PER_CORE * cores())
    return cores() if items >= SHARD_FROM else 1


@dataclass(frozen=True)
class Layout:
    """How the workers write their items: the format, and whether the result is one of
    several in the document (JSON and YAML items two columns further in, CSV lines
    starting with the case file); `folder`: where they write it (the output's folder, so
    that copying it into the output stays on one file system; None: the system's temporary
    folder)."""

    fmt: str = "json"
    several: bool = False
    folder: str | None = None


@dataclass
class ShardedResult:
    """A result whose items are already written: `result` holds its header and merged
    summary (no items), `pieces` the items' text in case order (for `json_chunks`,
    `yaml_chunks`, `csv_chunks`), and for CSV `columns` the columns they are written in."""

    result: Any
    pieces: list[str | Spooled]
    columns: Columns | None = None


def one_process_reason(compiled: Any, case: Case) -> str | None:
    """Why this case cannot be split exactly (None: it can)."""
    if compiled.rollups:
        return "rollups need all their units' items"
    if any(stage.view is not None for stage in compiled.stages):
        return "a rule reads every item (items)"
    fields = group_fields(compiled)
    if fields is None:
        return "a ranking across all items, or within groups that are not a text input"
    # map over the items rather than a loop of Python: the parent runs this alone, before
    # any worker starts, on every item of the case
    items = case.items
    if not isinstance(items, list) or not set(map(type, items)) <= {dict}:
        return "items that are not all mappings (one process reports them)"
    ids = list(map(dict.get, items, repeat("id")))
    if not set(map(type, ids)) <= {str} or len(set(ids)) != len(ids):
        return "item ids that are not distinct text (one process reports them)"
    if any(not set(map(type, map(dict.get, items, repeat(f)))) <= {str} for f in fields):
        # a group spelt as a number or missing: one process converts or reports it
        return "group values that are not all text"
    return None


def group_fields(compiled: Any) -> list[str] | None:
    """The inputs whose values group the rankings (`within 单位`), in name order; None when
    a ranking is across all items or within a computed value or a non-text input: grouping
    by the case's own values is exact only for text, which validation keeps as it is."""
    within = {}
    for decl in compiled.ruleset.declarations:
        if isinstance(decl, Grade):
            for j, rule in enumerate(decl.rules):
                slot = compiled.slots.get(f"\0rank-group:{decl.scale}:{j}")
                if slot is not None:
                    within[slot] = rule.within
    texts = {compiled.slots[d.name]: d.name for d in compiled.inputs
             if isinstance(d, Input) and d.type.kind in ("text", "enum")}
    fields = set()
    for stage in compiled.stages:
        for spec in stage.rankings:
            expr = within.get(spec.group) if spec.group is not None else None
            if not isinstance(expr, Name) or compiled.slots.get(expr.name) not in texts:
                return None
            fields.add(expr.name)
    return sorted(fields)


def plan(compiled: Any, case: Case, jobs: int) -> list[list[int]]:
    """Item indices per shard, each in case order: whole ranking groups, the shards about
    equal in items. When every group's items stand together in the case (or nothing is
    ranked), the shards are consecutive ranges cut at group boundaries, so each worker
    writes one run of text."""
    names = group_fields(compiled) or []
    n = len(case.items)
    # an item's group: its value (one field) or values (several), read by itemgetter's loop in C
    keys: list[Any] = list(map(itemgetter(*names), case.items)) if names else []
    if not names or _standing_together(keys):
        cuts = [0]
        for k in range(1, jobs):
            at = max(n * k // jobs, cuts[-1])
            while names and 0 < at < n and keys[at] == keys[at - 1]:
                at += 1  # not inside a group
            cuts.append(min(at, n))
        cuts.append(n)
        return [list(range(a, b)) for a, b in pairwise(cuts) if b > a]
    members: dict[Any, list[int]] = {}
    for index, key in enumerate(keys):
        members.setdefault(key, []).append(index)
    shards: list[list[int]] = [[] for _ in range(jobs)]
    for group in sorted(members.values(), key=len, reverse=True):  # largest first: even loads
        min(shards, key=len).extend(group)
    return [sorted(s) for s in shards if s]


def _standing_together(keys: list[Any]) -> bool:
    """Whether no group comes back after another began (the first key of each stretch of
    equal keys is a new one)."""
    heads = [key for key, _stretch in groupby(keys)]
    return len(set(heads)) == len(heads)


def runs(indices: list[int]) -> list[tuple[int, int]]:
    """Consecutive stretches (start, stop) of a sorted list of distinct indices."""
    if indices and indices[-1] - indices[0] == len(indices) - 1:
        return [(indices[0], indices[-1] + 1)]  # one stretch (a shard cut between groups): no loop
    out: list[tuple[int, int]] = []
    for i in indices:
        if out and out[-1][1] == i:
            out[-1] = (out[-1][0], i + 1)
        else:
            out.append((i, i + 1))
    return out


def evaluate_sharded(rs: Any, case: Case, jobs: int, layout: Layout = Layout()) -> ShardedResult | None:
    """The result of `case` evaluated by `jobs` processes, its items written as `layout`
    says; None when it is not split (one process evaluates it then, and reports any
    problem)."""
    if jobs < 2 or layout.fmt not in SPLIT_FORMATS or one_process_reason(rs.compiled, case) is not None:
        return None
    shards = plan(rs.compiled, case, jobs)
    if len(shards) < 2:
        return None
    parts = _run_workers(rs, case, shards, layout)
    if parts is None:
        return None
    summary = merge_summaries(rs.compiled, [part.summary for part in parts])
    if summary is None:
        return None
    columns = None
    if layout.fmt == "csv":
        # every shard wrote the rank columns the ruleset can have; one process writes one
        # only when some item has a rank (they all have, when the scale ranks)
        columns = joined(part.columns for part in parts)
        if columns is None or any(part.written != columns for part in parts):
            return None
    placed = sorted(((start, text) for part, shard in zip(parts, shards, strict=True)
                     for (start, _stop), text in zip(runs(shard), part.texts, strict=True)),
                    key=lambda pair: pair[0])
    from .result import Result

    result = Result.of_case(rs.compiled.ruleset, case, rs.digest, [], summary)
    return ShardedResult(result, [text for _start, text in placed], columns)


@dataclass
class _Part:
    """What a worker sends back: the text of each run of its items (a forked worker: where
    in its file it wrote it), its summary, and for CSV the columns it wrote in and those
    its items have."""

    texts: list[str | Spooled]
    summary: dict[str, Any]
    written: Columns | None = None
    columns: Columns | None = None


# ---------------------------------------------------------------- workers

# what a forked worker evaluates: set in the parent just before the workers start, read by
# them from the memory they share with it (nothing is pickled on the way in)
_WORK: tuple[Any, Case, list[list[int]], Layout] | None = None


def _run_workers(rs: Any, case: Case, shards: list[list[int]], layout: Layout) -> list[_Part] | None:
    """Start one worker per shard and collect (run texts, summary) from each, in shard
    order; None when a worker found a problem in its items. A worker that dies, or Ctrl-C,
    stops them all: none is left running, and nothing has been written."""
    global _WORK
    method = "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"
    context = multiprocessing.get_context(method)
    workers = []
    # a forked worker writes its items' text to a file of its own, which the parent copies
    # into the output file to file (os.sendfile): the text is never sent through a pipe,
    # decoded and encoded again by the one process that cannot be split. The files have no
    # name (unlinked at once): nothing is left behind, whatever ends the command.
    spools = [_spool(layout.folder) for _shard in shards] if method == "fork" else []
    _WORK = (rs, case, shards, layout)
    # the case's objects go to the collector's permanent generation: a worker's collections
    # then never walk (and so never copy, page by page) the memory it shares with the parent
    gc.freeze()
    try:
        for number in range(len(shards)):
            receiver, sender = context.Pipe(duplex=False)
            if method == "fork":
                args: tuple[Any, ...] = (sender, number, spools[number].fileno())
            else:  # a fresh interpreter: it loads the ruleset again and gets its items sent
                part = copy.copy(case)
                stretches = runs(shards[number])
                part.items = list(chain.from_iterable(case.items[a:b] for a, b in stretches))
                part._nodes = None
                args = (sender, number, (rs.path, part, stretches, layout))
            process = context.Process(target=_worker, args=args, daemon=True)
            process.start()
            sender.close()
            workers.append((process, receiver))
        _WORK = None
        parts = _collect(workers)
        if parts is not None and spools:
            for part, spool in zip(parts, spools, strict=True):
                part.texts = [Spooled(spool, offset, length) for offset, length in part.texts]  # type: ignore[misc]
        return parts
    finally:
        _WORK = None
        gc.unfreeze()
        for process, receiver in workers:
            if process.is_alive():
                process.kill()
            process.join()
            receiver.close()


def _spool(folder: str | None) -> Any:
    try:
        return tempfile.TemporaryFile(dir=folder)
    except OSError:  # a folder that cannot be written to: the output reports it, not this
        return tempfile.TemporaryFile()


def _collect(workers: list[tuple[Any, Connection]]) -> list[_Part] | None:
    parts: dict[int, Any] = {}
    waiting = {receiver: number for number, (_process, receiver) in enumerate(workers)}
    failed = False
    while waiting:
        for receiver in wait(list(waiting)):
            number = waiting.pop(receiver)  # type: ignore[call-overload]
            try:
                status, payload = receiver.recv()  # type: ignore[union-attr]
            except EOFError:  # it died before sending (killed, out of memory, a crash)
                process = workers[number][0]
                process.join()
                raise PolicyError(Diagnostic("PE445", _(
                    "evaluation worker {number} of {count} ended without a result (exit code {code}); "
                    "nothing was written: run again with --jobs 1",
                    number=number + 1, count=len(workers), code=process.exitcode), file="<eval --jobs>")) from None
            if status == "ok":
                parts[number] = payload
            else:
                failed = True
        if failed:
            return None  # the others' work is not needed: one process will report the problems
    return [parts[k] for k in range(len(workers))]


def _worker(sender: Connection, number: int, sent: tuple[Any, ...] | int) -> None:
    # Ctrl-C reaches every process of the terminal's group: the parent stops the workers
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    spool = None
    try:
        if isinstance(sent, int):  # forked: the spool file's descriptor
            assert _WORK is not None
            spool = sent
            rs, case, shards, layout = _WORK
            # the items are the parent's memory, shared until written to: leave them as read
            # (the module by its name: `policyengine.case.validate` is also the function)
            sys.modules["policyengine.case.validate"].SHARE_TEXT = False
            part = copy.copy(case)
            stretches = runs(shards[number])
            part.items = list(chain.from_iterable(case.items[a:b] for a, b in stretches))
        else:
            from .api import load_ruleset

            path, part, stretches, layout = sent
            rs = load_ruleset(path)
        sender.send(("ok", _evaluate_part(rs, part, stretches, layout, spool)))
    except Exception:  # a bad case, or a bug: one process meets it again and reports it as always
        sender.send(("problem", None))
    finally:
        sender.close()


def _evaluate_part(rs: Any, part: Case, stretches: list[tuple[int, int]], layout: Layout,
                   spool: int | None = None) -> _Part:
    """Evaluate a shard's items; the text of each of its consecutive runs (with `spool`, a
    file descriptor: written there, UTF-8, and the (offset, length) of each run in it), and
    its summary."""
    from .evaluate import evaluate
    from .render import JsonWriter, YamlRows, csv_lines_of

    result = evaluate(rs.compiled, part, rs.digest)
    items = result.items
    written = columns = None
    if layout.fmt == "json":
        writer = JsonWriter()
        depth = 3 if layout.several else 2

        def text(start: int, stop: int) -> str:
            return writer.items_of(items, start, stop, depth)
        between = ",\n" + "  " * depth
    elif layout.fmt == "yaml":
        yaml_rows = YamlRows(layout.several)

        def text(start: int, stop: int) -> str:
            return yaml_rows.items_of(items, start, stop)
        between = ""
    else:
        written = _rank_columns(rs.compiled, items)
        ranks = [False] * len(written.scales)
        file = part.file

        def text(start: int, stop: int) -> str:
            return csv_lines_of(items, start, stop, written, layout.several, file, ranks=ranks)
        between = ""
    texts: list[Any] = []
    at = 0
    out = open(spool, "wb", buffering=1 << 20, closefd=False) if spool is not None else None
    offset = 0
    for start, stop in stretches:
        length = stop - start
        pieces = (text(a, min(a + _ITEMS_PER_PIECE, at + length)) for a in range(at, at + length, _ITEMS_PER_PIECE))
        if out is None:
            texts.append(between.join(pieces))
        else:
            begun = offset
            for k, piece in enumerate(pieces):
                if k:
                    offset += out.write(between.encode("utf-8"))
                offset += out.write(piece.encode("utf-8"))
            texts.append((begun, offset - begun))
        at += length
    if out is not None:
        out.close()  # flushed: the parent reads it once this worker has answered
    if written is not None:
        columns = replace(written, ranked=tuple(ranks))
    return _Part(texts, result.summary, written, columns)


def _rank_columns(compiled: Any, items: Any) -> Columns:
    """The CSV columns of this ruleset's items, a rank column after each scale that ranks
    (one process writes it when any item has a rank: a ranking line ranks every item)."""
    from .render.tabular import columns_of

    first = columns_of(items)  # from the first slot list: no item built
    ranking = {g.scale for g in compiled.grades if g.rank_slot is not None}
    return replace(first, ranked=tuple(s in ranking for s in first.scales))


# ---------------------------------------------------------------- summaries


def merge_summaries(compiled: Any, parts: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The summary of the whole case from its shards' summaries: counts added, sums added
    exactly (None if any part or total was rounded: then one process sums item by item)."""
    if any(set(p) - set(_MERGEABLE) for p in parts):
        return None
    first = parts[0]
    context = runtime.CONTEXT.copy()  # its own flags: Rounded says a sum was not exact
    context.clear_flags()
    merged: dict[str, Any] = {"items": sum(p["items"] for p in parts)}
    merged["levels"] = {scale: {level: sum(p["levels"][scale][level] for p in parts) for level in counts}
                        for scale, counts in first["levels"].items()}
    fines = _exact_sum([p["fines"] for p in parts], context)
    if fines is None:
        return None
    merged["fines"] = fines
    if "counts" in first:
        merged["counts"] = [{"by": line["by"], "counts": _merged_tree(compiled, line["by"],
                                                                       [p["counts"][k]["counts"] for p in parts])}
                            for k, line in enumerate(first["counts"])]
    if "sums" in first:
        sums = {}
        for name in first["sums"]:
            total = _exact_sum([p["sums"][name] for p in parts], context)
            if total is None:
                return None
            sums[name] = total
        merged["sums"] = sums
    return merged


def _exact_sum(values: list[Decimal], context: decimal.Context) -> Decimal | None:
    # a part already rounded to the context's precision may have lost digits one process keeps
    if any(len(v.as_tuple().digits) >= context.prec for v in values):
        return None
    total = Decimal(0)
    for v in values:
        total = context.add(total, v)
    if context.flags[decimal.Rounded]:
        return None
    return total


def _merged_tree(compiled: Any, names: list[str], trees: list[dict[str, Any]]) -> dict[str, Any]:
    """Count trees (`count by A, B`) added up, keys in the order one process gives: declared
    levels and values in declared order, other values (every value any part holds) sorted
    as `evaluate._count_by` sorts them."""
    from .evaluate import _key_order, _sorted_tree, _value_order

    depth = len(names)
    root: dict[str, Any] = {}
    for tree in trees:
        for path, n in _leaves(tree, depth):
            node = root
            for k in path[:-1]:
                node = node.setdefault(k, {})
            node[path[-1]] = node.get(path[-1], 0) + n
    orders: list[list[str] | None] = [_key_order(compiled, name) for name in names]
    for level, order in enumerate(orders):
        if order is None:
            orders[level] = sorted({k for t in trees for k in _keys_at(t, level)}, key=_value_order)
    return _sorted_tree(root, orders)


def _leaves(tree: dict[str, Any], depth: int) -> Iterator[tuple[tuple[str, ...], int]]:
    for k, v in tree.items():
        if depth == 1:
            yield (k,), v
        else:
            for path, n in _leaves(v, depth - 1):
                yield (k, *path), n


def _keys_at(tree: dict[str, Any], level: int) -> set[str]:
    if level == 0:
        return set(tree)
    return {k for v in tree.values() for k in _keys_at(v, level - 1)}
