"""The `policyengine` command line: a thin layer over the library API.

Exit codes (SPEC §6): 0 fine; 1 findings (failed tests, differences with
--exit-code, lint findings with --strict); 2 bad input, printed as
`file:line:col: error[CODE]: …` with the source line and a caret; 3 internal error.
Heavy modules are imported inside the commands so `--help` stays fast.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any, NoReturn

import click

from .i18n import N_, _, language, set_language

FORMATS = ("table", "json", "yaml", "csv", "xlsx")
# without --format, the output file's extension says the format
EXTENSIONS = {".json": "json", ".yaml": "yaml", ".yml": "yaml", ".csv": "csv", ".xlsx": "xlsx", ".txt": "table"}


def _format_for(fmt: str | None, output: str | None, formats: tuple[str, ...], default: str = "json") -> str:
    """--format when given; else the format the --output file's extension names (.json .yaml
    .csv .xlsx); else a table on a terminal and `default` otherwise."""
    if fmt is None and output is not None:
        by_extension = EXTENSIONS.get(Path(output).suffix.lower())
        if by_extension in formats:
            fmt = by_extension
    if fmt is None:
        fmt = "table" if output is None and sys.stdout.isatty() and "table" in formats else default
    if fmt == "xlsx" and output is None:
        raise click.UsageError(_("an XLSX workbook is written to a file: give --output FILE.xlsx"))
    return fmt


def _header_options(command: Any) -> Any:
    """--title, --unit, --period: a case's header, for case files that cannot hold one (CSV)
    or to override the file's."""
    # each help text whole, as the catalog holds it (click's help is translated at --help time)
    command = click.option("--period", metavar="TEXT",
                           help="The case header's period: the period assessed (a year: 2013); overrides the case "
                                "file's.")(command)
    command = click.option("--unit", metavar="TEXT",
                           help="The case header's unit: the unit assessed; overrides the case file's.")(command)
    return click.option("--title", metavar="TEXT",
                        help="The case header's title: the case's title; overrides the case file's.")(command)

HELP_OPTION_TEXT = N_("Show this message and exit.")  # click's --help option, in its English
# click's own words (headings, its usage errors), carried in our catalog so that a Chinese
# --help is Chinese throughout; `_speak_click` hands click our catalog.
CLICK_WORDS = (
    N_("Usage:"), N_("Options"), N_("Commands"), HELP_OPTION_TEXT,
    N_("Show the version and exit."), N_("Error"), N_("default"), N_("required"),
    N_("Try '{command} {option}' for help."), N_("Missing argument '{param}'."),
    N_("Missing option '{param_hint}'."), N_("No such command '{name}'."),
    N_("No such option: {name}"), N_("Got unexpected extra argument ({args})"),
    N_("Got unexpected extra arguments ({args})"), N_("Invalid value for {param_hint}: {message}"),
    N_("Option '{name}' requires an argument."), N_("Did you mean {possibility}?"),
    N_("(Possible options: {possibilities})"), N_("Invalid value"),
    N_("{value!r} is not one of {choices}."), N_("{value!r} is not {choice}."),
    N_("{value!r} is not a valid integer."), N_("{value!r} is not a valid float."),
    N_("{value} is not in the range {range}."),
    N_("Aborted!"),
)
_CLICK_MODULES = ("core", "decorators", "exceptions", "formatting", "parser", "termui", "types", "utils")


def _speak_click(lang: str) -> None:
    """Make click's own texts follow the interface's language: click translates them with
    the `gettext` module's default domain, which knows nothing of ours."""
    import gettext
    import importlib

    if lang == "zh":
        from .i18n import _chinese

        translate = _chinese().gettext
    else:
        translate = gettext.gettext
    for name in _CLICK_MODULES:
        module = importlib.import_module(f"click.{name}")
        if hasattr(module, "_"):
            module._ = translate  # type: ignore[attr-defined]


def _localise(command: click.Command) -> None:
    """Put a command's help texts in the interface's language when they are about to be shown.
    They are written in English in the decorators (marked for the catalog by the babel
    extractor for this file); the English is kept aside the first time, so that a later run
    in the same process (a program or a test calling `main` again) can speak the other
    language."""
    import inspect

    english = getattr(command, "_english", None)
    if english is None:
        options = [p for p in command.params if isinstance(p, click.Option)]
        english = (command.help, command.short_help, [(p, p.help) for p in options])
        command._english = english  # type: ignore[attr-defined]
    translate = _help_translation()
    help_text, short_help, options_help = english
    # help texts are plain text, not format strings: straight from the catalog
    command.help = translate(inspect.cleandoc(help_text)) if help_text else help_text
    command.short_help = translate(short_help) if short_help else short_help
    for option, text in options_help:
        option.help = translate(text) if text else text
    if isinstance(command, click.Group):
        for sub in command.commands.values():
            _localise(sub)


def _help_translation() -> Any:
    """The catalog's translation of help texts in the interface's language (English: as is)."""
    if language() == "en":
        return str
    from .i18n import _chinese

    return _chinese().gettext


def _localise_help_option(command: click.Command, ctx: click.Context) -> None:
    """click makes (and caches) the --help option while parsing, before `--lang zh` has been
    read, in whatever language its words were in then (an earlier run's): give it its text
    in this run's."""
    option = command.get_help_option(ctx)
    if option is not None and option.help:
        option.help = _help_translation()(HELP_OPTION_TEXT)


# where the group's callback leaves the settings its options chose, for the subcommand
_SETTINGS = "policyengine.settings"


class _Command(click.Command):
    def get_help(self, ctx: click.Context) -> str:
        _localise(self)
        _localise_help_option(self, ctx)
        return super().get_help(ctx)

    def invoke(self, ctx: click.Context) -> Any:
        # the group's options set module settings for this command's run only (a program or a
        # test calling the library afterwards must not inherit them); set here, not in the
        # group's callback, so that `eval --help` (which exits before this) imports nothing
        from . import case, resolve

        saved = resolve.CONFINED, case.MAX_CASE_BYTES
        settings = ctx.find_root().meta.get(_SETTINGS, {})
        resolve.CONFINED = settings.get("confined", resolve.CONFINED)
        case.MAX_CASE_BYTES = settings.get("max_case_bytes", case.MAX_CASE_BYTES)
        try:
            return super().invoke(ctx)
        finally:
            resolve.CONFINED, case.MAX_CASE_BYTES = saved


