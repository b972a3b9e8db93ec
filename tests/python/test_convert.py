"""Python values to JSON in C: each accepted type, each rejection, and the caller's
objects left untouched.  Checked both through to_json and through what reaches the data plane."""
import copy
import datetime
import decimal
import json
import math
import random
import uuid
from collections import OrderedDict

import pytest

import ruddercore


@pytest.mark.parametrize("value, text", [
    ({}, "{}"),
    ([], "[]"),
    ((1, "a"), '[1,"a"]'),
    ("héllo \"q\" \\ \n\t\x01 ✓ 😀", '"héllo \\"q\\" \\\\ \\n\\t\\u0001 ✓ 😀"'),
    (0, "0"),
    (-17, "-17"),
    (2**53 + 1, "9007199254740993"),
    (2**64, "18446744073709551616"),
    (-(10**40), "-" + "1" + "0" * 40),
    (1.5, "1.5"),
    (0.1, "0.1"),
    (1e16, "1e+16"),
    (3.0, "3.0"),
    (True, "true"),
    (False, "false"),
    (None, "null"),
    (datetime.datetime(2024, 5, 6, 7, 8, 9, 123456, tzinfo=datetime.timezone.utc),
     '"2024-05-06T07:08:09.123456+00:00"'),
    (datetime.datetime(2024, 5, 6, 7, 8, 9, tzinfo=datetime.timezone(datetime.timedelta(hours=-5, minutes=-30))),
     '"2024-05-06T07:08:09-05:30"'),
    (datetime.datetime(2024, 5, 6, 7, 8, 9), '"2024-05-06T07:08:09"'),
    (datetime.date(2024, 5, 6), '"2024-05-06"'),
    (decimal.Decimal("1.10"), "1.10"),
    (decimal.Decimal("123456789012345678901234567890.123456789"), "123456789012345678901234567890.123456789"),
    (decimal.Decimal("-0"), "-0"),
    (uuid.UUID("12345678-1234-5678-1234-567812345678"), '"12345678-1234-5678-1234-567812345678"'),
    ({"a": {"b": [1, {"c": None}]}}, '{"a":{"b":[1,{"c":null}]}}'),
    ({1: "int key"}, '{"1":"int key"}'),
    (OrderedDict([("z", 1), ("a", 2)]), '{"z":1,"a":2}'),
])
def test_accepted_values(value, text):
    assert ruddercore.to_json(value) == text
    # and it is what the standard parser reads back (datetimes as their ISO text)
    json.loads(text)


def test_datetime_text_matches_isoformat():
    for dt in (datetime.datetime(2024, 1, 1), datetime.datetime(2024, 1, 1, 0, 0, 0, 1),
               datetime.datetime(1999, 12, 31, 23, 59, 59, 999999, tzinfo=datetime.timezone.utc),
               datetime.datetime(2024, 1, 1, tzinfo=datetime.timezone(datetime.timedelta(hours=5, minutes=45)))):
        assert ruddercore.to_json(dt) == '"%s"' % dt.isoformat()


def test_floats_are_written_as_repr_writes_them():
    """The common floats skip Python's dtoa: the text must stay exactly repr's."""
    rnd = random.Random(7)
    values = [0.1, 0.3, 42.5, -42.5, 3.0, -3.0, 0.0, -0.0, 1e-4, 0.00015, 9.99e-5, 123456789.5,
              999999999.999999, 1e9, 1e16, 1e-7, 2.5e-5, 0.125, 1 / 3, 2 ** 53 + 0.0]
    values += [round(rnd.uniform(-1e6, 1e6), rnd.randint(0, 8)) for _ in range(20000)]
    values += [rnd.uniform(-1, 1) for _ in range(2000)]
    for v in values:
        assert ruddercore.to_json(v) == repr(v), v


def test_bool_is_not_int_and_subclasses_work():
    class MyInt(int):
        def __str__(self):
            return "not a number"

    class MyStr(str):
        pass

    assert ruddercore.to_json([True, MyInt(7), MyStr("s"), 2**100]) == '[true,7,"s",%d]' % 2**100


def test_big_numbers_round_trip_exactly():
    big = {"a": 2**70, "b": -(2**65) - 3, "c": 1.25, "d": 10**30}
    assert ruddercore.from_json(ruddercore.to_json(big)) == big
    assert ruddercore.from_json("123456789012345678901234567890") == 123456789012345678901234567890


