#!/usr/bin/env python3
"""Writes the seed corpus of fuzz_aws_eventstream into corpus/aws_eventstream/.

Each seed is one schedule byte (the target's chunking seed) followed by event-stream frames
encoded here with Python's struct and zlib.crc32, independently of llmgw's encoder: a
ConverseStream text + tool-use answer, an exception frame mid-stream, an error frame, every
header type, a bad message CRC, a bad prelude CRC, and a stream cut inside its last frame.
"""
import os
import struct
import zlib

FIXED = {2: '>b', 3: '>h', 4: '>i', 5: '>q', 8: '>q'}


def frame(headers, payload):
    hb = b''
    for name, typ, val in headers:
        n = name.encode()
        hb += bytes([len(n)]) + n + bytes([typ])
        if typ in (6, 7):
            v = val if isinstance(val, bytes) else val.encode()
            hb += struct.pack('>H', len(v)) + v
        elif typ in FIXED:
            hb += struct.pack(FIXED[typ], val)
        elif typ == 9:
            hb += val
    p = payload.encode() if isinstance(payload, str) else payload
    pre = struct.pack('>II', 16 + len(hb) + len(p), len(hb))
    body = pre + struct.pack('>I', zlib.crc32(pre)) + hb + p
    return body + struct.pack('>I', zlib.crc32(body))


def ev(event_type, payload):
    return frame([(':event-type', 7, event_type), (':content-type', 7, 'application/json'),
                  (':message-type', 7, 'event')], payload)


STREAM = [
    ev('messageStart', '{"role":"assistant","p":"abcdefgh"}'),
    ev('contentBlockDelta', '{"contentBlockIndex":0,"delta":{"text":"Hello"},"p":"ab"}'),
    ev('contentBlockStop', '{"contentBlockIndex":0}'),
    ev('contentBlockStart', '{"contentBlockIndex":1,"start":{"toolUse":{"toolUseId":"t1","name":"f"}}}'),
    ev('contentBlockDelta', '{"contentBlockIndex":1,"delta":{"toolUse":{"input":"{\\"a\\":1}"}}}'),
    ev('contentBlockStop', '{"contentBlockIndex":1}'),
    ev('messageStop', '{"stopReason":"tool_use"}'),
    ev('metadata', '{"usage":{"inputTokens":5,"outputTokens":3,"totalTokens":8},"metrics":{"latencyMs":1}}'),
]
EXC = frame([(':exception-type', 7, 'throttlingException'), (':content-type', 7, 'application/json'),
             (':message-type', 7, 'exception')], '{"message":"slow down"}')
ERR = frame([(':message-type', 7, 'error'), (':error-code', 7, 'InternalFailure'),
             (':error-message', 7, 'boom')], b'')
ALL = frame([('b0', 0, None), ('b1', 1, None), ('i8', 2, -1), ('i16', 3, -2), ('i32', 4, -3), ('i64', 5, -4),
             ('by', 6, b'\x00\x01'), ('st', 7, 's'), ('ts', 8, 1700000000000), ('uu', 9, bytes(range(16)))], 'x')
EMPTY = frame([], b'')
BAD_CRC = bytearray(ev('contentBlockDelta', '{"contentBlockIndex":0,"delta":{"text":"x"}}'))
BAD_CRC[-1] ^= 1
BAD_PRELUDE = bytearray(EMPTY)
BAD_PRELUDE[0] = 1

SEEDS = {
    'converse_stream.bin': bytes([7]) + b''.join(STREAM),
    'converse_stream_bytes.bin': bytes([0]) + b''.join(STREAM),
    'exception_mid_stream.bin': bytes([13]) + STREAM[0] + STREAM[1] + EXC,
    'error_frame.bin': bytes([3]) + STREAM[0] + ERR,
    'all_header_types.bin': bytes([21]) + ALL + EMPTY,
    'bad_message_crc.bin': bytes([5]) + STREAM[0] + bytes(BAD_CRC),
    'bad_prelude.bin': bytes([9]) + bytes(BAD_PRELUDE),
    'cut_mid_frame.bin': bytes([2]) + b''.join(STREAM)[:-7],
}

if __name__ == '__main__':
    out = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'corpus', 'aws_eventstream')
    os.makedirs(out, exist_ok=True)
    for name, data in SEEDS.items():
        with open(os.path.join(out, name), 'wb') as f:
            f.write(data)