def _choose_language(ctx: click.Context, param: click.Parameter, value: str | None) -> None:
    if value is not None:
        set_language(value)
        _speak_click(value)


class _Group(click.Group):
    """Turns PolicyError into exit code 2 and anything unexpected into exit code 3; speaks
    the interface's language."""

    command_class = _Command

    def main(self, *args: Any, **kwargs: Any) -> Any:
        # each run starts from the environment's language (`--lang` may change it)
        set_language(None)
        # click's words too: an earlier run in this process may have left them Chinese
        _speak_click(language())
        return super().main(*args, **kwargs)

    def get_help(self, ctx: click.Context) -> str:
        _localise(self)
        _localise_help_option(self, ctx)
        return super().get_help(ctx)

    def invoke(self, ctx: click.Context) -> Any:
        from .errors import PolicyError

        try:
            return super().invoke(ctx)
        except PolicyError as exc:
            _fail(exc)
        except (click.exceptions.Exit, click.exceptions.Abort, click.ClickException):
            raise
        except BrokenPipeError:
            # `policyengine eval … | head`: the reader left; that is not an error
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
            sys.exit(0)
        except KeyboardInterrupt:
            click.echo(_("interrupted"), err=True)
            sys.exit(130)
        except RecursionError:
            click.echo(_("error: input nested too deeply"), err=True)
            sys.exit(2)
        except Exception as exc:
            if os.environ.get("POLICYENGINE_DEBUG"):
                raise
            detail = str(exc)
            detail = detail if len(detail) < 300 else detail[:300] + "…"
            _say(_("internal error: {kind}: {detail}\n"
                         "This is a bug in policyengine; run with POLICYENGINE_DEBUG=1 for details.",
                         kind=type(exc).__name__, detail=detail), err=True)
            sys.exit(3)


def _fail(exc: Any) -> NoReturn:
    _say(exc.render(), err=True)
    sys.exit(exc.exit_code)


def _say(text: str, err: bool = False, nl: bool = True) -> None:
    """A line for a person: ruleset and case text in it shown, never acted on by the
    terminal (printable.py says why)."""
    from .printable import printable

    click.echo(printable(text), err=err, nl=nl)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(package_name="policyengine")
@click.option("--lang", type=click.Choice(("zh", "en")), is_eager=True, expose_value=False,
              callback=_choose_language,
              help="The interface's language: zh (简体中文) or en [default: POLICYENGINE_LANG, else "
                   "the locale (LC_ALL, LC_MESSAGES, LANG), else en].")
@click.option("--max-case-size", type=click.IntRange(1), metavar="MIB",
              help="Refuse case files larger than this many MiB [default: 256].")
@click.option("--allow-any-path", is_flag=True,
              help="Let `extends` and a case's `ruleset:` name files outside the naming file's folder, "
                   "the working folder and the shipped rulesets.")
def main(max_case_size: int | None, allow_any_path: bool) -> None:
    """policyengine — integrity-risk assessment (廉政风险防控) methods as rulesets.

    A RULESET is a .policy (DSL) or .yaml file, or a shipped ruleset by name:
    `tax` (its latest version) or `tax@2010`. A CASE is a YAML, JSON, CSV or XLSX file
    listing the items (risk points or units) to assess.

    \b
    Exit codes: 0 fine · 1 findings (failed tests, --strict lint, --exit-code
    differences) · 2 bad input (with file:line:col) · 3 internal error.
    """
    settings: dict[str, Any] = {"confined": not allow_any_path}
    if max_case_size is not None:
        settings["max_case_bytes"] = max_case_size << 20
    # applied by the subcommand when it runs (_Command.invoke), not before its --help
    click.get_current_context().meta[_SETTINGS] = settings


# ---------------------------------------------------------------- check


@main.command(short_help="Check rulesets for errors and lint warnings.")
@click.argument("rulesets", nargs=-1, required=True)
@click.option("--strict", is_flag=True, help="Exit 1 when there are warnings (lint findings).")
@click.option("--quiet", "-q", is_flag=True, help="Print only errors and warnings, no summary line.")
def check(rulesets: tuple[str, ...], strict: bool, quiet: bool) -> None:
    """Parse, resolve and check rulesets; report errors and lint warnings.

    Lint: overlapping or incomplete unique tables, unused inputs, lines that can
    never apply, levels never assigned. Errors: syntax, unknown names (with a
    did-you-mean), type mismatches, dependency cycles, bad extends/remove.
    """
    from .api import analyse_file
    from .errors import PolicyError

    errors = warnings = 0
    for ref in rulesets:
        try:
            _model, analysis = analyse_file(ref)
            diagnostics = analysis.diagnostics
        except PolicyError as exc:
            diagnostics = exc.diagnostics
        for d in diagnostics:
            _say(d.render(), err=True)
        errors += sum(1 for d in diagnostics if d.severity == "error")
        warnings += sum(1 for d in diagnostics if d.severity == "warning")
    if not quiet:
        click.echo(_("{rulesets} ruleset(s) checked: {errors} error(s), {warnings} warning(s)",
                     rulesets=len(rulesets), errors=errors, warnings=warnings))
    if errors:
        sys.exit(2)
    if strict and warnings:
        sys.exit(1)


# ---------------------------------------------------------------- eval


@main.command(name="eval", short_help="Evaluate case files: each item's values, grades and sanctions.")
@click.argument("ruleset")
@click.argument("cases", nargs=-1)
@click.option("--format", "-f", "fmt", type=click.Choice(FORMATS),
              help="Output format [default: the --output file's extension (.json .yaml .csv .xlsx), "
                   "else table on a terminal, json otherwise].")
@click.option("--output", "-o", type=click.Path(dir_okay=False, writable=True),
              help="Write to this file (atomically) instead of standard output.")
@click.option("--item", "item_ids", multiple=True, metavar="ID",
              help="Only show this item (repeatable). Ranking still uses every item.")
