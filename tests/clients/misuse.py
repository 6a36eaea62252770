"""Misuse of Arbiter's C API through Python's ctypes, against a real server.

    python3 misuse.py <path of libarbiter_ffi.so> <token A> <token B>

Every misuse a binding can make (nulls, oversized arguments, wrong threads, stale, forged and
double-freed handles) must come back as an error code; the process must not crash, and the library
must still serve a well-behaved client afterwards. Prints one JSON object: each check's name and
whether it held, plus the player the well-behaved client was welcomed as.
"""

import ctypes
import json
import sys
import threading
import time
from ctypes import POINTER, byref, c_char_p, c_double, c_int32, c_size_t, c_uint32, c_uint64, c_void_p

OK, EMPTY = 0, 1
NULL_ARGUMENT, INVALID_ARGUMENT, TOO_LONG, INVALID_HANDLE, WRONG_THREAD = -1, -2, -3, -4, -5
BAD_TOKEN = -8
EVENT_WELCOME = 1


class Event(ctypes.Structure):
    # kind, then the union (8-byte aligned, 64 bytes).
    _fields_ = [("kind", c_int32), ("body", c_uint64 * 8)]


class Offer(ctypes.Structure):
    _fields_ = [
        ("stacks", c_void_p), ("stack_count", c_size_t),
        ("instances", c_void_p), ("instance_count", c_size_t),
        ("currencies", c_void_p), ("currency_count", c_size_t),
    ]


class Input(ctypes.Structure):
    _fields_ = [
        ("tick", c_uint64), ("move_x", ctypes.c_float), ("move_y", ctypes.c_float),
        ("yaw", ctypes.c_float), ("pitch", ctypes.c_float), ("buttons", c_uint32),
    ]


def load(path):
    lib = ctypes.CDLL(path)
    signatures = {
        "arbiter_abi_version": ([], c_uint32),
        "arbiter_result_name": ([c_int32], c_char_p),
        "arbiter_connect": ([c_char_p, c_void_p, POINTER(c_uint64)], c_int32),
        "arbiter_update": ([c_uint64, c_double], c_int32),
        "arbiter_poll": ([c_uint64, POINTER(Event)], c_int32),
        "arbiter_free": ([c_uint64], c_int32),
        "arbiter_guild_chat": ([c_uint64, c_char_p], c_int32),
        "arbiter_use_item": ([c_uint64, c_char_p], c_int32),
        "arbiter_equip": ([c_uint64, c_int32, c_char_p], c_int32),
        "arbiter_trade_set_offer": ([c_uint64, c_uint64, POINTER(Offer)], c_int32),
        "arbiter_send_input": ([c_uint64, POINTER(Input)], c_int32),
        "arbiter_ping": ([c_uint64, c_uint64], c_int32),
    }
    for name, (arguments, result) in signatures.items():
        function = getattr(lib, name)
        function.argtypes = arguments
        function.restype = result
    return lib


def on_other_thread(call):
    box = {}
    thread = threading.Thread(target=lambda: box.setdefault("result", call()))
    thread.start()
    thread.join()
    return box["result"]


