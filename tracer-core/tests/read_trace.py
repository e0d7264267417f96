# Reads a CTF trace with babeltrace2's Python bindings and prints one JSON object per line:
# events (stream, name, clock cycles, call-site URI, log level, payload, contexts) and the discarded
# events and packets babeltrace2 derives from the packet contexts, and packet beginnings.
# Used by the end-to-end tests to compare a recorded trace with what the program emitted.
import json
import sys

import bt2


def conv(f):
    if isinstance(f, bt2._StructureFieldConst):
        return {k: conv(v) for k, v in f.items()}
    if isinstance(f, bt2._ArrayFieldConst):
        return [conv(x) for x in f]
    if isinstance(f, bt2._EnumerationFieldConst):
        return {"enum": int(f), "labels": sorted(f.labels)}
    if isinstance(f, bt2._BoolFieldConst):
        return bool(f)
    if isinstance(f, bt2._IntegerFieldConst):
        return int(f)
    if isinstance(f, bt2._RealFieldConst):
        return float(f)
    if isinstance(f, bt2._StringFieldConst):
        return str(f)
    raise TypeError(type(f).__name__)


def stream_key(stream):
    return "%d:%d" % (stream.cls.id, stream.id)


for msg in bt2.TraceCollectionMessageIterator(sys.argv[1]):
    if type(msg) is bt2._EventMessageConst:
        ev = msg.event
        print(json.dumps({
            "kind": "event",
            "stream": stream_key(ev.stream),
            "name": ev.name,
            "cycles": msg.default_clock_snapshot.value,
            "uri": ev.cls.emf_uri,
            "level": None if ev.cls.log_level is None else int(ev.cls.log_level),
            "fields": conv(ev.payload_field),
            "context": {
                **(conv(ev.common_context_field) if ev.common_context_field is not None else {}),
                **(conv(ev.specific_context_field) if ev.specific_context_field is not None else {}),
            },
        }))
    elif type(msg) is bt2._PacketBeginningMessageConst:
        print(json.dumps({"kind": "packet", "stream": stream_key(msg.packet.stream)}))
    elif type(msg) is bt2._DiscardedEventsMessageConst:
        print(json.dumps({
            "kind": "discarded_events",
            "stream": stream_key(msg.stream),
            "count": msg.count,
        }))
    elif type(msg) is bt2._DiscardedPacketsMessageConst:
        print(json.dumps({
            "kind": "discarded_packets",
            "stream": stream_key(msg.stream),
            "count": msg.count,
        }))
