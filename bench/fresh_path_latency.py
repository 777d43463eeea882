#!/usr/bin/python3
"""Per-request latency of each serving path with and without an online history
(issue #19), one request at a time against `hybridrec serve --cache-mb 0`, so a
loaded machine's scheduling noise (which dominates concurrent p99s on 2 shared
cores) mostly stays out: median and p90 of 200 requests per row.

Rows: ML-100K users 1-200 (most trained) before any event and after one purchase (fold-in,
or the model plus exclusion for a family without fold-in); users absent from
training before any event (popularity) and after 5 clicks (fold-in or the
content path with behaviour features); one POST /v1/events.

Usage: bench/fresh_path_latency.py WORKSPACE [BINARY]   (e.g. a workspace of
bench/replay_fresh.py: /dev/shm/hybridrec-replay/ws-ease)
"""
import http.client
import json
import os
import socket
import subprocess
import sys
import time

ws = sys.argv[1]
binary = sys.argv[2] if len(sys.argv) > 2 else os.path.join(os.path.dirname(__file__), "..", "build", "hybridrec")
s = socket.socket()
s.bind(("127.0.0.1", 0))
port = s.getsockname()[1]
s.close()
try:
    os.remove(os.path.join(ws, "serving", "events.jsonl"))  # start without any history
except FileNotFoundError:
    pass
server = subprocess.Popen([binary, "serve", "--workspace", ws, "--port", str(port), "--poll-seconds", "0",
                           "--cache-mb", "0", "--threads", "4"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
for _ in range(600):
    try:
        conn = http.client.HTTPConnection("127.0.0.1", port)
        conn.request("GET", "/healthz")
        conn.getresponse().read()
        break
    except OSError:
        time.sleep(0.2)


def get(path):
    t = time.perf_counter()
    conn.request("GET", path)
    body = json.loads(conn.getresponse().read())
    return (time.perf_counter() - t) * 1000, body


def post(events):
    for b in range(0, len(events), 100):
        conn.request("POST", "/v1/events", body=json.dumps(events[b:b + 100]), headers={"Content-Type": "application/json"})
        r = conn.getresponse()
        r.read()
        assert r.status == 200


def timed(label, ids):
    """Times GET top 10 of each user; returns each user's response (for their events)."""
    runs = [get(f"/v1/recommendations/{u}?k=10") for u in ids]
    ms = sorted(t for t, _ in runs)
    paths = sorted({b["served_by"] for _, b in runs})
    print(f"{label:34} median {ms[len(ms) // 2]:.2f} ms  p90 {ms[int(len(ms) * 0.9)]:.2f} ms  ({', '.join(paths)})")
    return {u: body for u, (_, body) in zip(ids, runs)}


def event(kind, response, position):
    """An event on the item at `position` of a user's own response, with its signed request_id."""
    return {"type": kind, "request_id": response["request_id"], "item_id": response["items"][position]["item_id"],
            "timestamp": 1700000000}


users = [str(u) for u in range(1, 201)]  # ML-100K user ids 1..200 (most are trained users)
shown = timed("users 1-200, no events", users)
post([event("purchase", shown[u], 0) for u in users])
shown = timed("users 1-200, 1 purchase each", users)
new = [f"new-{u}" for u in users]
shown_new = timed("new users, no events", new)
post([event("click", shown_new[u], 5 + j) for u in new for j in range(5)])
timed("new users, 5 clicks", new)
ms = []
for u in users[:100]:
    t = time.perf_counter()
    post([event("click", shown[u], 1)])
    ms.append((time.perf_counter() - t) * 1000)
ms.sort()
print(f"{'POST one event (fsync)':34} median {ms[50]:.2f} ms")
server.terminate()
server.wait()
