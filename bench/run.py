#!/usr/bin/env python3
"""One benchmark run: ruddercore against the SDKs people use today, same machine, same data plane.

    bench/run.sh BUILD_DIR            (what `make bench` runs)
    BENCH_QUICK=1 bench/run.sh build  (smoke test: tiny N, one repetition, nothing published)

Every contender runs as its own child process against its own fresh local data plane
(tools/dataplane, --no-store) on 127.0.0.1.  The driver prints one JSON line (events/s end to
end, call latency median/p99); this runner adds what it measures from outside, the same way for
everyone: CPU seconds and peak RSS of the child from wait4() rusage, and what the data plane
received (/_stats: exactly N events, N unique, no duplicates - or the run is reported as losing
events).  Peers are installed by this runner into throwaway environments under bench/out/env.

Output: bench/out/results.md, results.json, events_per_sec.png, call_latency.png, scaling.png;
a full run also copies them to docs/bench/ (BENCH_PUBLISH=0 to skip, =1 to force).
Environment: BENCH_QUICK=1, BENCH_REPS=n, BENCH_ONLY=key,key (contender keys below),
BENCH_FRESH=1 (rebuild the throwaway environments), BENCH_SKIP_SCALING=1, BENCH_SKIP_OWNERS=1.
"""
import argparse
import datetime
import json
import os
import platform
import shutil
import signal
import statistics
import subprocess
import sys
import threading
import time
import urllib.request

from bench_env import BENCH, DRIVERS, ENV, OUT, PUBLISH_DIR, ROOT, Envs, log, tail

RUN_TIMEOUT = 600  # seconds per contender run; a hung SDK is reported, not waited for

QUICK = os.environ.get("BENCH_QUICK", "") not in ("", "0")


# --------------------------------------------------------------------------------------------
# The local data plane
# --------------------------------------------------------------------------------------------