@click.option("--level", "levels", multiple=True, metavar="LEVEL",
              help="Only show the items at this level (repeatable; SCALE=LEVEL names the scale). "
                   "The summary still counts every item.")
@click.option("--sort", "sort_by", metavar="NAME",
              help="Order the items by this value, input, grade (most severe first), rank, id, name "
                   "or fine; -NAME for the reverse order.")
@click.option("--columns", metavar="A,B,…",
              help="Table: only these columns, in this order: the table's own (id, name, values, "
                   "grades, supervision, …) or any input.")
@click.option("--width", type=click.IntRange(20), metavar="N",
              help="Table: fit N display columns, shortening or leaving out columns and saying which "
                   "[default: the terminal's width on a terminal; no limit in a pipe or file].")
@click.option("--color", "colour", type=click.Choice(("auto", "always", "never")), default="auto",
              show_default=True, help="Table: level cells in their level's colour; auto: on a terminal, "
                                      "unless NO_COLOR is set.")
@click.option("--pager/--no-pager", default=True,
              help="Page long table output on a terminal through $PAGER (less, with LESS=FRX), as git "
                   "does [default: on]; never in a pipe or file.")
@click.option("--previous", "previous", multiple=True, metavar="FILE",
              help="An earlier result of the same ruleset (eval -o FILE: .json, .yaml or .xlsx), of an earlier "
                   "period (repeatable; a case's `previous:` list adds more). Checked, recorded in the "
                   "result, and used by --due. A case file is evaluated first, with the ruleset it names.")
@click.option("--first-period", is_flag=True,
              help="The case is a first period: no earlier results, every item is new (a case header's "
                   "`previous: []`, for a CSV case, which has no header).")
@click.option("--due", type=click.DateTime(formats=["%Y-%m-%d"]), metavar="DATE",
              help="List the items whose next review (last review + the supervision cadence) falls on or "
                   "before DATE (YYYY-MM-DD), by supervisor; the result gains each item's last and next "
                   "review.")
@click.option("--last-review-field", metavar="NAME",
              help="The case field holding each item's last review date (with --due); the ruleset need "
                   "not declare it.")
@click.option("--jobs", "-j", type=click.IntRange(1), metavar="N",
              help="Evaluate each case in N processes, each holding whole ranking groups; the output "
                   "is byte for byte that of one process [default: every core for a case of 200000 "
                   "items or more, else 1]. JSON, YAML and CSV output are split; a workbook, the table, and "
                   "rulesets that need every item in one place use one process (docs/performance.md).")
@_header_options
def eval_(ruleset: str, cases: tuple[str, ...], fmt: str | None, output: str | None,
          item_ids: tuple[str, ...], levels: tuple[str, ...], sort_by: str | None, columns: str | None,
          width: int | None, colour: str, pager: bool, previous: tuple[str, ...], first_period: bool, due: Any,
          last_review_field: str | None, jobs: int | None, title: str | None, unit: str | None,
          period: str | None) -> None:
    """Evaluate RULESET on each CASE file and print the results.

    With a single argument, that argument is the case file and its `ruleset:`
    line (a path relative to the case file, or a shipped name) says which
    ruleset to use. A case is a YAML, JSON, CSV or XLSX file (docs/spreadsheets.md).
    Every case is validated in full first; nothing is printed or written unless
    all cases evaluate. --level and --sort choose and order the items in every
    format; --columns, --width and --color shape the table.
    """
    from .case import load_case
    from .errors import Diagnostic, PolicyError, did_you_mean
    from .render import SPLIT_FORMATS, csv_chunks, json_chunks, to_table, yaml_chunks
    from .selection import select_items, table_view

    header = {"title": title, "unit": unit, "period": period}
    fmt = _format_for(fmt, output, FORMATS)
    if cases:
        rs = _load_ruleset_argument(ruleset)
        loaded = [load_case(path, header) for path in cases]
    else:
        rs, loaded = _ruleset_of_case(ruleset, header)
        cases = (ruleset,)
    if last_review_field and due is None:
        raise click.UsageError(_("--last-review-field is read for --due: give --due DATE too"))
    if first_period:
        if previous or any(case.previous for case in loaded):
            raise click.UsageError(_("--first-period says there are no earlier results, but earlier files are "
                                     "given (--previous or a case's previous list)"))
        for case in loaded:
            case.previous = []
    if fmt != "table":
        for name, given in (("--columns", columns), ("--width", width)):
            if given is not None:
                raise PolicyError(Diagnostic("PE743", _("{option} shapes the table: add --format table",
                                                               option=name),
                                             file="<command line>"))
    results = []
    views = []
    inputs: list[dict[str, dict[str, Any]]] = []  # per case, for a workbook's inputs columns
    terminal = output is None and sys.stdout.isatty()
    painted = _use_colour(colour, terminal)
    # items written by eval --jobs workers, per case (None: evaluated here); only JSON, YAML
    # and CSV of every item in case order are written in parts (docs/performance.md)
    written: list[Any] = []
    split = fmt in SPLIT_FORMATS and not (item_ids or levels or sort_by or due or last_review_field)
    for path, case in zip(cases, loaded, strict=True):
        if split:
            try:
                sharded = _evaluate_in_shards(rs, case, previous, jobs, fmt, len(cases) > 1, output)
            except PolicyError as exc:
                _mention_case_ruleset(exc, rs, case, path)
                raise
            if sharded is not None:
                results.append(sharded.result)
                written.append(sharded.pieces if fmt != "csv" else (sharded.pieces, sharded.columns))
                continue
        written.append(None)
        try:
            result, rows = _evaluate_over_periods(rs, case, path, previous, due.date() if due else None,
                                                  last_review_field)
        except PolicyError as exc:
            _mention_case_ruleset(exc, rs, case, path)
            raise
        if item_ids:
            known = [i.id for i in result.items]
            for wanted in item_ids:
                if wanted not in known:
                    raise PolicyError(Diagnostic("PE304", _("no item '{id}'", id=wanted)
                                                 + did_you_mean(wanted, known),
                                                 file=path))
        result.items, rows = select_items(rs, result, rows, item_ids, levels, sort_by)
        results.append(result)
        if fmt == "xlsx":
            inputs.append(_inputs_of(rs, result, rows))
        if fmt == "table":
            views.append(table_view(rs, result, rows, columns, width if width is not None else
                                    (_terminal_width() if terminal else None), painted))
    if fmt == "json":
        _emit(json_chunks(results, written), output)
    elif fmt == "yaml":
        _emit(yaml_chunks(results, written), output)
    elif fmt == "csv":
        # CSV keeps a case's text as it is; on a terminal its control characters are shown
        _emit(csv_chunks(results, written), output, readable=terminal)
    elif fmt == "xlsx":
        from .render.xlsx import to_xlsx

        _emit(to_xlsx(results, inputs), output)
    else:
        text = "\n".join(to_table(r, v) for r, v in zip(results, views, strict=True))
        _emit(text, output, page=pager and terminal)


