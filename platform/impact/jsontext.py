"""Decoding the decision log's JSON for replay: :func:`json.loads`'s result, faster.

An impact job decodes every logged input that differs from the ones before it (each task's text
is its own): with :mod:`json` that was about 5 µs of a row's ~33. msgspec's decoder takes ~1.5 µs
and keeps integers of any size exact (orjson, as fast, turns those beyond 64 bits into floats:
another decision). What msgspec refuses but :mod:`json` reads — ``NaN`` and ``Infinity``, a lone
surrogate escape, a number beyond a double — is handed to :mod:`json`, so the result is always
``json.loads``'s (``tests/platform/test_impact_json.py`` checks it on random documents).
"""
from __future__ import annotations

import json
from typing import Any, Union

import msgspec

_decoder = msgspec.json.Decoder()


def loads(text: Union[str, bytes]) -> Any:
    """``json.loads(text)`` (UTF-8 when bytes)."""
    try:
        return _decoder.decode(text)
    except msgspec.DecodeError:
        return json.loads(text)