class DataPlane:
    """One rudder-dataplane process on 127.0.0.1, started for one run and stopped by pid."""

    def __init__(self, binary):
        self.proc = subprocess.Popen([binary, "--port", "0", "--no-store", "--quiet"],
                                     stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        line = self.proc.stdout.readline().strip()
        if not line.startswith("listening "):
            self.stop()
            raise RuntimeError("rudder-dataplane did not start (said %r)" % line)
        self.url = line.split(" ", 1)[1]

    def stats(self):
        with urllib.request.urlopen(self.url + "/_stats", timeout=10) as r:
            return json.loads(r.read())

    def stop(self):
        if self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                os.kill(self.proc.pid, signal.SIGKILL)
                self.proc.wait()



# --------------------------------------------------------------------------------------------
# Contenders
# --------------------------------------------------------------------------------------------

class Contender:
    def __init__(self, key, label, env, n_full, n_quick, command, language, gzip, batch, n_scaling=None):
        self.key, self.label, self.env = key, label, env
        self.n = n_quick if QUICK else n_full
        # scaling runs are many; a smaller N still keeps each run seconds long
        self.n_scaling = self.n if QUICK or not n_scaling else n_scaling
        self.command = command  # (envs, url, n, threads, flush_at) -> argv, extra env
        self.language, self.gzip, self.batch = language, gzip, batch


def c_cmd(envs, url, n, threads=1, flush_at=None):
    return [os.path.join(envs.build, "bench", "bench_client"), url, str(n), str(threads),
            str(flush_at or 20)], None


def c_dest_cmd(envs, url, n, threads=1, flush_at=None):
    return [envs.paths["c-dest"], url, str(n), os.path.join(DRIVERS, "walkeros_config.json")] + (
        [str(flush_at)] if flush_at else []), None


def py_rc_cmd(destination):
    def cmd(envs, url, n, threads=1, flush_at=None):
        argv = [envs.paths["py-ruddercore"], os.path.join(DRIVERS, "py_ruddercore.py"), url, str(n),
                "--threads", str(threads)]
        if flush_at:
            argv += ["--flush-at", str(flush_at)]
        if destination:
            argv.append("--destination")
        return argv, None
    return cmd


def py_sdk_cmd(envs, url, n, threads=1, flush_at=None):
    argv = [envs.paths["py-rudder-sdk"], os.path.join(DRIVERS, "py_rudder_sdk.py"), url, str(n),
            "--threads", str(threads)]
    if flush_at:
        argv += ["--flush-at", str(flush_at)]
    return argv, None


def node_cmd(walker):
    def cmd(envs, url, n, threads=1, flush_at=None):
        argv = [envs.paths["node"], os.path.join(DRIVERS, "node_rudder_sdk.cjs"), envs.paths["node-dir"], url, str(n)]
        if walker:
            argv.append("--walkeros")
        if flush_at:
            argv += ["--flush-at", str(flush_at)]
        return argv, None
    return cmd


def lua_cmd(variant, destination):
    def cmd(envs, url, n, threads=1, flush_at=None):
        argv = [envs.paths["lua-" + variant], os.path.join(DRIVERS, "lua_ruddercore.lua"), url, str(n)]
        if flush_at:
            argv += ["--flush-at", str(flush_at)]
        if destination:
            argv.append("--destination")
        return argv, {"LUA_CPATH": envs.paths["lua-cpath-" + variant]}
    return cmd


RC_BATCH = "flushAt 20 (default; a trigger: a send takes everything queued up to 460 800 bytes)"
CONTENDERS = [
    Contender("c", "ruddercore C (rudder_track)", None, 1000000, 40000, c_cmd, "C",
              "on (zlib level 1, ruddercore's default)", RC_BATCH, n_scaling=600000),
    Contender("c-dest", "ruddercore C rudder_dest_push (walkerOS)", "c-dest", 300000, 10000, c_dest_cmd, "C",
              "on (default)", RC_BATCH),
    Contender("py-track", "ruddercore Python Client.track", "py-ruddercore", 300000, 20000, py_rc_cmd(False),
              "Python", "on (default)", RC_BATCH, n_scaling=200000),
    Contender("py-dest", "ruddercore Python Destination.push (walkerOS)", "py-ruddercore", 200000, 10000,
              py_rc_cmd(True), "Python", "on (default)", RC_BATCH),
    Contender("lua54-track", "ruddercore Lua 5.4 client:track", "lua-5.4", 400000, 20000,
              lua_cmd("5.4", False), "Lua 5.4", "on (default)", RC_BATCH),
    Contender("luajit-track", "ruddercore LuaJIT client:track", "lua-luajit", 400000, 20000,
              lua_cmd("luajit", False), "LuaJIT", "on (default)", RC_BATCH),
    Contender("lua54-dest", "ruddercore Lua 5.4 dest:push (walkerOS)", "lua-5.4", 200000, 10000,
              lua_cmd("5.4", True), "Lua 5.4", "on (default)", RC_BATCH),
    Contender("luajit-dest", "ruddercore LuaJIT dest:push (walkerOS)", "lua-luajit", 200000, 10000,
              lua_cmd("luajit", True), "LuaJIT", "on (default)", RC_BATCH),
    Contender("py-sdk", "rudder-sdk-python Client.track", "py-rudder-sdk", 50000, 4000, py_sdk_cmd,
              "Python", "on (default gzip=True, GzipFile level 9)",
              "upload_size 100 (default; a cap)", n_scaling=30000),
    Contender("node-sdk", "rudder-sdk-node track", "node", 30000, 3000, node_cmd(False), "Node",
              "on (default, zlib level 6)", "flushAt 20 (default; a cap, one request in flight)",
              n_scaling=10000),
    Contender("node-walkeros", "walkerOS on Node (@walkeros/core mapping + rudder-sdk-node)", "node", 20000, 2000,
              node_cmd(True), "Node", "on (default, zlib level 6)",
              "flushAt 20 (default; a cap, one request in flight)"),
]
BY_KEY = {c.key: c for c in CONTENDERS}

THREADS = [1, 2, 4]
THREAD_CONTENDERS = ["c", "py-track", "py-sdk"]
BATCHES = [20, 100, 500]
BATCH_CONTENDERS = ["c", "py-track", "py-sdk", "node-sdk"]


# --------------------------------------------------------------------------------------------
# One run
# --------------------------------------------------------------------------------------------

class DataPlaneDied(Exception):
    pass


def run_once(envs, contender, dataplane_bin, n, threads=1, flush_at=None, tag=""):
    """Runs the contender against a fresh data plane; returns a result dict.  If the data
    plane itself goes away during the run (on a shared machine something else may kill it),
    that is not the contender's fault: the run is repeated, at most twice, and says so."""
    for attempt in range(3):
        try:
            result = attempt_run(envs, contender, dataplane_bin, n, threads, flush_at, tag)
        except (DataPlaneDied, RuntimeError) as e:  # RuntimeError: it did not even start
            log("   the data plane went away during the run (%s); repeating the run" % e)
            continue
        if attempt:
            result["repeatedBecauseTheDataPlaneDied"] = attempt
        return result
    return {"contender": contender.key, "events": n, "threads": threads, "flushAt": flush_at,
            "verdict": "failed", "problem": "the data plane went away in three attempts", "lost": n,
            "duplicates": 0}


def attempt_run(envs, contender, dataplane_bin, n, threads, flush_at, tag):
    dp = DataPlane(dataplane_bin)
    argv, extra_env = contender.command(envs, dp.url, n, threads, flush_at)
    env = dict(os.environ)
    env.update(extra_env or {})
    os.makedirs(os.path.join(OUT, "logs"), exist_ok=True)
    err_path = os.path.join(OUT, "logs", "run-%s%s.stderr" % (contender.key, tag))
    result = {"contender": contender.key, "events": n, "threads": threads, "flushAt": flush_at}
    died, timed_out = [], []
    try:
        with open(err_path, "w") as err:
            t0 = time.monotonic()
            proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=err, env=env, cwd=OUT)
            finished = threading.Event()

            def watch():
                # a hung contender is killed after RUN_TIMEOUT; one whose data plane vanished, at once
                deadline = time.monotonic() + RUN_TIMEOUT
                while not finished.wait(0.2):
                    if dp.proc.poll() is not None:
                        died.append("exit status %s" % dp.proc.returncode)
                    if time.monotonic() > deadline:
                        timed_out.append(True)
                    if died or timed_out:
                        try:
                            os.kill(proc.pid, signal.SIGKILL)
                        except ProcessLookupError:
                            pass
                        return

            watcher = threading.Thread(target=watch, daemon=True)
            watcher.start()
            out = proc.stdout.read()
            _, status, usage = os.wait4(proc.pid, 0)
            finished.set()
            watcher.join()
            proc.returncode = os.waitstatus_to_exitcode(status)
            wall = time.monotonic() - t0
        if died or dp.proc.poll() is not None:
            raise DataPlaneDied(died[0] if died else "exit status %s" % dp.proc.returncode)
        try:
            stats = dp.stats()
        except OSError as e:
            raise DataPlaneDied("/_stats: %s" % e)
    finally:
        dp.stop()
    if timed_out:
        result.update({"verdict": "failed", "lost": n, "duplicates": 0,
                       "problem": "killed after %d s without finishing" % RUN_TIMEOUT})
        return result
    line = None
    for text in out.decode(errors="replace").splitlines():
        if text.startswith("{"):
            try:
                line = json.loads(text)
            except ValueError:
                pass
    cpu = usage.ru_utime + usage.ru_stime
    result.update({
        "exitCode": proc.returncode, "wallSeconds": round(wall, 3),
        "cpuSeconds": round(cpu, 3), "cpuSecondsPerMillion": round(cpu / n * 1e6, 2),
        "peakRssMB": round(usage.ru_maxrss / 1024.0, 1),  # Linux: ru_maxrss is in KiB
        "dataplane": {k: stats.get(k) for k in ("events", "unique", "duplicates", "requests", "rejected",
                                                "bytesRaw", "bytesWire", "connections")},
    })
    received, unique, dups = stats.get("events", 0), stats.get("unique", 0), stats.get("duplicates", 0)
    result["lost"] = max(0, n - unique)
    result["duplicates"] = dups
    result["eventBytes"] = round(stats["bytesRaw"] / received) if received else None
    result["eventsPerRequest"] = round(received / stats["requests"], 1) if stats.get("requests") else None
    if line is None:
        result["verdict"] = "failed"
        result["problem"] = "exit %s, no result line; stderr: %s" % (proc.returncode, tail(err_path, 2))
        return result
    result["driver"] = line
    result["label"] = line.get("contender")
    result["eventsPerSec"] = line.get("eventsPerSec")
    result["seconds"] = line.get("seconds")
    result["queueFullRetries"] = line.get("queueFullRetries", 0)
    result["callMedianUs"] = line.get("callMedianUs")
    result["callP99Us"] = line.get("callP99Us")
    if received == n and unique == n and dups == 0 and line.get("events") == n:
        result["verdict"] = "ok"
    else:
        result["verdict"] = "lost" if unique < n else "duplicates"
        result["problem"] = "data plane received %d events (%d unique, %d duplicates) of %d" % (
            received, unique, dups, n)
    if proc.returncode != 0 and result["verdict"] == "ok":
        result["verdict"] = "failed"
        result["problem"] = "driver exit %d: %s" % (proc.returncode, tail(err_path, 2))
    return result


