"""The exec stage's coprocess (mode: stream) for the benchmark: one JSON item per line on
stdin, one JSON line back per input line, `{"items": [...]}`, with the same reshape as the
jq stage it is compared with: {id, name: (.name|ascii_downcase), score: (.value*1.5)}.

    python3 coprocess.py COUNT_FILE

Reads whatever stdin has, answers every complete line of it in one write (so a batch costs
one flush, and nothing waits on a line Baton has not sent yet). At end of input it appends
the number of lines it answered to COUNT_FILE (several coprocesses may run at once).
"""
import json
import os
import sys

count_file = sys.argv[1]
answered = 0
pending = b""
out = sys.stdout.buffer
while True:
    chunk = os.read(0, 1 << 16)
    if not chunk:
        break
    lines = (pending + chunk).split(b"\n")
    pending = lines.pop()
    replies = []
    for line in lines:
        if not line.strip():
            continue
        item = json.loads(line)
        shaped = {"id": item["id"], "name": item["name"].lower(), "score": item["value"] * 1.5}
        replies.append(json.dumps({"items": [shaped]}, separators=(",", ":")))
    if replies:
        out.write(("\n".join(replies) + "\n").encode())
        out.flush()
        answered += len(replies)
if pending.strip():
    item = json.loads(pending)
    shaped = {"id": item["id"], "name": item["name"].lower(), "score": item["value"] * 1.5}
    out.write((json.dumps({"items": [shaped]}, separators=(",", ":")) + "\n").encode())
    out.flush()
    answered += 1
with open(count_file, "a") as f:
    f.write(f"{answered}\n")