@pytest.mark.parametrize("value, path", [
    ({"a": {"b": [1, object()]}}, "value.a.b[1]"),
    ({"s": {1, 2}}, "value.s"),
    ({"b": b"bytes"}, "value.b"),
    ([1, 2, [3, complex(1, 2)]], "value[2][1]"),
    ({"f": lambda: 1}, "value.f"),
])
def test_unsupported_types_name_the_path(value, path):
    with pytest.raises(TypeError) as ei:
        ruddercore.to_json(value)
    assert path in str(ei.value)


def test_bad_key_type():
    with pytest.raises(TypeError, match="dict keys"):
        ruddercore.to_json({"ok": {(1, 2): "tuple key"}})


@pytest.mark.parametrize("value", [float("nan"), float("inf"), -float("inf"),
                                   decimal.Decimal("NaN"), decimal.Decimal("Infinity")])
def test_non_finite_numbers_are_rejected(value):
    with pytest.raises(ValueError):
        ruddercore.to_json({"x": [value]})


def test_cycles_are_value_errors():
    d = {"a": 1}
    d["self"] = d
    with pytest.raises(ValueError, match="circular"):
        ruddercore.to_json(d)
    lst = [1]
    lst.append({"l": lst})
    with pytest.raises(ValueError, match=r"circular reference at value\[1\].l"):
        ruddercore.to_json(lst)


def test_shared_non_cyclic_objects_are_fine():
    shared = {"x": 1}
    assert ruddercore.to_json([shared, shared, {"s": shared}]) == '[{"x":1},{"x":1},{"s":{"x":1}}]'


def test_excessive_depth_is_a_value_error():
    v = 1
    for _ in range(200):
        v = [v]
    with pytest.raises(ValueError, match="deeper"):
        ruddercore.to_json(v)


def test_lone_surrogate_is_a_value_error():
    with pytest.raises(ValueError, match="value.k"):
        ruddercore.to_json({"k": "\ud800"})


def test_rejections_through_track_name_the_parameter(make_client):
    c = make_client()
    with pytest.raises(TypeError, match=r"properties.items\[0\].price"):
        c.track("u", "E", {"items": [{"price": object()}]})
    with pytest.raises(ValueError, match="properties.x"):
        c.track("u", "E", {"x": float("nan")})
    assert len(c) == 0 and c.stats()["accepted"] == 0


def test_values_reach_the_data_plane_exactly(make_client, dataplane):
    props = {
        "str": "ü✓😀\n", "int": 42, "big": 2**64 + 1, "neg": -(2**70), "float": 0.1,
        "bool": True, "none": None, "list": [1, "two", 3.0], "tuple": (1, 2),
        "dt": datetime.datetime(2024, 5, 6, 7, 8, 9, tzinfo=datetime.timezone.utc),
        "date": datetime.date(2024, 5, 6), "dec": decimal.Decimal("19.99"),
        "uuid": uuid.UUID(int=1), "nested": {"a": {"b": {"c": [{}]}}},
    }
    snapshot = copy.deepcopy(props)
    c = make_client()
    c.track("u", "Types", props)
    assert props == snapshot          # the caller's objects are never modified
    c.flush(30)
    got = dataplane.wait_events(1)[0]["properties"]
    # the data plane returns JSON; parse big ints exactly with the core's parser
    assert got["str"] == "ü✓😀\n"
    assert got["int"] == 42 and got["big"] == 2**64 + 1 and got["neg"] == -(2**70)
    assert got["float"] == 0.1 and got["bool"] is True and got["none"] is None
    assert got["list"] == [1, "two", 3.0] and got["tuple"] == [1, 2]
    assert got["dt"] == "2024-05-06T07:08:09+00:00" and got["date"] == "2024-05-06"
    assert decimal.Decimal(str(got["dec"])) == decimal.Decimal("19.99")
    assert got["uuid"] == "00000000-0000-0000-0000-000000000001"
    assert got["nested"] == {"a": {"b": {"c": [{}]}}}


def test_from_json_types():
    v = ruddercore.from_json('{"a":[1,2.5,"x",true,false,null,-0.0,1e400]}')
    assert v["a"][:6] == [1, 2.5, "x", True, False, None]
    assert math.copysign(1, v["a"][6]) == -1
    assert v["a"][7] == float("inf")
    with pytest.raises(ValueError):
        ruddercore.from_json("{bad json")