def describe(r):
    if r["verdict"] == "ok":
        return "%s ev/s, %s s CPU/M, %s MB, call %s/%s us: exactly %d received, no duplicates" % (
            r["eventsPerSec"], r["cpuSecondsPerMillion"], r["peakRssMB"], r["callMedianUs"], r["callP99Us"], r["events"])
    return "%s: %s" % (r["verdict"].upper(), r.get("problem"))


# --------------------------------------------------------------------------------------------
# Summaries and the table
# --------------------------------------------------------------------------------------------

def summarize(runs):
    ok = [r for r in runs if r["verdict"] == "ok"]
    s = {"reps": len(runs), "okReps": len(ok), "lost": max((r.get("lost", 0) for r in runs), default=0),
         "duplicates": max((r.get("duplicates", 0) or 0 for r in runs), default=0),
         "problems": [r["problem"] for r in runs if r["verdict"] != "ok"]}
    if ok:
        eps = [r["eventsPerSec"] for r in ok]
        s.update({
            "eventsPerSec": {"min": min(eps), "median": statistics.median(eps), "max": max(eps)},
            "cpuSecondsPerMillion": statistics.median(r["cpuSecondsPerMillion"] for r in ok),
            "peakRssMB": statistics.median(r["peakRssMB"] for r in ok),
            "callMedianUs": statistics.median(r["callMedianUs"] for r in ok),
            "callP99Us": statistics.median(r["callP99Us"] for r in ok),
            "eventBytes": statistics.median(r["eventBytes"] for r in ok),
            "eventsPerRequest": statistics.median(r["eventsPerRequest"] for r in ok),
            "queueFullRetries": statistics.median(r.get("queueFullRetries") or 0 for r in ok),
            "label": ok[0].get("label"),
        })
    return s


