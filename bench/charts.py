#!/usr/bin/env python3
"""Draws the benchmark charts from bench/out/results.json (run by bench/run.py with the
matplotlib of its throwaway venv).

    charts.py results.json OUT_DIR   -> prints the names of the PNGs it wrote

events_per_sec.png  events/s end to end per contender (bar = median, whisker = min..max), linear
call_latency.png    time of one call in the caller's thread, median and p99 (log scale: dots, no bars)
scaling.png         events/s for 1/2/4 producer threads and for 20/100/500 events per request
Runs that lost events are not drawn as bars; they are named in the chart as "lost events".
"""
import json
import os
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import matplotlib.ticker  # noqa: E402

RC_COLOR, PEER_COLOR = "#1f6feb", "#9a9a9a"


def subtitle(doc):
    m = doc["machine"]
    return "%s · %d cores, %s · %d run(s) each%s" % (
        doc["date"], m["cores"], m["cpuModel"], doc["reps"], " · QUICK MODE" if doc["quick"] else "")


def rows(doc):
    out = []
    for key, entry in doc["results"].items():
        label = entry["label"]
        if entry.get("unavailable"):
            out.append((label, None, "not available"))
        elif "eventsPerSec" not in entry["summary"]:
            out.append((label, None, "lost events / failed"))
        else:
            out.append((label, entry["summary"], "ok" if entry["summary"]["okReps"] == entry["summary"]["reps"]
                        else "some runs lost events"))
    return out


def events_chart(doc, path):
    data = rows(doc)
    c = doc["results"].get("c", {}).get("summary", {})
    base = c.get("eventsPerSec", {}).get("median")
    fig, ax = plt.subplots(figsize=(10, 0.5 * len(data) + 1.8))
    labels = [d[0] for d in data][::-1]
    for y, (label, s, note) in enumerate(data[::-1]):
        color = RC_COLOR if label.startswith("ruddercore") else PEER_COLOR
        if s is None:
            ax.text(0, y, "  " + note, va="center", fontsize=8, color="#b00020")
            continue
        e = s["eventsPerSec"]
        ax.barh(y, e["median"], color=color,
                xerr=[[e["median"] - e["min"]], [e["max"] - e["median"]]], capsize=3)
        text = "  {:,.0f}/s".format(e["median"])
        if base:
            text += "  (%.2f× C)" % (e["median"] / base)
        if note != "ok":
            text += " (%s)" % note
        ax.text(e["max"], y, text, va="center", fontsize=8)
    ax.set_yticks(range(len(labels)))
    ax.set_yticklabels(labels, fontsize=8)
    ax.set_xlabel("events/s, accepted → acknowledged by the data plane (median; whiskers: min–max)", fontsize=8)
    ax.set_title("Throughput end to end, one process per SDK, local data plane on loopback\n" + subtitle(doc),
                 fontsize=9)
    top = max((d[1]["eventsPerSec"]["max"] for d in data if d[1]), default=1)
    ax.set_xlim(0, top * 1.35)
    ax.grid(True, axis="x", alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def latency_chart(doc, path):
    data = [d for d in rows(doc) if d[1] is not None]
    fig, ax = plt.subplots(figsize=(10, 0.5 * len(data) + 1.8))
    labels = [d[0] for d in data][::-1]
    for y, (label, s, _) in enumerate(data[::-1]):
        color = RC_COLOR if label.startswith("ruddercore") else PEER_COLOR
        ax.plot([s["callMedianUs"], s["callP99Us"]], [y, y], color=color, linewidth=2, zorder=1)
        ax.scatter([s["callMedianUs"]], [y], color=color, s=45, zorder=2, label="median" if y == 0 else None)
        ax.scatter([s["callP99Us"]], [y], color="#f0883e", marker="D", s=35, zorder=2, label="p99" if y == 0 else None)
        ax.text(s["callP99Us"], y, "   median %.2f µs, p99 %.1f µs" % (s["callMedianUs"], s["callP99Us"]),
                va="center", fontsize=7)
    ax.set_yticks(range(len(labels)))
    ax.set_yticklabels(labels, fontsize=8)
    ax.set_xscale("log")
    ax.set_xlabel("µs per call in the caller's thread, log scale: ● median, ◆ p99", fontsize=8)
    ax.set_title("Time of one track()/push() call in the request path\n" + subtitle(doc), fontsize=9)
    lo = min(s["callMedianUs"] for _, s, _ in data) if data else 0.1
    hi = max(s["callP99Us"] for _, s, _ in data) if data else 10
    ax.set_xlim(lo / 2, hi * 30)
    ax.grid(True, axis="x", which="both", alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def scaling_chart(doc, path):
    sc = doc.get("scaling") or {}
    if not sc:
        return False
    fig, axes = plt.subplots(1, 2, figsize=(11, 4.2))
    for ax, kind, xlabel in ((axes[0], "threads", "producer threads"),
                             (axes[1], "batches", "flushAt / upload_size (events per request setting)")):
        for key, per in sc.get(kind, {}).items():
            xs, ys = [], []
            for v, s in sorted(per.items(), key=lambda kv: int(kv[0])):
                if s.get("eventsPerSec"):
                    xs.append(int(v))
                    ys.append(s["eventsPerSec"]["median"])
            if xs:
                label = doc["results"][key]["label"]
                ax.plot(xs, ys, marker="o", label=label,
                        linestyle="-" if label.startswith("ruddercore") else "--")
        ax.set_xscale("log", base=2 if kind == "threads" else 10)
        ax.xaxis.set_minor_formatter(matplotlib.ticker.NullFormatter())
        ax.set_yscale("log")
        ax.set_xticks([1, 2, 4] if kind == "threads" else [20, 100, 500])
        ax.set_xticklabels(["1", "2", "4"] if kind == "threads" else ["20", "100", "500"])
        ax.set_xlabel(xlabel, fontsize=8)
        ax.set_ylabel("events/s end to end (log)", fontsize=8)
        ax.legend(fontsize=7)
        ax.grid(True, which="both", alpha=0.3)
    fig.suptitle("Scaling · " + subtitle(doc), fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return True


def main():
    with open(sys.argv[1]) as f:
        doc = json.load(f)
    out = sys.argv[2]
    events_chart(doc, os.path.join(out, "events_per_sec.png"))
    print("events_per_sec.png")
    latency_chart(doc, os.path.join(out, "call_latency.png"))
    print("call_latency.png")
    if scaling_chart(doc, os.path.join(out, "scaling.png")):
        print("scaling.png")


if __name__ == "__main__":
    main()
