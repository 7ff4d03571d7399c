#!/usr/bin/env python3
"""Weave next to other CRDT libraries (Loro, pycrdt; automerge where its official Python
binding is importable) on editing traces, one like-for-like table per trace kind.

Sequential traces (one author), per library and transaction mode ("per-txn": a commit or
transaction per trace transaction; "batched": one per --batch patches, default 1,000, whole
transactions; --batch 0: one for the whole trace):
  replay_ms   apply every patch as a local edit to the library's text type
  floor_ms    the same loop calling a no-op Python function instead of every library call
              (each delete, each insert, each commit)
  merge_ms    decode the exported bytes into a fresh document, apply them and read the
              text (Loro: LoroDoc().import_(updates) + to_string(); pycrdt:
              Doc().apply_update(update) + str(text))
  raw_bytes   the export (Loro: ExportMode.Updates from the empty version; pycrdt:
              get_update() from the empty state); zlib_bytes: zlib.compress(raw, 9)

Concurrent traces (kind "concurrent"): each library's document is built from the trace
(a replica per agent, peer/client id = agent; each transaction is made after importing
exactly the transactions its parents had), its final text checked, then merge_ms, raw and
zlib bytes are measured on the full history's export as above. Build times are not
reported: they are dominated by Python bookkeeping.

Weave's rows come from a folder given with --weave-dir: DIR/<trace file name>.json, the
output of `weave-bench core --trace FILE --json` (its merge is merge_bytes_ms: decode the
raw encoding, apply to a fresh replica, read the text), DIR/<trace file name>.enc, the raw
encoding it wrote with --write-encoding (compressed here with zlib.compress(raw, 9) like
the others' exports), or DIR/<trace file name>.err, why it is missing. compare.sh drives
all of that. Every time is the median of --runs runs (time.perf_counter, gc collected
before and disabled during each run). Exits 1 if any library's text is wrong.
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
import zlib
from pathlib import Path

ZLIB_LEVEL = 9
# pycrdt's client ids: fixed, so that sizes repeat from run to run (update v1 writes client ids
# as varints in item origins, and pycrdt's random default, below 2**53, makes the export's size
# vary by several percent), of the size most of its random ones have (8-byte varints).
PYCRDT_CLIENT = 1 << 52


# ---------------------------------------------------------------- traces

def load_trace(path: str) -> dict:
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rt", encoding="utf-8") as f:
        data = json.load(f)
    data["_kind"] = data.get("kind", "sequential")
    data["_name"] = Path(path).name
    data["_path"] = path
    return data


def is_ascii(data: dict) -> bool:
    return (data.get("startContent", "").isascii() and data["endContent"].isascii()
            and all(ins.isascii() for t in data["txns"] for _, _, ins in t["patches"]))


def utf8_patches(data: dict, txns) -> list:
    """Sequential patches with positions/lengths as UTF-8 byte offsets (pycrdt indexes
    text by UTF-8 bytes). Converted once, untimed; identity for ASCII traces."""
    if is_ascii(data):
        return txns
    s = data.get("startContent", "")
    out = []
    for ps in txns:
        conv = []
        for pos, dl, ins in ps:
            conv.append((len(s[:pos].encode()), len(s[pos:pos + dl].encode()), ins))
            s = s[:pos] + ins + s[pos + dl:]
        out.append(conv)
    return out


def trace_stats(data: dict) -> dict:
    txns = data["txns"]
    st = dict(name=data["_name"], kind=data["_kind"], txns=len(txns),
              patches=sum(len(t["patches"]) for t in txns), final_length=len(data["endContent"]))
    if data["_kind"] == "concurrent":
        st["agents"] = data.get("numAgents")
        st["merges"] = sum(1 for t in txns if len(t["parents"]) > 1)
    return st


# ---------------------------------------------------------------- timing

def timed(fn):
    gc.collect()
    gc.disable()
    try:
        t0 = time.perf_counter()
        result = fn()
        ms = (time.perf_counter() - t0) * 1000.0
    finally:
        gc.enable()
    return ms, result


def median_of(runs: int, fn):
    """Run fn `runs` times; (median ms, result of the last run)."""
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


def sizes(blob: bytes) -> dict:
    return dict(raw_bytes=len(blob), zlib_bytes=len(zlib.compress(blob, ZLIB_LEVEL)))


MODES = {"per-txn": "commit per trace txn", "batched": "batched"}
BATCH = 1000   # --batch


def mode_label(mode: str) -> str:
    if mode == "batched":
        return "one commit for the trace" if BATCH <= 0 else f"commit per {BATCH:,} patches"
    return MODES.get(mode, mode)


def commit_groups(txns, mode):
    """The patches between two commits. per-txn: one group per trace transaction. batched:
    whole transactions gathered until a group holds at least BATCH patches (BATCH <= 0:
    one group for the whole trace)."""
    if mode == "per-txn":
        return txns
    if BATCH <= 0:
        return [[p for ps in txns for p in ps]]
    groups, cur = [], []
    for ps in txns:
        cur.extend(ps)
        if len(cur) >= BATCH:
            groups.append(cur)
            cur = []
    if cur:
        groups.append(cur)
    return groups


def loro_loads(updates: bytes, snapshot: bytes, runs: int):
    """Loro's merge (a fresh document imports the updates, then its text is read) and its snapshot
    load, timed the same way: (merge ms, merged text, snapshot ms, snapshot's text)."""
    from loro import LoroDoc

    def load(blob):
        def go():
            fresh = LoroDoc()
            fresh.import_(blob)
            return fresh.get_text("text").to_string()
        return go

    merge_ms, merged = median_of(runs, load(updates))
    snap_ms, snap_text = median_of(runs, load(snapshot))
    return merge_ms, merged, snap_ms, snap_text


# ---------------------------------------------------------------- sequential: Loro

def loro_seq(data, groups, runs):
    from loro import ExportMode, LoroDoc, VersionVector

    end, start = data["endContent"], data.get("startContent", "")

    def replay():
        doc = LoroDoc()
        text = doc.get_text("text")
        if start:
            text.insert(0, start)
            doc.commit()
        ins_, del_, commit = text.insert, text.delete, doc.commit
        for ps in groups:  # Loro positions are Unicode code points
            for pos, dl, ins in ps:
                if dl:
                    del_(pos, dl)
                if ins:
                    ins_(pos, ins)
            commit()
        return doc

    replay_ms, doc = median_of(runs, replay)
    replay_ok = doc.get_text("text").to_string() == end
    updates = doc.export(ExportMode.Updates(VersionVector()))
    snapshot = doc.export(ExportMode.Snapshot())

    merge_ms, merged, snap_ms, snap_text = loro_loads(updates, snapshot, runs)
    return dict(replay_ms=replay_ms, merge_ms=merge_ms, **sizes(updates), export="updates",
                snapshot=dict(load_ms=snap_ms, **sizes(snapshot)),
                ok=replay_ok and merged == end and snap_text == end)


# ---------------------------------------------------------------- sequential: pycrdt

def pycrdt_seq(data, groups, runs):
    from pycrdt import Doc, Text

    end, start = data["endContent"], data.get("startContent", "")
    bgroups = utf8_patches(data, groups)

    def replay():
        doc = Doc(client_id=PYCRDT_CLIENT)
        text = doc.get("text", type=Text)
        if start:
            text.insert(0, start)
        ins_, transaction = text.insert, doc.transaction
        for ps in bgroups:
            with transaction():
                for pos, dl, ins in ps:
                    if dl:
                        del text[pos:pos + dl]
                    if ins:
                        ins_(pos, ins)
        return doc

    replay_ms, doc = median_of(runs, replay)
    replay_ok = str(doc.get("text", type=Text)) == end
    update = doc.get_update()

    def load():
        fresh = Doc()
        fresh.apply_update(update)
        return str(fresh.get("text", type=Text))

    merge_ms, merged = median_of(runs, load)
    return dict(replay_ms=replay_ms, merge_ms=merge_ms, **sizes(update), export="update v1",
                ok=replay_ok and merged == end)


# ---------------------------------------------------------------- sequential: automerge

def automerge_skip_reason() -> str | None:
    try:
        import automerge.core  # noqa: F401
        return None
    except ImportError:
        v = version_of("automerge")
        if v:
            return f"PyPI 'automerge' {v} is installed but is not the official binding (no automerge.core)"
        return ("the official binding (automerge.core) is not installed; the PyPI project 'automerge' "
                "(0.1.2) is an unrelated binding with no text type and no save/load")


def automerge_seq(data, groups, runs):
    from automerge.core import ROOT, Document, ObjType

    end, start = data["endContent"], data.get("startContent", "")

    def replay():
        doc = Document()
        with doc.transaction() as tx:
            obj = tx.put_object(ROOT, "text", ObjType.Text)
            if start:
                tx.splice_text(obj, 0, 0, start)
        for ps in groups:
            with doc.transaction() as tx:
                for pos, dl, ins in ps:
                    tx.splice_text(obj, pos, dl, ins)
        return doc, obj

    replay_ms, (doc, obj) = median_of(runs, replay)
    replay_ok = doc.text(obj) == end
    saved = doc.save()

    def load():
        fresh = Document.load(saved)
        _, o = fresh.get(ROOT, "text")
        return fresh.text(o)

    merge_ms, merged = median_of(runs, load)
    return dict(replay_ms=replay_ms, merge_ms=merge_ms, **sizes(saved), export="save()",
                ok=replay_ok and merged == end)


def noop_floor_ms(groups, runs):
    """The replay loop with a no-op Python function in place of every library call: one
    per delete, one per insert, one per commit. What a Python row pays before the library
    does any work."""
    def noop(*_):
        pass

    def go():
        for ps in groups:
            for pos, dl, ins in ps:
                if dl:
                    noop(pos, dl)
                if ins:
                    noop(pos, ins)
            noop()
    return median_of(runs, go)[0]


# ---------------------------------------------------------------- concurrent traces

class History:
    """A concurrent trace's causal structure. Each agent's transactions are split into
    chains (a transaction continues its agent's chain when that chain's last transaction
    is among its ancestors, as in every real trace; otherwise it starts a new chain with
    its own peer id), so a version is a vector of per-chain transaction counts."""

    def __init__(self, data):
        txns = data["txns"]
        agents = data.get("numAgents") or (1 + max((t["agent"] for t in txns), default=0))
        self.root_peer = agents          # the startContent insert, before every transaction
        self.chain = []                  # txn -> chain
        self.seq = []                    # txn -> position in its chain, from 1
        self.need = []                   # txn -> {chain: count} of its parents' merge
        self.chain_txns = []             # chain -> [txn]
        self.peer = []                   # chain -> peer/client id
        vv = []
        chains_of = {}
        extra = 0
        for i, t in enumerate(txns):
            v = {}
            for p in t["parents"]:
                for c, n in vv[p].items():
                    if v.get(c, 0) < n:
                        v[c] = n
            a = t["agent"]
            c = next((c for c in chains_of.get(a, ()) if v.get(c, 0) == len(self.chain_txns[c])), None)
            if c is None:
                c = len(self.chain_txns)
                self.chain_txns.append([])
                first = a not in chains_of
                self.peer.append(a if first else agents + 1 + extra)
                extra += 0 if first else 1
                chains_of.setdefault(a, []).append(c)
            self.need.append(v)
            self.chain_txns[c].append(i)
            w = dict(v)
            w[c] = len(self.chain_txns[c])
            vv.append(w)
            self.chain.append(c)
            self.seq.append(w[c])
        self.extra_chains = extra
        self.last_of_chain = {c: ts[-1] for c, ts in enumerate(self.chain_txns)}
        self.order_dependent = self.same_position_forks(txns)

    @staticmethod
    def same_position_forks(txns) -> int:
        """Pairs of transactions with the same parents whose first patches insert at the same
        position: concurrent inserts at one place, whose order is each CRDT's own tie-break.
        Later positions in such a trace then depend on the tie-break of the CRDT that made
        it, and another CRDT cannot be expected to reach its endContent (the editing-traces
        format promises no such inserts). A witness, not a complete search."""
        groups = {}
        for t in txns:
            if t["patches"] and t["patches"][0][2]:
                key = (tuple(sorted(t["parents"])), t["patches"][0][0])
                groups[key] = groups.get(key, 0) + 1
        return sum(n * (n - 1) // 2 for n in groups.values() if n > 1)

    def missing(self, known: dict, need: dict):
        """Transactions in `need` but not `known`, in trace (causal) order."""
        out = []
        for c, n in need.items():
            k = known.get(c, 0)
            if n > k:
                out.extend(self.chain_txns[c][k:n])
                known[c] = n
        out.sort()
        return out


def clamp(pos, dl, length):
    """Positions past the end (only in order-dependent traces) are clamped; returns
    (pos, dl, clamped?)."""
    p = min(pos, length)
    d = min(dl, length - p)
    return p, d, (p != pos or d != dl)


def loro_conc(data, hist, runs):
    from loro import CounterSpan, ExportMode, IdSpan, LoroDoc, VersionVector

    txns, start, end = data["txns"], data.get("startContent", ""), data["endContent"]
    blobs = [b""] * len(txns)
    ends = [0] * len(txns)      # txn -> its chain's op counter just after it (Loro counts code points)
    counter = [0] * len(hist.chain_txns)
    master = LoroDoc()          # every transaction so far, imported lazily, for bulk catch-ups
    master_has = 0
    root = None
    if start:
        r = LoroDoc()
        r.peer_id = hist.root_peer
        r.get_text("text").insert(0, start)
        r.commit()
        root = r.export(ExportMode.Updates(VersionVector()))
        master.import_(root)
    replicas = {}
    clamped = 0
    for i, t in enumerate(txns):
        c = hist.chain[i]
        rep = replicas.get(c)
        if rep is None:
            doc = LoroDoc()
            doc.peer_id = hist.peer[c]
            if root:
                doc.import_(root)
            rep = replicas[c] = (doc, doc.get_text("text"), {})
        doc, text, known = rep
        have = dict(known)
        todo = hist.missing(known, hist.need[i])
        if len(todo) <= 16:
            if todo:
                doc.import_batch([blobs[j] for j in todo])
        else:
            # Many: one export of exactly the missing counter ranges (importing hundreds
            # of small blobs costs far more).
            if master_has < i:
                master.import_batch(blobs[master_has:i])
                master_has = i
            spans = []
            for b, n in known.items():
                k = have.get(b, 0)
                if n > k:
                    lo = ends[hist.chain_txns[b][k - 1]] if k else 0
                    spans.append(IdSpan(hist.peer[b], CounterSpan(lo, ends[hist.chain_txns[b][n - 1]])))
            doc.import_(master.export(ExportMode.UpdatesInRange(spans)))
        before = doc.oplog_vv
        length = text.len_unicode
        units = 0
        for pos, dl, ins in t["patches"]:
            pos, dl, cl = clamp(pos, dl, length)
            clamped += cl
            if dl:
                text.delete(pos, dl)
            if ins:
                text.insert(pos, ins)
            length += len(ins) - dl
            units += len(ins) + dl
        doc.commit()
        blobs[i] = doc.export(ExportMode.Updates(before))
        counter[c] += units
        ends[i] = counter[c]
        known[c] = hist.seq[i]
        if hist.last_of_chain[c] == i:
            del replicas[c]
    replicas.clear()
    master.import_batch(blobs[master_has:])
    built = master.get_text("text").to_string()
    updates = master.export(ExportMode.Updates(VersionVector()))
    snapshot = master.export(ExportMode.Snapshot())
    del master

    merge_ms, merged, snap_ms, snap_text = loro_loads(updates, snapshot, runs)
    return dict(merge_ms=merge_ms, **sizes(updates), export="updates",
                snapshot=dict(load_ms=snap_ms, **sizes(snapshot)), clamped=clamped,
                text_ok=built == end, converged=merged == built and snap_text == built)


def pycrdt_conc(data, hist, runs):
    from pycrdt import Doc, Text, merge_updates

    txns, start, end = data["txns"], data.get("startContent", ""), data["endContent"]
    ascii_ = is_ascii(data)
    blobs = [b""] * len(txns)
    root = None
    if start:
        r = Doc(client_id=PYCRDT_CLIENT + hist.root_peer)
        r.get("text", type=Text).insert(0, start)
        root = r.get_update()
    replicas = {}
    clamped = 0
    for i, t in enumerate(txns):
        c = hist.chain[i]
        rep = replicas.get(c)
        if rep is None:
            doc = Doc(client_id=PYCRDT_CLIENT + hist.peer[c])
            if root:
                doc.apply_update(root)
            rep = replicas[c] = (doc, doc.get("text", type=Text), {})
        doc, text, known = rep
        todo = hist.missing(known, hist.need[i])
        if len(todo) > 1:   # one merged update applies far faster than many small ones
            doc.apply_update(merge_updates(*[blobs[j] for j in todo]))
        elif todo:
            doc.apply_update(blobs[todo[0]])
        before = doc.get_state()
        s = None if ascii_ else str(text)   # code points -> UTF-8 offsets (pycrdt's index)
        length = len(text) if ascii_ else len(s)
        with doc.transaction():
            for pos, dl, ins in t["patches"]:
                pos, dl, cl = clamp(pos, dl, length)
                clamped += cl
                if ascii_:
                    bpos, bdl = pos, dl
                else:
                    bpos, bdl = len(s[:pos].encode()), len(s[pos:pos + dl].encode())
                    s = s[:pos] + ins + s[pos + dl:]
                if bdl:
                    del text[bpos:bpos + bdl]
                if ins:
                    text.insert(bpos, ins)
                length += len(ins) - dl
        blobs[i] = doc.get_update(before)
        known[c] = hist.seq[i]
        if hist.last_of_chain[c] == i:
            del replicas[c]
    replicas.clear()
    full = Doc()
    full.apply_update(merge_updates(*([root] if root else []), *blobs))
    built = str(full.get("text", type=Text))
    update = full.get_update()
    del full

    def load():
        fresh = Doc()
        fresh.apply_update(update)
        return str(fresh.get("text", type=Text))

    merge_ms, merged = median_of(runs, load)
    return dict(merge_ms=merge_ms, **sizes(update), export="update v1", clamped=clamped,
                text_ok=built == end, converged=merged == built)


# ---------------------------------------------------------------- Weave

def weave_result(weave_dir: str | None, trace_name: str):
    """(row dict from `weave-bench core --json`, or None; note)."""
    if not weave_dir:
        return None, "not measured (--no-weave)"
    d = Path(weave_dir)
    js, err = d / f"{trace_name}.json", d / f"{trace_name}.err"
    if js.exists():
        try:
            obj = next(json.loads(l) for l in reversed(js.read_text().splitlines()) if l.strip().startswith("{"))
        except (StopIteration, json.JSONDecodeError) as exc:
            return None, f"could not read `weave-bench core --json` output ({exc})"
        # Sizes: the raw encoding written with --write-encoding, compressed here exactly as
        # the other libraries' exports are; without it, weave-bench's own figures (also
        # zlib level 9, through the system zlib).
        enc = d / f"{trace_name}.enc"
        if enc.exists():
            raw = enc.read_bytes()
            obj.update(sizes(raw), sizes_from="encoding compressed here")
            if obj.get("encoded_raw_bytes") not in (None, len(raw)):
                obj["ok"] = False
                obj["size_mismatch"] = f"{enc.name} has {len(raw):,} bytes, JSON says {obj['encoded_raw_bytes']:,}"
        else:
            obj.update(raw_bytes=obj.get("encoded_raw_bytes"), zlib_bytes=obj.get("encoded_bytes"),
                       sizes_from="weave-bench's encoded_raw_bytes / encoded_bytes (zlib 9 in Swift)")
        return obj, None
    if err.exists():
        return None, err.read_text().strip() or "not measured"
    return None, "not measured"


# ---------------------------------------------------------------- environment

def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def weave_version() -> str:
    return os.environ.get("WEAVE_COMMIT", "unknown")


def environment() -> dict:
    return dict(cpu=cpu_model(), cores=os.cpu_count(), python=platform.python_version(),
                system=f"{platform.system()} {platform.release()}",
                date=dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
                commit=os.environ.get("WEAVE_COMMIT", "unknown"),
                binary=os.environ.get("WEAVE_BINARY", ""))


# ---------------------------------------------------------------- running

def run_sequential(data, libs, runs, log):
    txns = [[tuple(p) for p in t["patches"]] for t in data["txns"]]
    rows = []
    for lib in libs:
        skip = None
        if lib == "automerge":
            skip = automerge_skip_reason()
        fn = dict(loro=loro_seq, pycrdt=pycrdt_seq, automerge=automerge_seq)[lib]
        for mode in MODES:
            row = dict(trace=data["_name"], library=lib, version=version_of(lib), mode=mode)
            if skip:
                rows.append(dict(row, skipped=skip))
                break
            log(f"[{data['_name']}] {lib} {mode_label(mode)}")
            try:
                row.update(fn(data, commit_groups(txns, mode), runs))
            except Exception as exc:  # a failing binding should not hide the other rows
                row.update(skipped=f"failed: {type(exc).__name__}: {exc}")
            rows.append(row)
    log(f"[{data['_name']}] no-op floor")
    floor = {mode: noop_floor_ms(commit_groups(txns, mode), runs) for mode in MODES}
    return rows, floor


def run_concurrent(data, libs, runs, log):
    hist = History(data)
    rows = []
    for lib in libs:
        row = dict(trace=data["_name"], library=lib, version=version_of(lib), mode="replica per agent")
        if lib == "automerge":
            rows.append(dict(row, skipped=automerge_skip_reason() or "no concurrent adapter for automerge"))
            continue
        log(f"[{data['_name']}] {lib} (build, then merge)")
        try:
            row.update(dict(loro=loro_conc, pycrdt=pycrdt_conc)[lib](data, hist, runs))
            # The text check: the merged export gives the text the replicas built, and that
            # is endContent unless the trace is shown to depend on its maker's tie-break.
            row["ok"] = row["converged"] and (row["text_ok"] or hist.order_dependent > 0)
        except Exception as exc:
            row.update(skipped=f"failed: {type(exc).__name__}: {exc}")
        rows.append(row)
    return rows, hist


# ---------------------------------------------------------------- output

def f_ms(v):
    return "—" if v is None else f"{v:,.1f}"


def f_int(v):
    return "—" if v is None else f"{v:,}"


def ok_cell(r):
    if "skipped" in r:
        return "—"
    if not r.get("ok"):
        return "**NO: final text wrong**"
    if r.get("text_ok", True):
        return "yes"
    return "converged; ≠ endContent (order-dependent trace, see notes)"


def caption(env, runs, libs_versions):
    binary = f" ({env['binary']})" if env["binary"] else ""
    return (f"Measured {env['date']} on {env['cpu']} ({env['cores']} cores), {env['system']}, "
            f"Python {env['python']}, {libs_versions}; Weave at commit {env['commit']}{binary}; "
            f"median of {runs} runs.")


def md_sequential(data, rows, floor, weave, weave_note):
    st = trace_stats(data)
    out = [f"**Sequential: `{st['name']}`** ({st['patches']:,} patches in {st['txns']:,} transactions, "
           f"{st['final_length']:,} code points at the end)", "",
           "| library | version | mode | replay ms | of which Python floor ms | merge ms (decode+apply+text) "
           "| raw bytes | zlib-9 bytes | bytes are | final text |",
           "| --- | --- | --- | ---: | ---: | ---: | ---: | ---: | --- | --- |"]
    notes = []
    for r in rows:
        if "skipped" in r:
            out.append(f"| {r['library']} | {r['version'] or '—'} | — | skipped | | | | | | — |")
            notes.append(f"{r['library']} skipped: {r['skipped']}.")
            continue
        out.append(f"| {r['library']} | {r['version']} | {mode_label(r['mode'])} | {f_ms(r['replay_ms'])} | "
                   f"{f_ms(floor[r['mode']])} | {f_ms(r['merge_ms'])} | {f_int(r['raw_bytes'])} | "
                   f"{f_int(r['zlib_bytes'])} | {r['export']} | {ok_cell(r)} |")
    if weave:
        out.append(f"| weave | {weave_version()} | local edit per patch (no transactions) | "
                   f"{f_ms(weave.get('replay_ms'))} | — | {f_ms(weave.get('merge_bytes_ms'))} | "
                   f"{f_int(weave.get('raw_bytes'))} | {f_int(weave.get('zlib_bytes'))} | OpCodec op log | {weave_ok(weave)} |")
    else:
        out.append("| weave | — | — | not measured | | | | | | — |")
        notes.append(f"Weave: {weave_note}.")
    for r in rows:
        if "snapshot" in r:
            s = r["snapshot"]
            notes.append(f"Loro snapshot ({mode_label(r['mode'])}): `ExportMode.Snapshot()` (history + state) is "
                         f"{s['raw_bytes']:,} raw / {s['zlib_bytes']:,} zlib-9 bytes; fresh `import_` + text "
                         f"{f_ms(s['load_ms'])} ms (it loads a stored state: not a merge).")
    if weave:
        notes.append(f"Weave also: merge of the operations already in memory (`merge_ms`) "
                     f"{f_ms(weave.get('merge_ms'))} ms; decode of the zlib bytes to operations only "
                     f"(`decode_ms`) {f_ms(weave.get('decode_ms'))} ms.")
    return out, notes


def weave_ok(w):
    if w.get("size_mismatch"):
        return f"**NO: {w['size_mismatch']}**"
    return "yes" if w.get("ok") else "**NO: final text wrong**"


def md_concurrent(items, weave_by_trace):
    out = ["**Concurrent traces** (merge, sizes and correctness only; see notes)", "",
           "| trace | library | version | peers | merge ms (decode+apply+text) | raw bytes | zlib-9 bytes | bytes are | final text |",
           "| --- | --- | --- | ---: | ---: | ---: | ---: | --- | --- |"]
    notes = []
    for data, rows, hist in items:
        st = trace_stats(data)
        label = f"`{st['name']}`"
        peers = len(hist.peer) + (1 if data.get("startContent") else 0)
        for r in rows:
            if "skipped" in r:
                out.append(f"| {label} | {r['library']} | {r['version'] or '—'} | | skipped | | | | — |")
                notes.append(f"{st['name']}: {r['library']} skipped: {r['skipped']}.")
                continue
            out.append(f"| {label} | {r['library']} | {r['version']} | {peers} | {f_ms(r['merge_ms'])} | "
                       f"{f_int(r['raw_bytes'])} | {f_int(r['zlib_bytes'])} | {r['export']} | {ok_cell(r)} |")
        weave, note = weave_by_trace[st["name"]]
        if weave:
            ok = weave_ok(weave)
            out.append(f"| {label} | weave | {weave_version()} | {st['agents']} | "
                       f"{f_ms(weave.get('merge_bytes_ms'))} | {f_int(weave.get('raw_bytes'))} | "
                       f"{f_int(weave.get('zlib_bytes'))} | OpCodec op log | {ok} |")
        else:
            out.append(f"| {label} | weave | — | | not measured | | | | — |")
            notes.append(f"{st['name']}: Weave {note}.")
        notes.append(f"`{st['name']}`: {st['agents']} agents, {st['txns']:,} transactions ({st['merges']:,} merges), "
                     f"{st['patches']:,} patches, {st['final_length']:,} code points at the end"
                     + (f"; {hist.extra_chains} extra chains (an agent's transaction not after its own previous one)"
                        if hist.extra_chains else "") + ".")
        if hist.order_dependent:
            cl = ", ".join(f"{r['library']} {r['clamped']:,}" for r in rows if "clamped" in r)
            notes.append(
                f"`{st['name']}` is order-dependent: {hist.order_dependent:,} pairs of transactions with the same "
                f"parents insert at the same position, so the text after them depends on the tie-break of the "
                f"CRDT that generated the trace (Weave's RGA), and later patch positions follow Weave's order. "
                f"Other libraries replay a slightly different history: out-of-range positions are clamped to the "
                f"text (patches clamped: {cl or 'none'}) and their final text is not `endContent`; the check for "
                f"them is that the merged export reproduces the text they built. Weave's row checks its own "
                f"`endContent`. Sizes and merge times are of histories of the same shape, not the same text.")
        for r in rows:
            if "snapshot" in r:
                s = r["snapshot"]
                notes.append(f"`{st['name']}` Loro snapshot: {s['raw_bytes']:,} raw / {s['zlib_bytes']:,} zlib-9 bytes, "
                             f"import + text {f_ms(s['load_ms'])} ms.")
    return out, notes


def plain_rows(all_rows):
    head = ["trace", "library", "mode", "replay ms", "merge ms", "raw bytes", "zlib-9 bytes", "ok"]
    lines = [head]
    for r in all_rows:
        if "skipped" in r:
            lines.append([r["trace"], r["library"], r.get("mode", ""), "skipped", "", "", "", ""])
            continue
        lines.append([r["trace"], r["library"], r.get("mode", ""), f_ms(r.get("replay_ms")), f_ms(r.get("merge_ms")),
                      f_int(r.get("raw_bytes")), f_int(r.get("zlib_bytes")), ok_cell(r)])
    widths = [max(len(str(l[i])) for l in lines) for i in range(len(head))]
    out = []
    for n, l in enumerate(lines):
        out.append("  ".join(str(c).rjust(w) if 3 <= i <= 6 else str(c).ljust(w) for i, (c, w) in enumerate(zip(l, widths))))
        if n == 0:
            out.append("  ".join("-" * w for w in widths))
    return "\n".join(out)


def main(argv=None):
    global BATCH
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("traces", nargs="+", help="editing traces (.json or .json.gz), sequential or concurrent")
    ap.add_argument("--runs", type=int, default=3, help="runs per measurement; the median is reported (default 3)")
    ap.add_argument("--libs", default="loro,pycrdt,automerge", help="comma-separated subset of loro,pycrdt,automerge")
    ap.add_argument("--concurrent-libs", default="loro,pycrdt", help="libraries for concurrent traces (default loro,pycrdt)")
    ap.add_argument("--weave-dir", help="folder of `weave-bench core --json` outputs, TRACE_NAME.json (or .err: why not)")
    ap.add_argument("--plain", action="store_true", help="a plain text table instead of Markdown")
    ap.add_argument("--json", action="store_true", help="also print one JSON object per row")
    ap.add_argument("--batch", type=int, default=BATCH,
                    help=f"patches per commit in batched mode (whole transactions; 0: one commit for the whole "
                         f"trace; default {BATCH})")
    ap.add_argument("--note", action="append", default=[], help="a note to print under the tables (repeatable)")
    args = ap.parse_args(argv)
    if args.runs < 1:
        ap.error("--runs must be at least 1")
    BATCH = args.batch
    libs = [l.strip() for l in args.libs.split(",") if l.strip()]
    clibs = [l.strip() for l in args.concurrent_libs.split(",") if l.strip() in libs]
    for l in libs:
        if l not in ("loro", "pycrdt", "automerge"):
            ap.error(f"unknown library {l!r}")

    def log(msg):
        print(msg, file=sys.stderr, flush=True)

    env = environment()
    seq_parts, conc_items, all_rows, weave_rows = [], [], [], {}
    for path in args.traces:
        if not Path(path).exists():
            sys.exit(f"error: trace not found: {path}")
        data = load_trace(path)
        weave_rows[data["_name"]] = weave_result(args.weave_dir, data["_name"])
        if data["_kind"] == "concurrent":
            rows, hist = run_concurrent(data, clibs, args.runs, log)
            conc_items.append((data, rows, hist))
        else:
            rows, floor = run_sequential(data, libs, args.runs, log)
            seq_parts.append((data, rows, floor))
        all_rows.extend(rows)
        del data

    versions = ", ".join(f"{l} {version_of(l)}" for l in libs if version_of(l))
    failed = [r for r in all_rows if "skipped" not in r and not r.get("ok")]
    failed += [dict(library="weave", trace=n) for n, (w, _) in weave_rows.items() if w and not w.get("ok")]

    if args.plain:
        print(caption(env, args.runs, versions))
        for data, rows, floor in seq_parts:
            print(f"{data['_name']}: Python no-op floor "
                  + ", ".join(f"{mode_label(m)} {f_ms(v)} ms" for m, v in floor.items()))
        w = [dict(trace=n, library="weave", mode="", replay_ms=o.get("replay_ms"), merge_ms=o.get("merge_bytes_ms"),
                  raw_bytes=o.get("raw_bytes"), zlib_bytes=o.get("zlib_bytes"), ok=o.get("ok"))
             for n, (o, _) in weave_rows.items() if o]
        print(plain_rows(all_rows + w))
        for x in args.note:
            print(x)
    else:
        lines = [caption(env, args.runs, versions), ""]
        notes = []
        for data, rows, floor in seq_parts:
            t, n = md_sequential(data, rows, floor, *weave_rows[data["_name"]])
            lines += t + [""]
            notes += [f"`{data['_name']}`: {x}" for x in n]
            notes.append(f"`{data['_name']}`: the Python floor is the same replay loop calling a no-op function "
                         f"once per library call (a delete and/or an insert per patch, one per commit); the Python "
                         f"rows' replay includes it, Weave's has no such cost.")
        if conc_items:
            t, n = md_concurrent(conc_items, weave_rows)
            lines += t + [""]
            notes += n
        notes += args.note
        lines.append("Notes:")
        lines += [f"- {x}" for x in notes]
        print("\n".join(lines))
    if args.json:
        for r in all_rows:
            print(json.dumps(dict(r, **{k: env[k] for k in ("cpu", "cores", "python", "date", "commit")}), sort_keys=True))
        for n, (o, _) in weave_rows.items():
            if o:
                print(json.dumps(dict(o, library="weave", trace=n), sort_keys=True))
    if failed:
        log("error: wrong final text: " + ", ".join(f"{r['library']} on {r['trace']}" for r in failed))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
