"""Parse throughput on a mixed corpus of generated messages, beside the bare standard library.

    .venv/bin/python bench/parse.py [--messages 3000] [--seed 7] [--keep DIR]

Builds a few thousand messages from the shapes the desk receives (T-CY templates in the body,
PDF and DOCX attachments, HTML-only, multipart/alternative, forwards, replies with quoted
history, out-of-office notices, bounces, ping replies, newsletters) in several languages and
encodings, with fresh identifiers, references and Message-IDs in each, writes them as files,
then prints messages per second for `parse_message` and for the standard library's bare
`message_from_bytes` + `get_body` on the same files, and the ratio; in wall-clock and in CPU
time (the latter does not move when other work shares the machine).
"""

from __future__ import annotations

import argparse
import contextlib
import random
import re
import statistics
import sys
import tempfile
import time
from email import message_from_bytes, policy
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from parsers.directory import load_toml
from parsers.message import parse_message

REPO = Path(__file__).resolve().parents[1]
CORPUS = REPO / "tests" / "data" / "corpus"
SEEDS = sorted((CORPUS / "mail").glob("*.eml")) + sorted(
    (REPO / "tests" / "data" / "parse").glob("*.eml"))
NETS = ("192.0.2", "198.51.100", "203.0.113")
_IPV4 = re.compile(rb"\b(?:192\.0\.2|198\.51\.100|203\.0\.113)\.\d{1,3}\b")
_MSGID = re.compile(rb"^Message-ID: <[^>]*>", re.MULTILINE | re.IGNORECASE)
_REF = re.compile(rb"\b([A-Z]{2,6}(?:-[A-Z]{2,4})?-20\d\d-)(\d{3,5})\b")


def generate(count: int, out: Path, rnd: random.Random) -> list[Path]:
    """Write `count` messages derived from the seed shapes with fresh values."""
    seeds = [p.read_bytes() for p in SEEDS]
    paths = []
    for n in range(count):
        raw = rnd.choice(seeds)
        raw = _IPV4.sub(lambda _: f"{rnd.choice(NETS)}.{rnd.randint(1, 254)}".encode(), raw)
        raw = _REF.sub(lambda m: m.group(1) + str(rnd.randint(100, 99999)).encode(), raw)
        raw = _MSGID.sub(f"Message-ID: <bench-{n}@gen.example>".encode(), raw)
        if rnd.random() < 0.1:  # some long bodies: pasted logs under the request
            log = b"\r\n".join(b"2026-11-02 07:%02d:%02d login from %s.%d" % (
                i % 60, i % 60, rnd.choice(NETS).encode(), i % 250) for i in range(400))
            raw = raw + b"\r\n" + log if b"multipart" not in raw[:2000].lower() else raw
        path = out / f"{n:05d}.eml"
        path.write_bytes(raw)
        paths.append(path)
    return paths


def bare(raw: bytes) -> None:
    msg = message_from_bytes(raw, policy=policy.default)
    body = msg.get_body(preferencelist=("plain", "html"))
    if body is not None:
        with contextlib.suppress(LookupError, ValueError, AssertionError):
            body.get_content()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--messages", type=int, default=3000)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--runs", type=int, default=3, help="timed passes; the median is printed")
    ap.add_argument("--keep", metavar="DIR", help="write the corpus here and keep it")
    a = ap.parse_args()
    directory = load_toml((CORPUS / "directory.toml").read_bytes())
    rnd = random.Random(a.seed)
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(a.keep) if a.keep else Path(tmp)
        out.mkdir(parents=True, exist_ok=True)
        paths = generate(a.messages, out, rnd)
        data = [p.read_bytes() for p in paths]
        size = sum(len(d) for d in data)
        parse_message(data[0], directory)  # load the language models before timing
        kinds: dict[str, int] = {}
        full, std, full_cpu, std_cpu = [], [], [], []
        for _ in range(a.runs):
            start, cpu = time.perf_counter(), time.process_time()
            for raw in data:
                r = parse_message(raw, directory)
                kinds[r.kind] = kinds.get(r.kind, 0) + 1
            full.append(time.perf_counter() - start)
            full_cpu.append(time.process_time() - cpu)
            start, cpu = time.perf_counter(), time.process_time()
            for raw in data:
                bare(raw)
            std.append(time.perf_counter() - start)
            std_cpu.append(time.process_time() - cpu)
    t_full, t_std = statistics.median(full), statistics.median(std)
    c_full, c_std = statistics.median(full_cpu), statistics.median(std_cpu)
    print(f"corpus: {len(data)} messages, {size / 1e6:.1f} MB, from {len(SEEDS)} shapes")
    print("kinds: " + ", ".join(f"{k}={v // a.runs}" for k, v in sorted(kinds.items())))
    n = len(data)
    print("                                 wall clock              CPU time")
    print(f"parse_message:                  {n / t_full:8.0f} msg/s ({t_full:6.2f} s)"
          f"  {n / c_full:8.0f} msg/s ({c_full:6.2f} s)")
    print(f"message_from_bytes + get_body:  {n / t_std:8.0f} msg/s ({t_std:6.2f} s)"
          f"  {n / c_std:8.0f} msg/s ({c_std:6.2f} s)")
    print(f"ratio (parse_message / stdlib): {t_full / t_std:8.1f}x"
          f"{'':16}{c_full / c_std:8.1f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