def _evaluate_in_shards(rs: Any, case: Any, given: tuple[str, ...], jobs: int | None, fmt: str,
                        several: bool, output: str | None) -> Any:
    """The case evaluated by several processes (policyengine/shards.py), its items written
    in `fmt` (`several`: one of several cases) beside `output`, or None when one process
    evaluates it: a small case, --jobs 1, or a ruleset or case that needs one."""
    from .previous import attach_earlier, one_run, wanted_by
    from .shards import Layout, evaluate_sharded, jobs_for

    count = jobs_for(jobs, len(case.items) if isinstance(case.items, list) else 0)
    if count < 2:
        return None
    # evaluate_sharded says whether the case can be split (one scan of its items)
    with one_run(rs):  # an earlier case of this ruleset does not compile it again
        attach_earlier(case, rs.id, given, wanted_by(rs.compiled))  # kept with the case: read once, split or not
    # the workers' text goes next to the output (one file system: copied file to file), unless
    # the output is no regular file (-o /dev/stdout) or the screen
    folder = None
    if output is not None:
        target = os.path.realpath(output)  # never raises: a loop or a missing folder is reported on writing
        if os.path.isfile(target) or not os.path.lexists(target):
            folder = os.path.dirname(target)
    return evaluate_sharded(rs, case, count, Layout(fmt, several, folder))


def _inputs_of(rs: Any, result: Any, rows: list[list[Any]]) -> dict[str, dict[str, Any]]:
    """Each shown item's inputs as validated (not its notes, which the result carries), from
    its slot list: for the inputs columns of a result workbook."""
    slots = rs.compiled.slots
    names = [d.name for d in rs.compiled.inputs if not getattr(d, "carried", False)]
    return {item.id: {name: row[slots[name]] for name in names}
            for item, row in zip(result.items, rows, strict=True)}


def _evaluate_over_periods(rs: Any, case: Any, path: str, given: tuple[str, ...], due: Any,
                           field: str | None) -> tuple[Any, list[list[Any]]]:
    """Evaluate one case; with earlier results (given, or the case's `previous:`), check and
    record them; with `due`, date each item's reviews and list those due."""
    from .previous import attach_earlier, one_run, recorded, wanted_by
    from .reviews import last_review_field, schedule

    # read already when eval --jobs tried to split the case (and one process evaluates it); of
    # each earlier item only its id and what the rules read (explain reads them in full)
    with one_run(rs):  # an earlier case of this ruleset does not compile it again
        earlier = case.earlier if case.earlier is not None else attach_earlier(case, rs.id, given,
                                                                               wanted_by(rs.compiled))
    dates = None
    if field:
        case, dates = last_review_field(rs, case, field)
        case.earlier = earlier
    result, rows = _evaluate_with_progress(rs, case, path)
    if earlier:
        result.previous = recorded(earlier)
    if due is not None:  # before --item, --level choose items: the reviews cover the case, as the summary
        schedule(result, due, dates, earlier)
    return result, rows


def _terminal_width() -> int:
    import shutil

    return shutil.get_terminal_size().columns


def _use_colour(choice: str, terminal: bool) -> bool:
    """git's rule: colour on a terminal unless NO_COLOR (https://no-color.org) is set or
    TERM is dumb; never in a pipe or file unless asked with --color always."""
    if choice != "auto":
        return choice == "always"
    return terminal and not os.environ.get("NO_COLOR") and os.environ.get("TERM") != "dumb"


PROGRESS_FROM = 20_000  # items: smaller cases finish before a bar would be worth drawing


def _evaluate_with_progress(rs: Any, case: Any, path: str) -> tuple[Any, list[list[Any]]]:
    """Evaluate, with a progress bar on stderr for a large case when stderr is a terminal
    (never in pipes, files or CI logs). Gives the items' slot lists too (for --columns of
    inputs and --sort by an input)."""
    from .evaluate import evaluate_with_rows

    if len(case.items) < PROGRESS_FROM or not sys.stderr.isatty():
        return evaluate_with_rows(rs.compiled, case, rs.digest)
    with click.progressbar(length=rs.work(case), label=_("evaluating {path}", path=path), file=sys.stderr,
                           show_eta=True, show_percent=True) as bar:
        return evaluate_with_rows(rs.compiled, case, rs.digest, progress=bar.update)


def _load_ruleset_argument(ref: str) -> Any:
    """The RULESET argument, loaded; a case file given in its place is called one."""
    from .api import load_ruleset
    from .errors import Diagnostic, PolicyError

    try:
        return load_ruleset(ref)
    except PolicyError as exc:
        if _looks_like_case(ref):
            raise PolicyError(Diagnostic("PE021", _(
                "this is a case file (it lists items), not a ruleset: give the ruleset first "
                "(policyengine eval RULESET CASE...), or this case alone when its `ruleset:` line names one"),
                file=ref)) from None
        raise exc from None


def _looks_like_case(ref: str) -> bool:
    path = Path(ref)
    if path.suffix.lower() not in (".yaml", ".yml", ".json", ".csv") or not path.is_file():
        return False
    from .case import load_case
    from .errors import PolicyError

    try:
        load_case(path)
    except PolicyError:
        return path.suffix.lower() == ".csv"
    return True


