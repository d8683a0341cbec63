#!/usr/bin/env python3
"""Draws async_benchmark's depth curve as an SVG (standard library only).

Reads the CSV that `async_benchmark --csv_out=<path>` writes (one line per
round, case and side) and draws two panels against queue depth (commands in
flight on the one connection, log scale):

  left:  GET/s, ours (async/N), ours with write_during_dispatch off
         (async1w/N, when the CSV has it: --write_during_dispatch=both) and
         valkey-benchmark -c 1 -P N (every peer run at that depth);
  right: p50 (solid) and p99 (dashed) latency per GET in microseconds, log
         scale, same colours.

Each point is the median over the rounds at that depth. Peer runs that
followed the sync/1 case are left out (they repeat depth 1); so is sync/1.

Usage:
  tools/plot_depth_curve.py depth.csv docs/async_depth_curve.svg \\
      [--title "async::Client vs valkey-benchmark, one connection"]
"""

import argparse
import csv
import math
import statistics
import sys
from xml.sax.saxutils import escape

OURS = "ours"
ONE_WRITE = "ours, one write per turn"  # Cases async1w/N.
PEER = "valkey-benchmark"
COLOURS = {OURS: "#1f77b4", ONE_WRITE: "#2ca02c", PEER: "#ff7f0e"}
LABELS = {OURS: "valkey-cpp async::Client",
          ONE_WRITE: "same, write_during_dispatch off",
          PEER: "valkey-benchmark -c 1 -P N"}

WIDTH, HEIGHT = 960, 440
PANEL_W, PANEL_H = 360, 280
MARGIN_L, MARGIN_T = 90, 84
GAP = 120


def load(path):
    """Returns {who: {depth: {"ops": [...], "p50": [...], "p99": [...]}}}."""
    data = {OURS: {}, ONE_WRITE: {}, PEER: {}}
    with open(path, newline="") as f:
        for row in csv.DictReader(f):
            one_write = row["case"].startswith("async1w/")
            if not row["case"].startswith("async/") and not one_write:
                continue
            who = row["who"]
            if who not in (OURS, PEER):
                raise ValueError(f"{path}: unknown 'who' value {who!r}")
            if who == OURS and one_write:
                who = ONE_WRITE
            depth = int(row["depth"])
            point = data[who].setdefault(depth, {"ops": [], "p50": [], "p99": []})
            point["ops"].append(float(row["ops_per_s"]))
            point["p50"].append(float(row["p50_us"]))
            point["p99"].append(float(row["p99_us"]))
    if not data[OURS] or not data[PEER]:
        raise ValueError(f"{path}: needs async/N rows for both ours and the peer")
    return {
        who: {d: {k: statistics.median(v) for k, v in p.items()} for d, p in pts.items()}
        for who, pts in data.items() if pts
    }


def nice_step(span, ticks=5):
    raw = span / ticks
    mag = 10 ** math.floor(math.log10(raw))
    for m in (1, 2, 2.5, 5, 10):
        if raw <= m * mag:
            return m * mag
    return 10 * mag


def fmt_rate(v):
    if v >= 1e6:
        return f"{v / 1e6:g} M"
    if v >= 1e3:
        return f"{v / 1e3:g} k"
    return f"{v:g}"


def fmt_us(v):
    if v >= 1000:
        return f"{v / 1000:g} ms"
    return f"{v:g} µs"


class Panel:
    """One plot area: log2 x over the depths, linear or log10 y."""

    def __init__(self, x0, y0, depths, y_min, y_max, log_y):
        self.x0, self.y0 = x0, y0
        self.lx = (math.log2(min(depths)), math.log2(max(depths)))
        if self.lx[0] == self.lx[1]:
            self.lx = (self.lx[0] - 1, self.lx[1] + 1)
        self.log_y = log_y
        self.y_min, self.y_max = y_min, y_max

    def x(self, depth):
        t = (math.log2(depth) - self.lx[0]) / (self.lx[1] - self.lx[0])
        return self.x0 + 20 + t * (PANEL_W - 40)

    def y(self, v):
        if self.log_y:
            lo, hi, v = math.log10(self.y_min), math.log10(self.y_max), math.log10(v)
        else:
            lo, hi = self.y_min, self.y_max
        return self.y0 + PANEL_H - (v - lo) / (hi - lo) * PANEL_H


