"""Result.items from evaluate is ItemResults (issue 12): each item's result is built from
its slot list when read. It must behave as the list it replaces."""

from __future__ import annotations

import pickle

from policyengine.result import ItemResults

from .conftest import D, evaluate

TEXT = """\
input x: number
let y = x * 2
levels 档次 [高 red, 低 green]
grade 档次 {
  y >= 10   -> 高
  otherwise -> 低
}
sanction 罚 when y >= 10 {
  fine y
}
"""


def result():
    return evaluate(TEXT, [{"id": "a", "x": 1}, {"id": "b", "x": 7}, {"id": "c", "x": 5}])


def test_items_read_as_a_list() -> None:
    r = result()
    assert isinstance(r.items, ItemResults)
    assert len(r.items) == 3
    # y = 2x: 2, 14, 10; 高 from 10 up; the fine is y where it fired
    assert [(i.id, i.values["y"], i.grades["档次"].level, i.fine) for i in r.items] == [
        ("a", D(2), "低", D(0)), ("b", D(14), "高", D(14)), ("c", D(10), "高", D(10))]
    assert r.items[-1].id == "c" and r.items[1:].__class__ is list and [i.id for i in r.items[1:]] == ["b", "c"]
    assert r.item("b").values["y"] == D(14)
    assert r.summary["fines"] == D(24) and r.summary["items"] == 3


def test_an_item_is_built_once_and_only_when_read() -> None:
    r = result()
    items = r.items
    assert items._built == [None, None, None]  # nothing built by evaluate
    second = items[1]
    assert items[1] is second and items._built[0] is None and items._built[2] is None
    assert items[-2] is second
    everything = list(items)
    assert everything[1] is second and items._rows is None  # all built: the slot lists let go
    assert items[0] is everything[0]


def test_looking_up_one_item_builds_only_that_one() -> None:
    r = result()
    assert r.item("b").values["y"] == D(14)  # y = 2 * 7
    assert [i is not None for i in r.items._built] == [False, True, False]
    try:
        r.item("z")
    except KeyError as missing:
        assert missing.args == ("z",)
    else:
        raise AssertionError("no item z")


def test_equal_to_the_list_and_pickled_as_one() -> None:
    r, again = result(), result()
    assert r.items == again.items
    assert r.items == list(again.items)
    assert r.items != list(again.items)[:2]
    copied = pickle.loads(pickle.dumps(r.items))
    assert copied.__class__ is list and [i.to_dict() for i in copied] == [i.to_dict() for i in r.items]
    assert r == again  # the Result dataclass compares its items too


def test_writing_json_keeps_no_item_and_gives_the_same_bytes() -> None:
    from policyengine.render import render

    r = result()
    r.items[1]  # one built and kept, the others built only to be written
    streamed = render(r, "json")
    assert r.items._built[0] is None and r.items._built[2] is None and r.items._built[1] is not None
    assert r.items.passing(0, 3)[1] is r.items[1]
    list(r.items)
    assert render(r, "json") == streamed
    assert '"y": 14' in streamed and '"fine": 14' in streamed


def test_without_the_plan_the_same_items_are_written_from_built_objects() -> None:
    import dataclasses

    from policyengine.render import json_chunks

    planned = result()
    assert planned.items.plan is not None and planned.items.unbuilt(0, 3) is not None
    plain = planned.items.without_plan()
    assert isinstance(plain, ItemResults) and plain.plan is None and plain.unbuilt(0, 3) is None
    assert plain == planned.items  # the same results, each built from the same slot list
    again = result()
    assert "".join(json_chunks([dataclasses.replace(again, items=again.items.without_plan())])) == "".join(
        json_chunks([result()]))
    list(planned.items)  # every item built: the slot lists are gone, a list is what is left
    assert planned.items.without_plan().__class__ is list and planned.items.without_plan() == list(planned.items)