def _mention_case_ruleset(exc: Any, rs: Any, case: Any, path: str) -> None:
    """A case that fails under the ruleset given, while its own `ruleset:` line names another:
    say so on the first message (the fifty "unknown field" errors are then no mystery)."""
    from .api import locate_ruleset
    from .errors import PolicyError

    if case.ruleset is None:
        return
    try:
        named = locate_ruleset(case.ruleset, base=Path(path).parent)
    except PolicyError:
        return
    if named.resolve() == Path(rs.path).resolve():
        return
    exc.diagnostics[0].notes.append(_(
        "this case's `ruleset:` line names {named}, not the ruleset given ({given}); "
        "to use its own, run: policyengine eval {case}", named=case.ruleset, given=rs.path, case=path))


def _ruleset_of_case(path: str, header: dict[str, Any] | None = None) -> tuple[Any, list[Any]]:
    """For `eval CASE`: load the case and the ruleset its `ruleset:` line names."""
    from .api import load_ruleset
    from .case import load_case
    from .errors import Diagnostic, PolicyError

    if not Path(path).exists():
        raise PolicyError(Diagnostic("PE005", _("file not found"), file=path))
    if Path(path).suffix.lower() == ".policy":  # `eval RULESET` with the case forgotten
        raise PolicyError(Diagnostic("PE305", _("this is a ruleset: give a case file after it "
                                     "(policyengine eval RULESET CASE)"), file=path))
    case = load_case(path, header)
    if case.ruleset is None:
        raise PolicyError(Diagnostic("PE305", _("this case file names no ruleset: give one on the command "
                                     "line (policyengine eval RULESET CASE)"), file=path))
    return load_ruleset(case.ruleset, base=Path(path).parent), [case]


def _emit(text: str | bytes | Iterable[Any], output: str | None, page: bool = False,
          readable: bool = False) -> None:
    """Print, or write `output` atomically; `text` may come in pieces (large results).
    With `page` (only ever asked on a terminal), text longer than the screen goes through
    the pager. `readable`: text for a person (explain, diff and compare tables), shown
    with its control characters escaped wherever it goes, so a file and the screen get
    the same bytes.

    What is printed is printed as it is: the table holds colour codes only when colour
    was chosen (--color, or a terminal), and click, left to decide, deletes whatever
    looks like one from a pipe — an ESC sequence in a case's text would have gone
    missing from `eval -f csv > out.csv` while `-o out.csv` kept it."""
    from .printable import printable

    if readable and isinstance(text, str):
        text = printable(text)
    if output is None:
        if page and isinstance(text, str) and _page(text):
            return
        for piece in [text] if isinstance(text, str) else text:
            # an eval --jobs worker's text (render.files.Spooled) is read back here: the screen is no file
            piece = piece if isinstance(piece, (str, bytes)) else str(piece)
            click.echo(printable(piece) if readable and isinstance(piece, str) else piece, nl=False, color=True)
        return
    from .errors import Diagnostic, PolicyError
    from .render import write_atomically

    try:
        write_atomically(Path(output), text)
    except OSError as exc:  # a missing folder, no permission: bad input, not a crash
        raise PolicyError(Diagnostic("PE010", _("cannot write this file: {reason}",
                                                       reason=exc.strerror or exc),
                                     file=output)) from None


# ---------------------------------------------------------------- template


@main.command(short_help="Write a case workbook (or CSV) for a ruleset: empty, or from a case.")
@click.argument("ruleset", required=False)
@click.option("--output", "-o", type=click.Path(dir_okay=False, writable=True), required=True,
              help="The file to write: .xlsx (a workbook) or .csv (with a <name>.<field>.csv file per "
                   "list field).")
@click.option("--from", "source", metavar="CASE",
              help="Fill it with this case's items and header (any case file: converts it).")
def template(ruleset: str | None, output: str, source: str | None) -> None:
    """Write the case file of RULESET for officers to fill in (docs/spreadsheets.md).

    An .xlsx workbook: the items sheet with a header per input, note and dimension
    (its doc as a cell comment), drop-down lists for `one of` and bool, number
    ranges, date cells; a sheet per list field; a `case` sheet naming the ruleset.
    Filled in, `policyengine eval FILE.xlsx` evaluates it. With --from CASE, the
    case's items are written in that layout (RULESET defaults to the case's own).
    """
    import os

    from .api import load_ruleset, locate_ruleset
    from .case import load_case
    from .case.template import case_csv, case_workbook
    from .errors import Diagnostic, PolicyError

    case = load_case(source) if source else None
    base = None
    if ruleset is None:
        if case is None or case.ruleset is None:
            raise click.UsageError(_("give a RULESET (or --from a case file that names one)"))
        ruleset, base = case.ruleset, Path(source or ".").parent
    loaded = load_ruleset(ruleset, base=base)
    suffix = Path(output).suffix.lower()
    if suffix == ".csv":
        files = case_csv(loaded.model, case)
        target = Path(output)
        for field_name, text in sorted(files.items(), key=lambda kv: kv[0] or ""):
            _emit(text, str(target if field_name is None else target.with_name(f"{target.stem}.{field_name}.csv")))
        return
    if suffix not in (".xlsx", ".xlsm"):
        raise PolicyError(Diagnostic("PE324", _("a template is an .xlsx workbook or a .csv file"), file=output))
    # the case sheet names the ruleset as the workbook's folder sees it (a shipped name stays a name)
    ref = ruleset
    located = locate_ruleset(ruleset, base=base)
    if Path(ruleset).suffix or os.sep in ruleset or "/" in ruleset or base is not None:
        ref = os.path.relpath(located.resolve(), Path(output).resolve().parent).replace(os.sep, "/")
    _emit(case_workbook(loaded.model, ref, case, Path(output).resolve().parent), output)


def _page(text: str) -> bool:
    """Show `text` through $PAGER (default less; LESS=FRX unless LESS is set: quit if it fits,
    colours raw, no screen clearing), as git does. False when it fits on the screen or there
    is no pager to run, so the caller prints it."""
    import shlex
    import shutil
    import subprocess

    if text.count("\n") < shutil.get_terminal_size().lines - 1:
        return False
    command = shlex.split(os.environ.get("PAGER", "less"))
    if not command or command[0] == "cat" or shutil.which(command[0]) is None:
        return False
    env = dict(os.environ)
    env.setdefault("LESS", "FRX")
    env.setdefault("LV", "-c")
    with subprocess.Popen(command, stdin=subprocess.PIPE, env=env) as pager:
        assert pager.stdin is not None
        try:
            pager.stdin.write(text.encode("utf-8"))
            pager.stdin.close()
        except BrokenPipeError:  # the reader quit the pager early: not an error
            pass
        pager.wait()
    return True