def axes(out, panel, depths, y_ticks, y_fmt, title, y_label):
    x0, y0 = panel.x0, panel.y0
    out.append(f'<rect x="{x0}" y="{y0}" width="{PANEL_W}" height="{PANEL_H}" '
               'fill="none" stroke="#444"/>')
    out.append(f'<text x="{x0 + PANEL_W / 2}" y="{y0 - 12}" text-anchor="middle" '
               f'font-weight="bold">{escape(title)}</text>')
    for d in depths:
        x = panel.x(d)
        out.append(f'<line x1="{x:.1f}" y1="{y0}" x2="{x:.1f}" y2="{y0 + PANEL_H}" '
                   'stroke="#ddd"/>')
        out.append(f'<text x="{x:.1f}" y="{y0 + PANEL_H + 18}" '
                   f'text-anchor="middle">{d}</text>')
    out.append(f'<text x="{x0 + PANEL_W / 2}" y="{y0 + PANEL_H + 40}" '
               'text-anchor="middle">commands in flight (depth, log scale)</text>')
    for v in y_ticks:
        y = panel.y(v)
        out.append(f'<line x1="{x0}" y1="{y:.1f}" x2="{x0 + PANEL_W}" y2="{y:.1f}" '
                   'stroke="#eee"/>')
        out.append(f'<text x="{x0 - 6}" y="{y + 4:.1f}" text-anchor="end">'
                   f'{escape(y_fmt(v))}</text>')
    cy = y0 + PANEL_H / 2
    out.append(f'<text x="{x0 - 70}" y="{cy}" text-anchor="middle" '
               f'transform="rotate(-90 {x0 - 70} {cy})">{escape(y_label)}</text>')


def series(out, panel, points, colour, dashed=False):
    coords = [(panel.x(d), panel.y(v)) for d, v in points]
    path = " ".join(f"{x:.1f},{y:.1f}" for x, y in coords)
    dash = ' stroke-dasharray="6,4"' if dashed else ""
    out.append(f'<polyline points="{path}" fill="none" stroke="{colour}" '
               f'stroke-width="2"{dash}/>')
    for x, y in coords:
        out.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3.5" fill="{colour}"/>')


def render(data, title):
    depths = sorted(set(data[OURS]) | set(data[PEER]))
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" '
           f'height="{HEIGHT}" viewBox="0 0 {WIDTH} {HEIGHT}" '
           'font-family="sans-serif" font-size="12">',
           f'<rect width="{WIDTH}" height="{HEIGHT}" fill="white"/>',
           f'<text x="{WIDTH / 2}" y="24" text-anchor="middle" font-size="15" '
           f'font-weight="bold">{escape(title)}</text>']

    # Throughput: linear y from 0.
    top = max(p["ops"] for pts in data.values() for p in pts.values())
    step = nice_step(top)
    y_max = step * math.ceil(top * 1.05 / step)
    left = Panel(MARGIN_L, MARGIN_T, depths, 0, y_max, log_y=False)
    ticks = [i * step for i in range(int(round(y_max / step)) + 1)]
    axes(out, left, depths, ticks, fmt_rate, "throughput", "GET/s")
    whos = [w for w in (PEER, ONE_WRITE, OURS) if w in data]
    for who in whos:
        pts = sorted((d, p["ops"]) for d, p in data[who].items())
        series(out, left, pts, COLOURS[who])

    # Latency: log y over whole decades.
    values = [p[k] for pts in data.values() for p in pts.values()
              for k in ("p50", "p99") if p[k] > 0]
    lo = 10 ** math.floor(math.log10(min(values)))
    hi = 10 ** math.ceil(math.log10(max(values)))
    right = Panel(MARGIN_L + PANEL_W + GAP, MARGIN_T, depths, lo, hi, log_y=True)
    decades = []
    v = lo
    while v <= hi * 1.0001:
        decades.append(v)
        v *= 10
    axes(out, right, depths, decades, fmt_us, "latency per GET: p50 (solid), p99 (dashed)",
         "latency (log scale)")
    for who in whos:
        for key, dashed in (("p50", False), ("p99", True)):
            pts = sorted((d, p[key]) for d, p in data[who].items() if p[key] > 0)
            series(out, right, pts, COLOURS[who], dashed)

    # Legend under the title.
    lx = MARGIN_L
    for who in (OURS, ONE_WRITE, PEER):
        if who not in data:
            continue
        out.append(f'<line x1="{lx}" y1="42" x2="{lx + 24}" y2="42" '
                   f'stroke="{COLOURS[who]}" stroke-width="3"/>')
        out.append(f'<text x="{lx + 30}" y="46">{escape(LABELS[who])}</text>')
        lx += 270
    out.append("</svg>")
    return "\n".join(out) + "\n"


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("csv_in")
    parser.add_argument("svg_out")
    parser.add_argument("--title",
                        default="GET on one connection: valkey-cpp async vs valkey-benchmark")
    args = parser.parse_args(argv)
    try:
        data = load(args.csv_in)
    except (OSError, ValueError, KeyError) as e:
        print(f"plot_depth_curve: {e}", file=sys.stderr)
        return 1
    with open(args.svg_out, "w") as f:
        f.write(render(data, args.title))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
