#!/usr/bin/env python3
"""Replay a sequential editing trace through other CRDT libraries (Loro, pycrdt,
automerge when its official Python binding is importable) and report, per library:

  replay_ms      apply every patch of the trace as local edits to a text type (one library
                 transaction/commit per trace transaction, see --txn), then check the final
                 text equals the trace's endContent
  encode_ms      export the full history (Loro snapshot, pycrdt get_update(), automerge save())
  encoded_bytes  size of that export
  decode_ms      load the export into a fresh document and read its text
  merge_ms       apply the exported *updates* (ops, not a state snapshot) to a fresh document
                 and read its text; for pycrdt the update is the only format, so this is the
                 same operation as decode_ms, timed separately

Every number is the median of --runs runs (time.perf_counter). Times include the Python
loop and call overhead of the binding; loop_overhead_ms (same loop calling a no-op
function) is printed so it can be subtracted mentally.

With --weave-json FILE (the output of `weave-bench core --json`) or --weave-error MSG, and
--markdown, it prints the side-by-side Markdown table used by Benchmarks/README.md;
compare.sh drives all of that.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import gzip
import importlib.metadata as md
import json
import os
import platform
import statistics
import sys
import time
from pathlib import Path


# ---------------------------------------------------------------- trace loading

def load_trace(path: str) -> dict:
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rt", encoding="utf-8") as f:
        data = json.load(f)
    if data.get("kind") == "concurrent":
        sys.exit(f"error: {path} is a concurrent trace; only sequential traces are supported here")
    return data


def utf8_patches(data: dict) -> list[list[tuple[int, int, str]]]:
    """Patches with positions/lengths converted from code points to UTF-8 bytes (pycrdt
    indexes text by UTF-8 bytes). Done once, untimed; identity for pure-ASCII traces."""
    txns = [[tuple(p) for p in t["patches"]] for t in data["txns"]]
    if is_ascii(data):
        return txns
    s = data.get("startContent", "")
    out = []
    for ps in txns:
        conv = []
        for pos, dl, ins in ps:
            bpos = len(s[:pos].encode("utf-8"))
            bdl = len(s[pos:pos + dl].encode("utf-8"))
            conv.append((bpos, bdl, ins))
            s = s[:pos] + ins + s[pos + dl:]
        out.append(conv)
    return out


def is_ascii(data: dict) -> bool:
    if not data.get("endContent", "").isascii() or not data.get("startContent", "").isascii():
        return False
    return all(ins.isascii() for t in data["txns"] for _, _, ins in t["patches"])


# ---------------------------------------------------------------- timing helpers

def timed(fn):
    gc.collect()
    t0 = time.perf_counter()
    result = fn()
    return (time.perf_counter() - t0) * 1000.0, result


def median_of(runs: int, fn):
    """Run fn `runs` times; return (median ms, result of the last run)."""
    times, result = [], None
    for _ in range(runs):
        ms, result = timed(fn)
        times.append(ms)
    return statistics.median(times), result


def version_of(dist: str) -> str | None:
    try:
        return md.version(dist)
    except md.PackageNotFoundError:
        return None


# ---------------------------------------------------------------- libraries

def bench_loro(data, txns, args):
    from loro import ExportMode, LoroDoc, VersionVector

    end = data["endContent"]
    start = data.get("startContent", "")
    per_txn = args.txn == "per-txn"

    def replay():
        doc = LoroDoc()
        text = doc.get_text("text")
        if start:
            text.insert(0, start)
            doc.commit()
        ins_, del_, commit = text.insert, text.delete, doc.commit
        for ps in txns:  # Loro positions are Unicode code points
            for pos, dl, ins in ps:
                if dl:
                    del_(pos, dl)
                if ins:
                    ins_(pos, ins)
            if per_txn:
                commit()
        commit()
        return doc

    replay_ms, doc = median_of(args.runs, replay)
    ok = doc.get_text("text").to_string() == end

    encode_ms, snapshot = median_of(args.runs, lambda: doc.export(ExportMode.Snapshot()))
    updates = doc.export(ExportMode.Updates(VersionVector()))

    def load(blob):
        def go():
            fresh = LoroDoc()
            fresh.import_(blob)
            return fresh.get_text("text").to_string()
        return go

    decode_ms, s1 = median_of(args.runs, load(snapshot))
    merge_ms, s2 = median_of(args.runs, load(updates))
    return dict(
        replay_ms=replay_ms, encode_ms=encode_ms, decode_ms=decode_ms, merge_ms=merge_ms,
        encoded_bytes=len(snapshot), updates_bytes=len(updates),
        ok=ok and s1 == end and s2 == end,
        measured=dict(
            replay="LoroText.delete/insert per patch (code points), doc.commit() per trace transaction",
            encode="doc.export(ExportMode.Snapshot()) (full history + state)",
            decode="LoroDoc().import_(snapshot) + get_text().to_string()",
            merge="LoroDoc().import_(export(ExportMode.Updates(empty VV))) + to_string()",
        ),
    )


def bench_pycrdt(data, txns, args):
    from pycrdt import Doc, Text

    end = data["endContent"]
    start = data.get("startContent", "")
    per_txn = args.txn == "per-txn"
    btxns = utf8_patches(data)  # pycrdt indexes by UTF-8 bytes

    def replay():
        doc = Doc()
        text = doc.get("text", type=Text)
        if start:
            text.insert(0, start)
        ins_ = text.insert
        if per_txn:
            for ps in btxns:
                with doc.transaction():
                    for pos, dl, ins in ps:
                        if dl:
                            del text[pos:pos + dl]
                        if ins:
                            ins_(pos, ins)
        else:
            with doc.transaction():
                for ps in btxns:
                    for pos, dl, ins in ps:
                        if dl:
                            del text[pos:pos + dl]
                        if ins:
                            ins_(pos, ins)
        return doc

    replay_ms, doc = median_of(args.runs, replay)
    ok = str(doc.get("text", type=Text)) == end

    encode_ms, update = median_of(args.runs, doc.get_update)

    def load():
        fresh = Doc()
        fresh.apply_update(update)
        return str(fresh.get("text", type=Text))

    decode_ms, s1 = median_of(args.runs, load)
    merge_ms, s2 = median_of(args.runs, load)
    return dict(
        replay_ms=replay_ms, encode_ms=encode_ms, decode_ms=decode_ms, merge_ms=merge_ms,
        encoded_bytes=len(update), updates_bytes=len(update),
        ok=ok and s1 == end and s2 == end,
        measured=dict(
            replay="Text del/insert per patch (UTF-8 byte offsets, converted untimed), "
                   "one doc.transaction() per trace transaction",
            encode="doc.get_update() (Yjs v1 update from the empty state = full history)",
            decode="Doc().apply_update(update) + str(text)",
            merge="same operation as decode (Yjs has a single update format)",
        ),
    )


def bench_automerge(data, txns, args):
    """Official automerge-py API (automerge.core). The PyPI project named `automerge`
    (0.1.x at the time of writing) is an unrelated binding without text or save(), so
    this only runs where the official binding is importable."""
    try:
        from automerge.core import ROOT, Document, ObjType
    except ImportError as exc:
        v = version_of("automerge")
        why = (f"PyPI 'automerge' {v} is installed but is a different binding (no text type, no save/load)"
               if v else "the official binding (automerge.core) is not installed; the PyPI project "
               "'automerge' (0.1.2) is an unrelated binding with no text type and no save/load, "
               "so there is nothing pip-installable to measure")
        return dict(skipped=why)

    end = data["endContent"]
    start = data.get("startContent", "")

    def replay():
        doc = Document()
        with doc.transaction() as tx:
            obj = tx.put_object(ROOT, "text", ObjType.Text)
            if start:
                tx.splice_text(obj, 0, 0, start)
        if args.txn == "per-txn":
            for ps in txns:
                with doc.transaction() as tx:
                    for pos, dl, ins in ps:
                        tx.splice_text(obj, pos, dl, ins)
        else:
            with doc.transaction() as tx:
                for ps in txns:
                    for pos, dl, ins in ps:
                        tx.splice_text(obj, pos, dl, ins)
        return doc, obj

    replay_ms, (doc, obj) = median_of(args.runs, replay)
    ok = doc.text(obj) == end
    encode_ms, saved = median_of(args.runs, doc.save)

    def load():
        fresh = Document.load(saved)
        _, o = fresh.get(ROOT, "text")
        return fresh.text(o)

    decode_ms, s1 = median_of(args.runs, load)
    return dict(
        replay_ms=replay_ms, encode_ms=encode_ms, decode_ms=decode_ms, merge_ms=None,
        encoded_bytes=len(saved), ok=ok and s1 == end,
        measured=dict(
            replay="tx.splice_text per patch, one transaction per trace transaction",
            encode="doc.save()", decode="Document.load(saved) + text()", merge="not measured",
        ),
    )


LIBS = {
    "loro": ("loro", bench_loro),
    "pycrdt": ("pycrdt", bench_pycrdt),
    "automerge": ("automerge", bench_automerge),
}


def loop_overhead_ms(txns, runs):
    def noop(*_):
        pass

    def go():
        for ps in txns:
            for pos, dl, ins in ps:
                if dl:
                    noop(pos, dl)
                if ins:
                    noop(pos, ins)
    return median_of(runs, go)[0]


# ---------------------------------------------------------------- environment

def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def environment() -> dict:
    return dict(
        cpu=cpu_model(), cores=os.cpu_count(), python=platform.python_version(),
        platform=platform.platform(), date=dt.datetime.now().astimezone().isoformat(timespec="seconds"),
    )


# ---------------------------------------------------------------- output

def fmt_ms(v):
    return "—" if v is None else f"{v:,.1f}"


def fmt_int(v):
    return "—" if v is None else f"{v:,}"


def plain_table(rows):
    head = ["library", "version", "ok", "replay ms", "merge ms", "encode ms", "decode ms", "encoded bytes"]
    lines = [head]
    for r in rows:
        if "skipped" in r:
            lines.append([r["library"], r.get("version") or "—", "skip", "", "", "", "", ""])
            continue
        lines.append([r["library"], r["version"], "yes" if r["ok"] else "NO", fmt_ms(r["replay_ms"]),
                      fmt_ms(r.get("merge_ms")), fmt_ms(r.get("encode_ms")), fmt_ms(r["decode_ms"]),
                      fmt_int(r["encoded_bytes"])])
    widths = [max(len(str(l[i])) for l in lines) for i in range(len(head))]
    out = []
    for n, l in enumerate(lines):
        out.append("  ".join(str(c).rjust(w) if i >= 2 else str(c).ljust(w) for i, (c, w) in enumerate(zip(l, widths))))
        if n == 0:
            out.append("  ".join("-" * w for w in widths))
    return "\n".join(out)


def markdown(rows, env, trace, runs, txn, overhead, weave_note):
    md_lines = [
        f"Measured {env['date'][:10]} on {env['cpu']} ({env['cores']} cores), Python {env['python']}, "
        f"trace `{trace['name']}` ({trace['patches']:,} patches, {trace['txns']:,} transactions, "
        f"{trace['final_length']:,} code points at the end); median of {runs} runs, "
        f"time.perf_counter (Weave: its own `weave-bench core` clock).",
        "",
        "| library | version | replay ms | merge ms | decode ms | encoded bytes |",
        "| --- | --- | ---: | ---: | ---: | ---: |",
    ]
    for r in rows:
        if "skipped" in r:
            md_lines.append(f"| {r['library']} | {r.get('version') or '—'} | skipped | | | |")
            continue
        flag = "" if r.get("ok", True) else " (**final text wrong**)"
        md_lines.append(f"| {r['library']}{flag} | {r['version']} | {fmt_ms(r['replay_ms'])} | "
                        f"{fmt_ms(r.get('merge_ms'))} | {fmt_ms(r['decode_ms'])} | {fmt_int(r['encoded_bytes'])} |")
    md_lines += [
        "",
        "Columns:",
        f"- **replay ms**: apply every patch as a local edit to the library's text type "
        f"({'one library transaction/commit per trace transaction' if txn == 'per-txn' else 'all patches in one transaction'}), "
        f"then check the text equals `endContent`. Python rows include the interpreter loop and "
        f"binding call overhead (a no-op call per patch costs {overhead:,.1f} ms on this trace).",
        "- **merge ms**: apply the whole history as remote updates to a fresh document and read the text "
        "(Loro: import of an `ExportMode.Updates` blob; pycrdt: `apply_update` of `get_update()`, the same "
        "operation as its decode; Weave: `receive(contentsOf:)` of all operations into a fresh replica).",
        "- **decode ms**: load the encoded document (next column) (Loro: `import_` of the snapshot + "
        "`to_string()`; pycrdt: `apply_update` + `str`; Weave: gunzip + `OpCodec.decode` of the op log, "
        "which does not rebuild the text).",
        "- **encoded bytes**: full-history export (Loro: `export(ExportMode.Snapshot())`, history and state; "
        "pycrdt: `get_update()` from the empty state; Weave: `OpCodec` op log, zlib-compressed).",
    ]
    for r in rows:
        if "skipped" in r:
            md_lines.append(f"- {r['library']} skipped: {r['skipped']}")
    if weave_note:
        md_lines.append(f"- Weave: {weave_note}")
    return "\n".join(md_lines)


def weave_row(path: str | None, error: str | None):
    if error:
        return None, error
    if not path:
        return None, None
    try:
        text = Path(path).read_text()
        obj = next(json.loads(l) for l in reversed(text.splitlines()) if l.strip().startswith("{"))
    except (OSError, StopIteration, json.JSONDecodeError) as exc:
        return None, f"could not read `weave-bench core --json` output ({exc})"
    row = dict(library="weave", version=os.environ.get("WEAVE_VERSION", "main"), ok=obj.get("ok", False),
               replay_ms=obj.get("replay_ms"), merge_ms=obj.get("merge_ms"), encode_ms=obj.get("encode_ms"),
               decode_ms=obj.get("decode_ms"), encoded_bytes=obj.get("encoded_bytes"),
               memory_mb=obj.get("memory_mb"), raw=obj)
    return row, None


# ---------------------------------------------------------------- main

def default_trace() -> str:
    base = os.environ.get("WEAVE_TRACES") or str(Path(__file__).resolve().parent.parent.parent / "shared" / "traces")
    return str(Path(base) / "automerge-paper.json.gz")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("trace", nargs="?", default=default_trace(),
                    help="sequential trace (.json or .json.gz); default $WEAVE_TRACES or ../shared/traces "
                         "/automerge-paper.json.gz")
    ap.add_argument("--runs", type=int, default=3, help="runs per measurement; the median is reported (default 3)")
    ap.add_argument("--libs", default="loro,pycrdt,automerge", help="comma-separated subset of " + ",".join(LIBS))
    ap.add_argument("--txn", choices=["per-txn", "single"], default="per-txn",
                    help="one library transaction per trace transaction (default) or one for the whole trace")
    ap.add_argument("--json", action="store_true", help="also print one JSON object per library (one per line)")
    ap.add_argument("--markdown", action="store_true", help="print the Markdown table instead of the plain one")
    ap.add_argument("--weave-json", help="file holding `weave-bench core --json` output, added as a row")
    ap.add_argument("--weave-error", help="why Weave could not be measured (printed as a note)")
    args = ap.parse_args(argv)
    if args.runs < 1:
        ap.error("--runs must be at least 1")
    if not Path(args.trace).exists():
        sys.exit(f"error: trace not found: {args.trace} (set WEAVE_TRACES or pass a path)")

    data = load_trace(args.trace)
    txns = [[tuple(p) for p in t["patches"]] for t in data["txns"]]
    trace = dict(name=Path(args.trace).name, txns=len(txns), patches=sum(len(ps) for ps in txns),
                 final_length=len(data["endContent"]))
    env = environment()
    overhead = loop_overhead_ms(txns, args.runs)

    rows = []
    for name in [n.strip() for n in args.libs.split(",") if n.strip()]:
        if name not in LIBS:
            ap.error(f"unknown library {name!r}; choose from {', '.join(LIBS)}")
        dist, fn = LIBS[name]
        print(f"[{name}] running…", file=sys.stderr, flush=True)
        try:
            res = fn(data, txns, args)
        except ImportError as exc:
            res = dict(skipped=f"not installed ({exc})")
        except Exception as exc:  # a binding failing should not hide the other rows
            res = dict(skipped=f"failed: {type(exc).__name__}: {exc}")
        row = dict(library=name, version=version_of(dist), trace=trace["name"], patches=trace["patches"],
                   runs=args.runs, txn=args.txn, python=env["python"], cpu=env["cpu"], **res)
        rows.append(row)

    weave, weave_note = weave_row(args.weave_json, args.weave_error)
    if weave:
        rows.append(weave)

    if args.markdown:
        print(markdown(rows, env, trace, args.runs, args.txn, overhead, weave_note))
    else:
        print(f"trace {trace['name']}: {trace['patches']:,} patches in {trace['txns']:,} transactions; "
              f"{env['cpu']}, Python {env['python']}; median of {args.runs} runs; "
              f"loop overhead {overhead:,.1f} ms")
        print(plain_table(rows))
        if weave_note:
            print(f"weave: {weave_note}")
    if args.json:
        for r in rows:
            print(json.dumps({k: v for k, v in r.items() if k != "raw"}, sort_keys=True))
    return 0 if all(r.get("ok", True) for r in rows if "skipped" not in r) else 1


if __name__ == "__main__":
    sys.exit(main())