# ---------------------------------------------------------------- report


@main.command(short_help="Write the 公示 report: one self-contained HTML file with charts.")
@click.argument("ruleset")
@click.argument("cases", nargs=-1)
@click.option("--output", "-o", required=True, type=click.Path(dir_okay=False, writable=True),
              help="The HTML file to write (atomically).")
@click.option("--date", "date_", metavar="YYYY-MM-DD",
              help="The date printed on the report [default: today]. Give it to get the same bytes "
                   "from the same inputs.")
@click.option("--explain-limit", type=click.IntRange(0), default=None, metavar="N",
              help="Attach each row's explain trace when a case has at most N items [default: 2000].")
def report(ruleset: str, cases: tuple[str, ...], output: str, date_: str | None,
           explain_limit: int | None) -> None:
    """Write the report of each CASE under RULESET to one HTML file: case header,
    ruleset id, version and digest, the date, counts per level as bars, a matrix
    grade and each `count by` as heat maps, the 公示 table (sortable, filterable by
    level and group, searchable, each row expanding into its explain trace), who
    supervises what, sanctions and fines. Inline CSS and SVG only: it opens
    without a network. With a single argument, that argument is the case file and
    its `ruleset:` line names the ruleset.
    """
    from .api import load_ruleset
    from .case import load_case
    from .report import EXPLAIN_LIMIT, report_html

    day = _report_date(date_)
    if cases:
        rs = load_ruleset(ruleset)
        loaded = [load_case(path) for path in cases]
    else:
        rs, loaded = _ruleset_of_case(ruleset)
    _emit(report_html(rs, loaded, day, EXPLAIN_LIMIT if explain_limit is None else explain_limit), output)


def _report_date(text: str | None) -> Any:
    import datetime as dt

    from .errors import Diagnostic, PolicyError

    if text is None:
        return dt.date.today()
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise PolicyError(Diagnostic("PE801", _("--date {text} is not a date: write it as YYYY-MM-DD",
                                                 text=repr(text)),
                                     file="<command line>")) from None


# ---------------------------------------------------------------- schema


@main.command(short_help="Print the JSON Schema of a ruleset's case files.")
@click.argument("ruleset")
@click.option("--output", "-o", type=click.Path(dir_okay=False, writable=True),
              help="Write to this file (atomically) instead of standard output.")
def schema(ruleset: str, output: str | None) -> None:
    """Print the JSON Schema of RULESET's case files (for editors and CI)."""
    from .api import load_ruleset
    from .render import to_json

    _emit(to_json(load_ruleset(ruleset).schema()), output)


# ---------------------------------------------------------------- list


@main.command(name="list", short_help="List the shipped rulesets and their versions.")
def list_() -> None:
    """List the shipped rulesets and their versions."""
    from .api import shipped_rulesets

    for dept, files in shipped_rulesets().items():
        click.echo(f"{dept}: " + ", ".join(f.stem for f in files))


# ---------------------------------------------------------------- diff

DIFF_FORMATS = ("table", "json", "yaml", "xlsx")


@main.command(name="diff", short_help="Compare two ruleset versions, and which items change grade.")
@click.argument("old")
@click.argument("new")
@click.option("--cases", "case_paths", multiple=True, metavar="PATH",
              help="A case file, or a folder searched for *.yaml/*.yml/*.json/*.xlsx case files (repeatable). "
                   "Every item is evaluated under both versions.")
@click.option("--format", "-f", "fmt", type=click.Choice(DIFF_FORMATS),
              help="Output format [default: the --output file's extension (.json .yaml .xlsx), else "
                   "table on a terminal, json otherwise].")
@click.option("--output", "-o", type=click.Path(dir_okay=False, writable=True),
              help="Write to this file (atomically) instead of standard output.")
@click.option("--exit-code", is_flag=True, help="Exit 1 when there is any difference, 0 when none.")
@click.option("--date", "date_", metavar="YYYY-MM-DD",
              help="With -o FILE.html: the date printed on the report [default: today].")
def diff(old: str, new: str, case_paths: tuple[str, ...], fmt: str | None, output: str | None,
         exit_code: bool, date_: str | None) -> None:
    """What changed between ruleset versions OLD and NEW, and whom it affects.

    Both are compared resolved (after `extends`), declaration by declaration;
    layout and comments are not changes. With --cases: the items whose values,
    grades or sanctions change, a migration matrix per grade scale (old level x
    new level), counts per level and fine totals before and after, and a verdict
    per scale (stricter, more lenient, mixed, unchanged). With -o FILE.html (and no
    --format): the same as a self-contained HTML report, migration matrices as heat maps.
    """
    from .diff import diff as compare

    result = compare(old, new, cases=list(case_paths) if case_paths else None)
    if fmt is None and output is not None and Path(output).suffix.lower() in (".html", ".htm"):
        from .report import diff_html

        _emit(diff_html(result, _report_date(date_)), output)
    else:
        terminal = output is None and sys.stdout.isatty()
        fmt = _format_for(fmt, output, DIFF_FORMATS)
        if fmt == "xlsx":
            from .render.xlsx import diff_xlsx

            _emit(diff_xlsx(result), output)
        elif fmt == "yaml":
            from .render import to_yaml

            _emit(to_yaml(result.to_dict()), output)
        else:
            _emit(result.to_json() if fmt == "json" else result.to_table(), output, page=terminal,
                  readable=fmt != "json")
    if exit_code and result.differs:
        sys.exit(1)


# ---------------------------------------------------------------- compare


COMPARE_SUFFIXES = {".json": "json", ".yaml": "yaml", ".yml": "yaml", ".txt": "table", "": "table"}


