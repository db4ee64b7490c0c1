"""The ctypes structs must match the C headers byte for byte.

A C helper, generated from the ctypes field lists, is compiled against include/llmgw and prints
sizeof, offsetof and the size of every field: a field renamed, retyped, moved or appended in C
fails here. The sentinel test needs no compiler: llmgw_gateway_options_init() clears exactly
sizeof(llmgw_gateway_options) bytes, so bytes past the ctypes struct must stay untouched.
"""
from __future__ import annotations

import ctypes
import json
import os
import shutil
import subprocess
import tempfile
import unittest

from llmgw import _lib

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
INCLUDE = os.path.join(REPO, "include")
HEADERS = ("llmgw/buf.h", "llmgw/hooks.h", "llmgw/errors.h", "llmgw/stream.h", "llmgw/gateway.h",
           "llmgw/report.h")


def _c_source() -> str:
    lines = ["#include <stddef.h>", "#include <stdio.h>"]
    lines += [f"#include <{h}>" for h in HEADERS]
    lines.append("int main(void)\n{")
    lines.append('    printf("{");')
    for i, (cname, struct) in enumerate(_lib.MIRRORED_STRUCTS):
        sep = "," if i else ""
        lines.append(f'    printf("{sep}\\"{cname}\\":{{\\"size\\":%zu,\\"fields\\":{{", '
                     f'sizeof({cname}));')
        for j, (field, _ctype) in enumerate(struct._fields_):
            fsep = "," if j else ""
            lines.append(f'    printf("{fsep}\\"{field}\\":[%zu,%zu]", offsetof({cname}, {field}), '
                         f'sizeof((({cname} *)0)->{field}));')
        lines.append('    printf("}}");')
    lines.append('    printf("}\\n");\n    return 0;\n}')
    return "\n".join(lines) + "\n"


class LayoutTest(unittest.TestCase):

    def test_structs_match_headers(self) -> None:
        if not os.path.isfile(os.path.join(INCLUDE, "llmgw", "gateway.h")):
            self.skipTest("include/llmgw not found (not running from a checkout)")
        cc = os.environ.get("CC") or shutil.which("cc") or shutil.which("gcc")
        if not cc:
            self.skipTest("no C compiler")
        with tempfile.TemporaryDirectory() as d:
            src = os.path.join(d, "layout.c")
            exe = os.path.join(d, "layout")
            with open(src, "w") as f:
                f.write(_c_source())
            p = subprocess.run([cc, "-std=c11", "-Wall", "-Werror", "-I", INCLUDE, src, "-o", exe],
                               capture_output=True, text=True, timeout=120)
            self.assertEqual(p.returncode, 0, "layout helper does not compile (a mirrored "
                                              "field is gone or renamed?):\n" + p.stderr)
            out = subprocess.run([exe], capture_output=True, text=True, timeout=60, check=True)
        layout = json.loads(out.stdout)
        for cname, struct in _lib.MIRRORED_STRUCTS:
            with self.subTest(struct=cname):
                c = layout[cname]
                for field, _ctype in struct._fields_:
                    offset, size = c["fields"][field]
                    desc = getattr(struct, field)
                    self.assertEqual((desc.offset, desc.size), (offset, size),
                                     f"{cname}.{field}: ctypes (offset, size) differs from C")
                self.assertEqual(ctypes.sizeof(struct), c["size"],
                                 f"sizeof({cname}) differs: a field was added in C?")

    def test_options_init_writes_exactly_the_mirrored_size(self) -> None:
        lib = _lib.lib()
        size = ctypes.sizeof(_lib.GatewayOptions)
        raw = (ctypes.c_ubyte * (size + 256))(*([0xAB] * (size + 256)))
        opts = ctypes.cast(raw, ctypes.POINTER(_lib.GatewayOptions))
        self.assertEqual(lib.llmgw_gateway_options_init(opts, _lib.GATEWAY_OPTIONS_VERSION), 0)
        self.assertEqual(opts.contents.version, _lib.GATEWAY_OPTIONS_VERSION)
        self.assertEqual(bytes(raw[size:]), b"\xab" * 256,
                         "llmgw_gateway_options is larger in C than in ctypes")
        self.assertEqual(bytes(raw[4:size]).count(0), size - 4,
                         "init left bytes of the mirrored struct set: it is smaller in C")

    def test_version_constants(self) -> None:
        lib = _lib.lib()
        opts = _lib.GatewayOptions()
        self.assertEqual(lib.llmgw_gateway_options_init(ctypes.byref(opts),
                                                        _lib.GATEWAY_OPTIONS_VERSION + 1), -4)
        sink = _lib.StreamSink()
        self.assertEqual(lib.llmgw_stream_sink_init(ctypes.byref(sink),
                                                    _lib.STREAM_SINK_VERSION), 0)
        self.assertEqual(lib.llmgw_stream_sink_init(ctypes.byref(sink),
                                                    _lib.STREAM_SINK_VERSION + 1), -4)