def main():
    lib = load(sys.argv[1])
    token_a, token_b = sys.argv[2].encode(), sys.argv[3].encode()
    checks = {}
    handle = c_uint64()

    checks["abi version is 2"] = lib.arbiter_abi_version() == 2
    checks["result names"] = lib.arbiter_result_name(WRONG_THREAD) == b"ARBITER_RESULT_WRONG_THREAD"
    checks["unknown result name"] = lib.arbiter_result_name(12345) == b"ARBITER_RESULT_UNKNOWN"

    # Connecting wrong.
    checks["null token"] = lib.arbiter_connect(None, None, byref(handle)) == NULL_ARGUMENT
    checks["null out handle"] = lib.arbiter_connect(token_a, None, None) == NULL_ARGUMENT
    checks["garbage token"] = lib.arbiter_connect(b"not a token", None, byref(handle)) == BAD_TOKEN
    checks["oversized token"] = lib.arbiter_connect(b"A" * 1_000_000, None, byref(handle)) == TOO_LONG
    checks["non-utf8 token"] = lib.arbiter_connect(b"\xff\xfe", None, byref(handle)) == INVALID_ARGUMENT

    # A real client, then every misuse of it.
    checks["connects"] = lib.arbiter_connect(token_a, None, byref(handle)) == OK
    h = handle.value
    checks["negative time"] = lib.arbiter_update(h, -1.0) == INVALID_ARGUMENT
    checks["NaN time"] = lib.arbiter_update(h, float("nan")) == INVALID_ARGUMENT
    checks["null event"] = lib.arbiter_poll(h, None) == NULL_ARGUMENT
    checks["oversized chat"] = lib.arbiter_guild_chat(h, b"x" * 100_000) == TOO_LONG
    checks["null item"] = lib.arbiter_use_item(h, None) == NULL_ARGUMENT
    checks["empty item"] = lib.arbiter_use_item(h, b"") == INVALID_ARGUMENT
    checks["non-utf8 item"] = lib.arbiter_use_item(h, b"\xc3\x28") == INVALID_ARGUMENT
    checks["unknown slot"] = lib.arbiter_equip(h, 7, b"medkit") == INVALID_ARGUMENT
    checks["null offer"] = lib.arbiter_trade_set_offer(h, 1, None) == NULL_ARGUMENT
    huge = Offer(None, 10**12, None, 0, None, 0)
    checks["oversized offer count"] = lib.arbiter_trade_set_offer(h, 1, byref(huge)) == TOO_LONG
    holed = Offer(None, 3, None, 0, None, 0)
    checks["null offer array"] = lib.arbiter_trade_set_offer(h, 1, byref(holed)) == NULL_ARGUMENT
    wild = Input(5, 7.0, 0.0, 0.0, 0.0, 0)
    checks["input out of range"] = lib.arbiter_send_input(h, byref(wild)) == INVALID_ARGUMENT
    checks["other thread refused"] = on_other_thread(lambda: lib.arbiter_update(h, 0.0)) == WRONG_THREAD
    checks["other thread refused to poll"] = (
        on_other_thread(lambda: lib.arbiter_poll(h, byref(Event()))) == WRONG_THREAD
    )
    checks["forged handle"] = lib.arbiter_update(0xDEAD_0000_0042, 0.0) == INVALID_HANDLE
    checks["zero handle"] = lib.arbiter_ping(0, 1) == INVALID_HANDLE
    checks["free"] = lib.arbiter_free(h) == OK
    checks["stale handle"] = lib.arbiter_update(h, 0.0) == INVALID_HANDLE
    checks["double free"] = lib.arbiter_free(h) == INVALID_HANDLE

    # Freed from another thread.
    checks["connects again"] = lib.arbiter_connect(token_a, None, byref(handle)) == OK
    other = handle.value
    checks["freed from another thread"] = on_other_thread(lambda: lib.arbiter_free(other)) == OK
    checks["stale after a foreign free"] = lib.arbiter_ping(other, 1) == INVALID_HANDLE
    connected = lib.arbiter_connect(token_b, None, byref(handle)) == OK
    checks["a reused slot has a new handle"] = connected and handle.value not in (h, other)

    # After all that, the library still serves a well-behaved client.
    good = handle.value
    welcomed = None
    event = Event()
    deadline = time.monotonic() + 15
    while welcomed is None and time.monotonic() < deadline:
        if lib.arbiter_update(good, 0.016) < 0:
            break
        while lib.arbiter_poll(good, byref(event)) == OK:
            if event.kind == EVENT_WELCOME:
                welcomed = event.body[0]
        time.sleep(0.016)
    checks["a well-behaved client is welcomed"] = welcomed is not None
    checks["poll is empty when drained"] = lib.arbiter_poll(good, byref(event)) == EMPTY
    checks["free the good one"] = lib.arbiter_free(good) == OK
    print(json.dumps({"checks": checks, "welcomed": welcomed}))


main()