def fmt_num(x):
    if x is None:
        return "—"
    if x >= 100:
        return "{:,.0f}".format(x)
    if x >= 10:
        return "%.1f" % x
    return "%.2f" % x


def ratio(x, base):
    """' (x×)': the contender's figure divided by ruddercore C's."""
    if not x or not base:
        return ""
    r = x / base
    return " (%s×)" % (("%.2f" % r) if r < 10 else ("%.0f" % r))


def main_table(results):
    base = results.get("c", {}).get("summary", {})
    rows = ["| contender | events/s end to end: median (× C); min–max | CPU s per M events | peak RSS MB | "
            "call median µs | call p99 µs | N per run | received by the data plane |",
            "|---|---|---|---|---|---|---|---|"]
    for c in CONTENDERS:
        entry = results.get(c.key)
        if entry is None:
            continue
        if entry.get("unavailable"):
            rows.append("| %s | not available (%s) | | | | | | |" % (c.label, entry["unavailable"].replace("|", "/")))
            continue
        s = entry["summary"]
        check = "exactly N, no duplicates, %d/%d runs" % (s["okReps"], s["reps"])
        if s["okReps"] < s["reps"]:
            check = "**%d of %d runs failed the check**: %s" % (
                s["reps"] - s["okReps"], s["reps"], "; ".join(sorted(set(s["problems"])))[:300])
        if "eventsPerSec" not in s:
            rows.append("| %s | **no valid run** (events lost or run failed) | | | | | %d | %s |" % (
                c.label, entry["n"], check))
            continue
        e = s["eventsPerSec"]
        rows.append("| %s | **%s**%s; range %s–%s | %s%s | %s%s | %s%s | %s%s | %s | %s |" % (
            c.label,
            fmt_num(e["median"]), ratio(e["median"], base.get("eventsPerSec", {}).get("median")),
            fmt_num(e["min"]), fmt_num(e["max"]),
            fmt_num(s["cpuSecondsPerMillion"]), ratio(s["cpuSecondsPerMillion"], base.get("cpuSecondsPerMillion")),
            fmt_num(s["peakRssMB"]), ratio(s["peakRssMB"], base.get("peakRssMB")),
            fmt_num(s["callMedianUs"]), ratio(s["callMedianUs"], base.get("callMedianUs")),
            fmt_num(s["callP99Us"]), ratio(s["callP99Us"], base.get("callP99Us")),
            "{:,}".format(entry["n"]), check))
    return "\n".join(rows)