@main.command(name="compare", short_help="Compare two periods' results of one ruleset, item by item.")
@click.argument("old")
@click.argument("new")
@click.option("--format", "-f", "fmt", type=click.Choice(("table", "json", "yaml")),
              help="Output format [default: from the --output suffix (.json, .yaml, .txt for a table); "
                   "on standard output a table on a terminal, json otherwise].")
@click.option("--output", "-o", type=click.Path(dir_okay=False, writable=True),
              help="Write to this file (atomically) instead of standard output.")
@click.option("--any-order", is_flag=True,
              help="Take OLD as the earlier result whatever periods the two record (for periods that "
                   "cannot be placed in time, such as '第一轮').")
@click.option("--exit-code", is_flag=True, help="Exit 1 when any item is new, gone or changed, 0 when none.")
def compare_(old: str, new: str, fmt: str | None, output: str | None, any_order: bool, exit_code: bool) -> None:
    """Compare result OLD (an earlier period) with result NEW, both written by `eval -o FILE`
    (.json, .yaml or .xlsx) with the same ruleset.

    Items are matched by id. Per grade scale: the migration matrix (old level x new
    level, with rows for new items and a column for gone ones), the items that went up
    (more severe) or down; the items new and gone; for the items in both, the grades,
    values (with the difference of numbers) and sanctions that changed; fine totals.
    OLD's period must come before NEW's (or be the same); the ruleset versions may differ,
    which the output notes.
    """
    from .compare import compare

    result = compare(old, new, any_order=any_order)
    if fmt is None and output is not None:
        suffix = Path(output).suffix.lower()
        if suffix not in COMPARE_SUFFIXES:
            raise click.UsageError(_("compare writes .json, .yaml or a text table (.txt), not '{suffix}': name "
                                     "the file so, or choose with --format", suffix=suffix))
        fmt = COMPARE_SUFFIXES[suffix]
    fmt = fmt or ("table" if sys.stdout.isatty() else "json")
    _emit(result.render(fmt), output, readable=fmt == "table")
    if exit_code and result.differs:
        sys.exit(1)


# ---------------------------------------------------------------- test


@main.command(name="test", short_help="Run the golden cases: expect blocks and snapshots.")
@click.argument("paths", nargs=-1)
@click.option("--update", is_flag=True,
              help="Create or refresh the <case>.expected.json snapshot of every case that names a "
                   "ruleset (atomically). Never touches case or ruleset files.")
@click.option("-k", "pattern", metavar="PATTERN", help="Only the cases whose path contains PATTERN.")
@click.option("--junit", type=click.Path(dir_okay=False), metavar="FILE",
              help="Also write JUnit XML (one testcase per case file) to FILE, for CI systems.")
@click.option("--coverage", is_flag=True,
              help="Report which table rows, grade lines, levels, supervision lines and sanctions "
                   "the cases exercised (a rollup's too, by its units), and which they never did.")
@click.option("--min-coverage", type=click.FloatRange(0, 100), metavar="P",
              help="Exit 1 when coverage is below P percent (implies --coverage).")
@click.option("--quiet", "-q", is_flag=True, help="Print only failures, notes and the final line.")
def golden_test(paths: tuple[str, ...], update: bool, pattern: str | None, junit: str | None,
                coverage: bool, min_coverage: float | None, quiet: bool) -> None:
    """Run the golden cases under PATH... (files or folders; default: cases/, or
    the working folder when it has no cases/ folder).

    A case file is a test when it has an `expect` or `expect_summary` block, or a
    `<case>.expected.json` snapshot next to it. Its `ruleset:` line (a path
    relative to the case file, or a shipped name such as tax@2010) says what to
    evaluate it with. A case or ruleset that fails to load or evaluate is a
    failed test showing the error. Ends with the line `N passed, M failed`;
    exits 1 on any failure, or when no test was found.
    """
    import shlex
    from decimal import Decimal

    from .golden import Outcome, default_paths, format_percent, junit_xml, run_suite, write_file

    def show(outcome: Outcome) -> None:
        if not quiet or outcome.status == "failed" or outcome.notes:
            _say(outcome.render(notes_only=quiet and outcome.status != "failed"))

    searched = paths or default_paths()
    report = run_suite(searched, pattern, update=update,
                       coverage=coverage or min_coverage is not None, missing_ok=not paths,
                       on_outcome=show)
    for snapshot, what in report.written:
        _say(_("snapshot created: {path}", path=snapshot) if what == "created"
             else _("snapshot updated: {path}", path=snapshot))
    if report.coverage is not None and report.outcomes:
        _say(report.coverage.render())
    if junit:
        write_file(Path(junit), junit_xml(report))
    # said before the last line, so that a run always ends with `N passed, M failed`
    problem = None
    if not report.tested:
        where = ", ".join(paths) if paths else "cases/" if searched == ("cases",) else _("the working folder")
        found = (_("no tests found under {where} matching -k {pattern}", where=where, pattern=repr(pattern))
                 if pattern else _("no tests found under {where}", where=where))
        problem = _("{problem}: a test is a case file with an `expect` block or a <case>.expected.json snapshot",
                    problem=found)
        if not update:
            problem = _("{problem}; to record a snapshot of each case that names a ruleset, run "
                        "policyengine test --update{paths}", problem=problem,
                        paths="".join(f" {shlex.quote(p)}" for p in paths))
    elif min_coverage is not None and report.coverage is not None:
        floor = Decimal(str(min_coverage))
        if report.coverage.percent < floor:
            problem = _("coverage {coverage} is below the minimum {minimum}",
                        coverage=format_percent(report.coverage.percent), minimum=format_percent(floor))
    if problem is not None:
        _say(problem, err=True)
    _say(report.summary_line())
    if problem is not None or report.failed:
        sys.exit(1)


# ---------------------------------------------------------------- explain


@main.command(short_help="Explain one item: every value, row, line and sanction behind it.")
@click.argument("ruleset")
@click.argument("case", required=False)
@click.option("--item", "item_id", metavar="ID", help="The id of the item to explain.")
@click.option("--unit", "unit_id", metavar="ID",
              help="Explain a unit of a rollup instead (its id; ROLLUP:ID when several rollups have it): its "
                   "values, grades and sanctions, and the items each aggregate counted.")