def scaling_table(scaling, kind):
    values = THREADS if kind == "threads" else BATCHES
    head = "producer threads" if kind == "threads" else "flushAt / upload_size"
    rows = ["| contender | " + " | ".join("%s = %d" % (head, v) for v in values) + " |",
            "|---" * (len(values) + 1) + "|"]
    for key, per_value in scaling.get(kind, {}).items():
        cells = []
        for v in values:
            s = per_value.get(str(v))
            if s is None:
                cells.append("—")
            elif s.get("unavailable"):
                cells.append("n/a")
            elif "eventsPerSec" not in s:
                cells.append("**failed/lost**")
            else:
                cell = "%s ev/s" % fmt_num(s["eventsPerSec"]["median"])
                if kind == "batches":
                    cell += " (%s ev/request)" % fmt_num(s["eventsPerRequest"])
                if s["okReps"] < s["reps"]:
                    cell += " **%d of %d runs lost events**" % (s["reps"] - s["okReps"], s["reps"])
                cells.append(cell)
        rows.append("| %s | %s |" % (BY_KEY[key].label, " | ".join(cells)))
    return "\n".join(rows)


def machine_info():
    model = "unknown"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    mem = None
    try:
        with open("/proc/meminfo") as f:
            mem = round(int(f.readline().split()[1]) / 1024 / 1024, 1)
    except (OSError, ValueError, IndexError):
        pass
    return {"cores": os.cpu_count(), "cpuModel": model, "memoryGB": mem,
            "kernel": platform.release(), "os": platform.platform(),
            "loadAverageAtStart": [round(x, 2) for x in os.getloadavg()]}


def git_commit():
    try:
        r = subprocess.run(["git", "-C", ROOT, "rev-parse", "--short", "HEAD"], capture_output=True, text=True)
        d = subprocess.run(["git", "-C", ROOT, "status", "--porcelain", "--untracked-files=no"],
                           capture_output=True, text=True)
        return r.stdout.strip() + ("+local changes" if d.stdout.strip() else "")
    except OSError:
        return "unknown"


def write_markdown(doc, path):
    m = doc["machine"]
    lines = [
        "# ruddercore benchmark — %s" % doc["date"],
        "",
        "Machine: %d cores, %s, %s GB RAM, Linux %s; load average %s at start, %s at end%s. "
        "Commit %s. %d repetition(s) per figure%s." % (
            m["cores"], m["cpuModel"], m["memoryGB"], m["kernel"],
            " / ".join(map(str, m["loadAverageAtStart"])), " / ".join(map(str, m["loadAverageAtEnd"])),
            " (the machine was shared with other work: figures are noisy)" if m["loadAverageAtStart"][0] > 0.5 else "",
            doc["commit"], doc["reps"], " — **QUICK MODE, tiny N, not for publishing**" if doc["quick"] else ""),
        "",
        "Versions: " + ", ".join("%s %s" % kv for kv in sorted(doc["versions"].items())) + ".",
        "",
        "## Throughput, CPU, memory, call latency",
        "",
        "Ratios in parentheses are against ruddercore C (first row): for events/s higher is better, "
        "for the other columns lower is better.",
        "",
        doc["tables"]["main"],
        "",
    ]
    charts = [c for c in doc.get("charts", []) if c]
    lines += ["![%s](%s)" % (c.rsplit(".", 1)[0].replace("_", " "), c) for c in charts if c != "scaling.png"]
    lines += [
        "",
        "How each figure is measured (details: docs/BENCHMARKS.md):",
        "",
        "* **events/s end to end** — N events ÷ seconds from the first call until the SDK's flush "
        "returned with nothing left (the data plane acknowledged the last batch). Measured inside "
        "the driver with a monotonic clock. Median of the runs in bold, its ratio to C, then the "
        "minimum–maximum over the runs.",
        "* **CPU s per M events** — user + system CPU seconds of the whole contender process "
        "(all its threads, including interpreter start-up), from wait4() rusage, ÷ N × 10⁶. "
        "The data plane's CPU is not included.",
        "* **peak RSS** — ru_maxrss of the contender process (whole process, interpreter included).",
        "* **call median / p99** — wall time of one track()/push() call in the calling thread "
        "(monotonic clock read before and after each call, first producer thread only), while the "
        "SDK's own sending runs. For walkerOS on Node the call is `await push(event)`.",
        "* **received by the data plane** — after each run the local data plane's /_stats must "
        "show exactly N events, N unique messageIds and no duplicates; a run that fails this "
        "check is reported here and left out of the figures (it is never counted as fast).",
        "",
        "Workload: %s" % doc["workload"]["description"],
        "",
        "| contender | gzip | batching | bytes per event on the wire (raw JSON) | events per request (measured) "
        "| queue-full retries per run (median) |",
        "|---|---|---|---|---|---|",
    ]
    for c in CONTENDERS:
        entry = doc["results"].get(c.key)
        if not entry or entry.get("unavailable") or "eventBytes" not in entry["summary"]:
            continue
        s = entry["summary"]
        lines.append("| %s | %s | %s | %s | %s | %s |" % (c.label, c.gzip, c.batch, fmt_num(s["eventBytes"]),
                                                         fmt_num(s["eventsPerRequest"]),
                                                         "{:,.0f}".format(s["queueFullRetries"])))
    if doc["scaling"]:
        lines += ["", "## Scaling", "", "Producer threads (one client shared by all threads; events/s end to end, "
                  "median of the runs):", "", doc["tables"]["threads"], "",
                  "Events per request (threads = 1). ruddercore's flushAt is a trigger, not a cap: under load "
                  "a send takes everything queued, so its measured events per request can exceed the "
                  "setting. rudder-sdk-python's upload_size and rudder-sdk-node's flushAt are caps.", "",
                  doc["tables"]["batches"]]
        if "scaling.png" in charts:
            lines += ["", "![scaling](scaling.png)"]
    if doc.get("owners"):
        lines += ["", "## Cross-check: the binding owners' own benchmark scripts", ""]
        for name, o in doc["owners"].items():
            lines += ["`%s` (%s):" % (name, o["status"]), "", "```", o["output"].rstrip()[-3000:], "```", ""]
    lines.append("")
    with open(path, "w") as f:
        f.write("\n".join(lines))


# --------------------------------------------------------------------------------------------
# The owners' scripts (bench/bench_python.py, bench/bench_lua*): run as a cross-check
# --------------------------------------------------------------------------------------------

def run_owner_scripts(envs, dataplane_bin):
    """Runs the binding owners' scripts with the interfaces their headers document; output kept
    as is.  A script that is missing, or whose environment is not available, is skipped."""
    out = {}
    base_env = dict(os.environ, RUDDER_DATAPLANE_BIN=dataplane_bin, RUDDER_DATAPLANE=dataplane_bin,
                    RUDDER_SOURCE_DIR=ROOT)
    jobs = []
    if os.path.exists(os.path.join(BENCH, "bench_python.py")) and "py-ruddercore" in envs.paths:
        jobs.append(("bench_python.py", [envs.paths["py-ruddercore"], os.path.join(BENCH, "bench_python.py")], {}))
    if os.path.exists(os.path.join(BENCH, "bench_lua.lua")):
        for variant in ("5.4", "luajit"):
            if "lua-" + variant in envs.paths:
                jobs.append(("bench_lua.lua (%s)" % variant,
                             [envs.paths["lua-" + variant], os.path.join(BENCH, "bench_lua.lua")],
                             {"LUA_CPATH": envs.paths["lua-cpath-" + variant] + ";;",
                              "LUA_PATH": os.path.join(ROOT, "tests", "lua", "?.lua") + ";;"}))
    nginx_sh = os.path.join(BENCH, "bench_lua_nginx.sh")
    if os.path.exists(nginx_sh) and envs.paths.get("luajit-build-with-dataplane"):
        jobs.append(("bench_lua_nginx.sh", ["bash", nginx_sh, envs.paths["luajit-build-with-dataplane"]], {}))
    for name, argv, extra in jobs:
        log("owner script %s ..." % name)
        try:
            r = subprocess.run(argv, capture_output=True, text=True, env=dict(base_env, **extra), cwd=ROOT,
                               timeout=300)
            status = "exit %d" % r.returncode
            text = r.stdout + (("\n" + r.stderr[-1500:]) if r.returncode else "")
        except subprocess.TimeoutExpired as e:
            partial = e.stdout.decode(errors="replace") if isinstance(e.stdout, bytes) else (e.stdout or "")
            status, text = "timed out after 300 s", partial
        out[name] = {"status": status, "output": text}
    return out


# --------------------------------------------------------------------------------------------