@click.option("--format", "-f", "fmt", type=click.Choice(("text", "json")),
              help="text (the default; also for an --output file not ending in .json): an indented tree "
                   "in plain words; json: the same as data, for programs (its keys are described in the "
                   "project's docs/explain.md).")
@click.option("--output", "-o", type=click.Path(dir_okay=False, writable=True),
              help="Write to this file (atomically) instead of standard output.")
@click.option("--previous", "previous", multiple=True, metavar="FILE",
              help="An earlier result, as for eval --previous: explain shows the earlier values the rules "
                   "read and the file and period each came from.")
def explain(ruleset: str, case: str | None, item_id: str | None, unit_id: str | None, fmt: str | None,
            output: str | None, previous: tuple[str, ...]) -> None:
    """Why item ID of CASE got its values, grades, supervision and sanctions under RULESET.

    Shows every input, each table with the row that matched, each let with its
    expression and the values it read, for each grade the line that decided it
    (for ranking lines: the value, rank, group, group size and edge) and each
    raise, the supervision line, and each sanction that fired with the element
    that made it fire; every step with its file:line. The whole case is
    evaluated, since ranks depend on every item. With a single argument, that
    argument is the case file and its `ruleset:` line names the ruleset.
    """
    from .explain import explain as explain_item
    from .explain import explain_unit

    if (item_id is None) == (unit_id is None):
        raise click.UsageError(_("give --item ID or --unit ID (one of them)"))
    if fmt is None:
        fmt = "json" if output is not None and Path(output).suffix.lower() == ".json" else "text"
    if case is None:
        rs, cases = _ruleset_of_case(ruleset)
        rs_and_case: tuple[Any, Any] = (rs, cases[0])
    else:
        rs_and_case = (ruleset, case)
    if previous:
        from .api import load_ruleset
        from .case import load_case
        from .previous import attach_earlier

        loaded = load_ruleset(rs_and_case[0]) if isinstance(rs_and_case[0], str) else rs_and_case[0]
        given = load_case(rs_and_case[1]) if isinstance(rs_and_case[1], str) else rs_and_case[1]
        attach_earlier(given, loaded.id, previous)
        rs_and_case = (loaded, given)
    if unit_id is not None:
        explanation = explain_unit(*rs_and_case, unit_id)
    else:
        explanation = explain_item(*rs_and_case, item_id)
    _emit(explanation.to_json() if fmt == "json" else explanation.to_text(), output,
          page=output is None and sys.stdout.isatty(), readable=fmt != "json")


# ---------------------------------------------------------------- fmt and convert


@main.command(short_help="Rewrite rulesets in canonical layout (tables aligned).")
@click.argument("rulesets", nargs=-1, required=True, type=click.Path())
@click.option("--check", is_flag=True, help="Change nothing; list the files that would change and exit 1 if any.")
@click.option("--diff", "show_diff", is_flag=True, help="Change nothing; print a unified diff of what would change.")
def fmt(rulesets: tuple[str, ...], check: bool, show_diff: bool) -> None:
    """Rewrite ruleset files (DSL or YAML) in canonical layout, in place.

    Table columns and arrows aligned by display width, one space around
    operators, comments and blank-line paragraphs kept. Running it twice changes
    nothing the second time. Each file is written atomically (a temporary file,
    then a rename), and only after its new text was parsed back to the same
    ruleset with every comment in place. A folder stands for the .policy, .yaml
    and .yml files under it.
    """
    from .errors import Diagnostic, PolicyError
    from .fmt import format_file, ruleset_files, write_in_place

    failed = changed = False
    for path in ruleset_files(rulesets):
        try:
            path = _shipped_for_fmt(path, rewrite=not (check or show_diff))
            result = format_file(path)
        except PolicyError as exc:
            _say(exc.render(), err=True)
            failed = True
            continue
        if not result.changed:
            continue
        changed = True
        if show_diff:
            _say(result.diff(), nl=False)
        elif check:
            _say(str(path))
        else:
            try:
                write_in_place(path, result.after)
            except OSError as exc:  # read-only, a full disk: reported, the other files go on
                _say(Diagnostic("PE010", _("cannot write this file: {value}",
                                                 value=exc.strerror or exc),
                                      file=str(path)).render(), err=True)
                failed = True
    if failed:
        sys.exit(2)
    if check and changed:
        sys.exit(1)


def _shipped_for_fmt(path: Path, rewrite: bool) -> Path:
    """`fmt tax@2010`: a shipped ruleset by name. --check and --diff read it; rewriting it
    is refused, since it lives in the installed package (site-packages), not with the user."""
    from .api import SHIPPED_NAME, locate_ruleset
    from .errors import Diagnostic, PolicyError

    text = str(path)
    if path.exists() or not SHIPPED_NAME.match(text) or path.suffix:
        return path
    located = locate_ruleset(text)
    if rewrite:
        raise PolicyError(Diagnostic("PE020", _(
            "'{name}' is a shipped ruleset ({path}): fmt does not rewrite the installed package's files; "
            "run policyengine fmt --diff {name} to see its canonical layout, or convert it to a file of "
            "your own (policyengine convert {name} --to dsl -o FILE)", name=text, path=located),
            file=text))
    return located


@main.command(short_help="Convert a ruleset between the DSL and the YAML form.")
@click.argument("ruleset")
@click.option("--to", "to", type=click.Choice(("yaml", "dsl")), required=True, help="The form to write.")
@click.option("--output", "-o", type=click.Path(dir_okay=False, writable=True),
              help="Write to this file (atomically) instead of standard output.")
def convert(ruleset: str, to: str, output: str | None) -> None:
    """Print RULESET (one file, as written: extends/remove kept) in the other form.

    DSL -> YAML -> DSL gives the same ruleset; the result is parsed back and
    compared before anything is printed. Comments are carried over. The YAML
    form lists declarations grouped by kind. With --output in another folder, a
    relative `extends` path is rewritten to name the same parent from there.
    """
    from .api import locate_ruleset
    from .fmt import convert_file

    # a `quoted name` has no escapes: on a terminal its control characters are shown
    _emit(convert_file(locate_ruleset(ruleset), to, output), output, readable=output is None and sys.stdout.isatty())


if __name__ == "__main__":  # pragma: no cover
    main()