def main():
    ap = argparse.ArgumentParser(description="ruddercore benchmark against peer SDKs")
    ap.add_argument("--build", default="build", help="the CMake build directory (bench_client, rudder-dataplane)")
    ap.add_argument("--report", metavar="RESULTS_JSON",
                    help="only redo the table, charts and results.md from an earlier results.json "
                         "(BENCH_PUBLISH=1 to copy them to docs/bench)")
    a = ap.parse_args()
    if a.report:
        with open(a.report) as f:
            doc = json.load(f)
        py = os.path.join(ENV, "charts", "bin", "python")
        return finish(doc, py if os.path.exists(py) else None, os.environ.get("BENCH_PUBLISH") == "1")
    build = os.path.abspath(a.build)
    dataplane_bin = os.path.join(build, "tools", "dataplane", "rudder-dataplane")
    for p in (dataplane_bin, os.path.join(build, "bench", "bench_client")):
        if not os.access(p, os.X_OK):
            sys.exit("bench: %s not found; build first (make build, or cmake --build %s)" % (p, a.build))
    reps = int(os.environ.get("BENCH_REPS") or (1 if QUICK else 3))
    only = [k for k in os.environ.get("BENCH_ONLY", "").split(",") if k]
    chosen = [c for c in CONTENDERS if not only or c.key in only]
    os.makedirs(OUT, exist_ok=True)
    started = datetime.datetime.now(datetime.timezone.utc)
    machine = machine_info()
    log("machine: %d cores, %s; load %s" % (machine["cores"], machine["cpuModel"], machine["loadAverageAtStart"]))

    envs = Envs(build)
    envs.prepare({c.env for c in chosen if c.env} | {"charts"})
    try:
        with open(os.path.join(ROOT, "core", "include", "ruddercore.h")) as f:
            for line in f:
                if line.startswith("#define RUDDER_VERSION "):
                    envs.versions["ruddercore"] = line.split('"')[1]
    except OSError:
        pass
    envs.versions["python"] = platform.python_version()

    results = {}
    for c in chosen:
        if c.env and c.env in envs.reasons:
            results[c.key] = {"label": c.label, "unavailable": envs.reasons[c.env]}
            continue
        results[c.key] = {"label": c.label, "n": c.n, "runs": []}
    # Repetitions are interleaved (A B C ... A B C ...) so a burst of load from elsewhere on the
    # machine spreads over the contenders instead of hitting one.
    for rep in range(reps):
        for c in chosen:
            entry = results[c.key]
            if entry.get("unavailable"):
                continue
            log("run %d/%d  %-14s N=%d" % (rep + 1, reps, c.key, c.n))
            r = run_once(envs, c, dataplane_bin, c.n, tag="-%d" % rep)
            entry["runs"].append(r)
            log("   " + describe(r))
    for entry in results.values():
        if not entry.get("unavailable"):
            entry["summary"] = summarize(entry["runs"])

    scaling = {}
    if not os.environ.get("BENCH_SKIP_SCALING"):
        plan = []
        for key in THREAD_CONTENDERS:
            if key in results:
                plan += [("threads", key, v) for v in THREADS]
        for key in BATCH_CONTENDERS:
            if key in results:
                plan += [("batches", key, v) for v in BATCHES]
        raw = {}
        for rep in range(reps):
            for kind, key, v in plan:
                c = BY_KEY[key]
                if results[key].get("unavailable"):
                    continue
                n = c.n_scaling - c.n_scaling % 4
                log("scaling %d/%d  %-8s %-12s %d" % (rep + 1, reps, kind, key, v))
                r = run_once(envs, c, dataplane_bin, n, threads=v if kind == "threads" else 1,
                             flush_at=v if kind == "batches" else None, tag="-%s%d-%d" % (kind, v, rep))
                raw.setdefault((kind, key, v), []).append(r)
                log("   " + describe(r))
        for kind, key, v in plan:
            slot = scaling.setdefault(kind, {}).setdefault(key, {})
            if results[key].get("unavailable"):
                slot[str(v)] = {"unavailable": results[key]["unavailable"]}
            else:
                slot[str(v)] = summarize(raw[(kind, key, v)])
                slot[str(v)]["runs"] = raw[(kind, key, v)]

    owners = {} if (QUICK or os.environ.get("BENCH_SKIP_OWNERS")) else run_owner_scripts(envs, dataplane_bin)

    machine["loadAverageAtEnd"] = [round(x, 2) for x in os.getloadavg()]
    doc = {
        "date": started.strftime("%Y-%m-%d %H:%M UTC"),
        "quick": QUICK, "reps": reps, "commit": git_commit(), "machine": machine,
        "versions": envs.versions,
        "workload": {
            "description": (
                "track events as bench/bench_client.c builds them — userId, anonymousId, event "
                "\"Product Viewed\", ten properties (product_id, name, price, currency, quantity, "
                "category, brand, variant, position, a nested object `dimensions` and an array "
                "`tags`) and a context {ip, locale}; ~540 bytes of JSON as the caller gives it, "
                "the bytes per event each SDK puts on the wire (its envelope added) are in the "
                "table below. The walkerOS contenders get the same content as walkerOS "
                "`product view` events (data, user.id, user.session) and a mapping that renames "
                "them to \"Product Viewed\" and maps the ten properties with a `data.map`. "
                "Every SDK with its defaults for gzip and batching; each holds up to 200 000 "
                "queued events, and when a queue is full the driver retries the call after 20 µs "
                "(counted in the call's time). Every driver cycles through 1 024 events built "
                "before the clock starts (walkerOS on Node: a fresh event per call, as its mapping "
                "changes the event it is given). Node is driven like a server: it yields to the "
                "event loop (setImmediate) after every 20 calls. Each contender gets an N that "
                "makes a run last seconds; compare events/s, not totals."),
            "queueBound": 200000,
        },
        "results": results, "scaling": scaling, "owners": owners,
    }
    charts_python = envs.paths.get("charts")
    if not charts_python:
        log("charts not drawn: %s" % envs.reasons.get("charts"))
    publish = os.environ.get("BENCH_PUBLISH")
    return finish(doc, charts_python, publish == "1" or (publish is None and not QUICK and not only))


README_START, README_END = "<!-- bench:start -->", "<!-- bench:end -->"


def update_readme(doc):
    """Replaces the text between the two bench markers in README.md (if the README has them)
    with the latest table, date, machine and charts."""
    path = os.path.join(ROOT, "README.md")
    try:
        with open(path, encoding="utf-8") as f:
            text = f.read()
    except OSError:
        return
    i, j = text.find(README_START), text.find(README_END)
    if i < 0 or j < i:
        return
    m = doc["machine"]
    snippet = [
        "",
        "Measured %s on %d cores (%s), %d repetitions, commit %s; `make bench` reproduces it, "
        "[docs/BENCHMARKS.md](docs/BENCHMARKS.md) says how each figure is measured, "
        "[docs/bench/results.md](docs/bench/results.md) has the workload and scaling tables." % (
            doc["date"], m["cores"], m["cpuModel"], doc["reps"], doc["commit"]),
        "",
        doc["tables"]["main"],
        "",
    ]
    snippet += ["![%s](docs/bench/%s)" % (c.split(".")[0].replace("_", " "), c) for c in doc.get("charts", [])]
    snippet.append("")
    with open(path, "w", encoding="utf-8") as f:
        f.write(text[:i + len(README_START)] + "\n".join(snippet) + text[j:])
    log("README.md: benchmark section updated")


def finish(doc, charts_python, publish):
    """Tables, charts, results.md/json in bench/out; with publish, copies them to docs/bench."""
    results, scaling = doc["results"], doc["scaling"]
    doc["tables"] = {"main": main_table(results),
                     "threads": scaling_table(scaling, "threads") if scaling else "",
                     "batches": scaling_table(scaling, "batches") if scaling else ""}
    json_path = os.path.join(OUT, "results.json")
    with open(json_path, "w") as f:
        json.dump(doc, f, indent=1)
    doc["charts"] = []
    if charts_python:
        r = subprocess.run([charts_python, os.path.join(BENCH, "charts.py"), json_path, OUT],
                           capture_output=True, text=True)
        if r.returncode == 0:
            doc["charts"] = [l.strip() for l in r.stdout.splitlines() if l.strip().endswith(".png")]
        else:
            log("charts failed: " + r.stderr.strip()[-500:])
    with open(json_path, "w") as f:
        json.dump(doc, f, indent=1)
    write_markdown(doc, os.path.join(OUT, "results.md"))

    if publish:
        os.makedirs(PUBLISH_DIR, exist_ok=True)
        for name in ["results.md", "results.json"] + doc["charts"]:
            shutil.copy(os.path.join(OUT, name), os.path.join(PUBLISH_DIR, name))
        log("published to docs/bench/")
        update_readme(doc)

    print()
    print(open(os.path.join(OUT, "results.md")).read())
    print("written: bench/out/results.md, results.json" + "".join(", " + c for c in doc["charts"]))
    bad = [k for k, e in results.items() if not e.get("unavailable") and e["summary"]["okReps"] < e["summary"]["reps"]]
    if bad:
        log("runs that lost events or failed: %s (see the table)" % ", ".join(bad))
    return 0


if __name__ == "__main__":
    sys.exit(main())
