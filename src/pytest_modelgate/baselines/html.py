"""The HTML report: one self-contained file (inline CSS, JS and SVG; nothing fetched) that shows
a run's verdicts at a glance.

From the top: the count of each verdict, the run's common shift, then each regression with its
history chart (the noise band of every measurement, the tolerance line over the baseline, this
run's figure), then a sortable, filterable table of every model with a small chart of its
history. A report of two sides (``sides``: base and head, as ``modelgate baselines diff`` writes)
shows the two side by side: both figures in the table, both histories beside each other. A
report of ``modelgate ab`` (``outcomes``) lists, above the verdicts, the tests whose outcome
changed between the sides, most urgent first.

Input: a JSON report's ``results`` (``render.document``) and the histories of the stores
(``store.history_of``), per side.
"""

from __future__ import annotations

import html
import math
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from pytest_modelgate.baselines import render, store
from pytest_modelgate.baselines.compare import MEMORY, REGRESSION, TIME, VERDICTS, Drift

HISTORY = render.HISTORY_BASIS

Point = Mapping[str, Any]
#: per side, the history of each (model, device)
Histories = Mapping[str, Mapping[tuple[str, str], Sequence[Point]]]

COLOURS = {
    "regression": "#c62828",
    "inconclusive": "#ef6c00",
    "new": "#1565c0",
    "improvement": "#2e7d32",
    "ok": "#616161",
}
SIDE_COLOURS = ("#1565c0", "#6a1b9a")

STYLE = """
body{font:14px/1.4 system-ui,sans-serif;margin:0;color:#212121;background:#fafafa}
header{padding:12px 20px;background:#263238;color:#fff}header h1{margin:0;font-size:20px}
header p{margin:4px 0 0;color:#b0bec5;font-size:12px}main{padding:12px 20px}
.why{font-size:11px;color:#555;max-width:260px}
.counts{display:flex;gap:10px;flex-wrap:wrap;margin:6px 0}
.count{border-radius:6px;padding:8px 14px;color:#fff;min-width:110px}
.count b{display:block;font-size:26px}.count.zero{opacity:.35}
.shift{color:#455a64;margin:2px 0}.errors{color:#c62828}
.cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(420px,1fr));gap:10px}
.card{background:#fff;border:1px solid #e0e0e0;border-left:5px solid #c62828;padding:8px 10px}
.card h3{margin:0;font-size:15px}.card .big{font-size:22px;color:#c62828;font-weight:600}
.card p{margin:2px 0;font-size:12px;color:#455a64}.pair{display:flex;gap:8px}
.pair figure{margin:0}.pair figcaption{font-size:11px;color:#546e7a}
table{border-collapse:collapse;width:100%;background:#fff;font-size:13px}
th{position:sticky;top:0;background:#eceff1;cursor:pointer;text-align:left;padding:4px 6px}
td{border-top:1px solid #eee;padding:2px 6px;white-space:nowrap}td.num{text-align:right}
.v{color:#fff;border-radius:3px;padding:0 5px;font-size:12px}
.controls{margin:8px 0;display:flex;gap:8px;align-items:center}
.controls input{width:260px;padding:3px}.note{color:#607d8b;font-size:12px}
td.message{white-space:normal;font-size:12px;color:#455a64}
"""

SCRIPT = """
(function(){
var table=document.getElementById('models'),body=table.tBodies[0];
var rows=Array.prototype.slice.call(body.rows),dir={};
function val(r,i){var c=r.cells[i],v=c.getAttribute('data-v');
 return v===null?c.textContent.toLowerCase():parseFloat(v);}
Array.prototype.forEach.call(table.tHead.rows[0].cells,function(th,i){
 th.addEventListener('click',function(){dir[i]=-(dir[i]||-1);var d=dir[i];
  rows.sort(function(a,b){var x=val(a,i),y=val(b,i);
   if(typeof x==='number'&&isNaN(x))return 1;if(typeof y==='number'&&isNaN(y))return -1;
   return x<y?-d:x>y?d:0;});
  rows.forEach(function(r){body.appendChild(r);});});});
var text=document.getElementById('filter'),verdict=document.getElementById('verdict');
var shown=document.getElementById('shown');
function filter(){var t=text.value.toLowerCase(),v=verdict.value,n=0;
 rows.forEach(function(r){var ok=r.getAttribute('data-model').indexOf(t)>=0&&
  (!v||r.getAttribute('data-verdict')===v);r.style.display=ok?'':'none';if(ok)n++;});
 shown.textContent=n+' of '+rows.length+' shown';}
text.addEventListener('input',filter);verdict.addEventListener('change',filter);filter();
})();
"""


def esc(value: object) -> str:
    return html.escape(str(value), quote=True)


def ms(seconds: float | None) -> str:
    return "-" if seconds is None else f"{seconds * 1e3:.3f} ms"


def metric_of(result: Mapping[str, Any], name: str) -> Mapping[str, Any] | None:
    return next((m for m in result.get("metrics", ()) if m["metric"] == name), None)


def band_of(points: Sequence[Point]) -> tuple[list[float], list[float]]:
    """The noise band of a history: each median divided and multiplied by exp(its spread)."""
    factors = [math.exp(float(p.get("spread", 0.0))) for p in points]
    medians = [float(p["median"]) for p in points]
    return [m / f for m, f in zip(medians, factors, strict=True)], [
        m * f for m, f in zip(medians, factors, strict=True)
    ]


def shared_bounds(
    histories: Sequence[Sequence[Point]], *extra: float | None
) -> tuple[float, float]:
    """One scale for charts drawn side by side."""
    values = [x for x in extra if x is not None]
    for points in histories:
        lows, highs = band_of(points)
        values += lows + highs
    return (min(values), max(values)) if values else (0.0, 1.0)


# -- charts ----------------------------------------------------------------------------------------


def chart(
    points: Sequence[Point],
    *,
    width: int,
    height: int,
    current: float | None = None,
    threshold: float | None = None,
    colour: str = SIDE_COLOURS[0],
    axes: bool = True,
    bounds: tuple[float, float] | None = None,
) -> str:
    """An inline SVG of a history: each point's median (ms) as a line, its noise band (the
    spread of its samples) shaded, the tolerance line dashed, this run's figure as a red dot."""
    values = [float(p["median"]) for p in points]
    lows, highs = band_of(points)
    extra = [x for x in (current, threshold) if x is not None]
    if not values and not extra:
        return f'<svg class="chart" width="{width}" height="{height}"></svg>'
    low, high = bounds or (min(lows + extra), max(highs + extra))
    if high <= low:
        low, high = low * 0.9, high * 1.1
    pad = 14 if axes else 2
    left = 46 if axes else 2
    span = len(values) if current is not None else max(len(values) - 1, 1)

    def x(i: float) -> str:
        return f"{left + (width - left - 4) * i / max(span, 1):.1f}"

    def y(v: float) -> str:
        return f"{height - pad - (height - 2 * pad) * (v - low) / (high - low):.1f}"

    parts = [f'<svg class="chart" width="{width}" height="{height}" role="img">']
    if len(values) > 1:
        band = [f"{x(i)},{y(h)}" for i, h in enumerate(highs)]
        band += [f"{x(i)},{y(lo)}" for i, lo in reversed(list(enumerate(lows)))]
        parts.append(
            f'<polygon class="band" points="{" ".join(band)}" fill="{colour}" fill-opacity="0.18"/>'
        )
    line = " ".join(f"{x(i)},{y(v)}" for i, v in enumerate(values))
    if values:
        parts.append(
            f'<polyline class="line" points="{line}" fill="none" stroke="{colour}" '
            'stroke-width="1.5"/>'
        )
        parts.append(
            f'<circle cx="{x(len(values) - 1)}" cy="{y(values[-1])}" r="2" fill="{colour}"/>'
        )
    if threshold is not None:
        parts.append(
            f'<line class="threshold" x1="{left}" x2="{width - 4}" y1="{y(threshold)}" '
            f'y2="{y(threshold)}" stroke="#c62828" stroke-dasharray="4 3"/>'
        )
    if current is not None:
        parts.append(
            f'<circle class="current" cx="{x(span)}" cy="{y(current)}" r="4" '
            'fill="#c62828"><title>this run</title></circle>'
        )
    if axes:
        parts.append(f'<text x="2" y="{pad}" font-size="10">{high * 1e3:.3g} ms</text>')
        parts.append(f'<text x="2" y="{height - pad}" font-size="10">{low * 1e3:.3g} ms</text>')
        if points:
            first, last = str(points[0]["timestamp"])[:10], str(points[-1]["timestamp"])[:10]
            parts.append(f'<text x="{left}" y="{height - 2}" font-size="10">{esc(first)}</text>')
            parts.append(
                f'<text x="{width - 70}" y="{height - 2}" font-size="10">{esc(last)}</text>'
            )
    parts.append("</svg>")
    return "".join(parts)


# -- the parts -------------------------------------------------------------------------------------


def counts_html(counts: Mapping[str, int], basis: str | None = None) -> str:
    cells = []
    for verdict in VERDICTS:
        n = counts.get(verdict, 0)
        zero = " zero" if n == 0 else ""
        cells.append(
            f'<div class="count{zero}" data-verdict="{verdict}" '
            f'style="background:{COLOURS[verdict]}"><b>{n}</b>{render.word(verdict, basis)}</div>'
        )
    return f'<section class="counts" id="counts">{"".join(cells)}</section>'


def shift_html(drift: Mapping[str, Mapping[str, Any]]) -> str:
    """The run's common shift per device, worded as the terminal words it."""
    lines = [render.drift_line(device, Drift.from_dict(d)) for device, d in sorted(drift.items())]
    return "".join(f'<p class="shift">{esc(line)}</p>' for line in lines)


def since(points: Sequence[Point], baseline: float | None = None) -> str:
    """When the baseline a result was judged against was recorded: the newest point of its
    history with the baseline's median (within rounding), else the newest point."""
    if not points:
        return "-"
    same = [p for p in points if baseline and abs(float(p["median"]) / baseline - 1) < 0.005]
    return str((same or points)[-1]["timestamp"])[:19].replace("T", " ")


def card(result: Mapping[str, Any], sides: Sequence[str], histories: Histories) -> str:
    key = (result["model"], result["device"])
    time = metric_of(result, TIME)
    change = f"{time['change_percent']:+.1f}%" if time else result["verdict"]
    base_points = histories.get(sides[0], {}).get(key, ())
    figures = ""
    threshold = None
    current = None
    if time is not None:
        figures = f"{ms(time['baseline'])} → {ms(time['current'])}"
        threshold = time["baseline"] * (1 + time["threshold"] / 100)
        current = time["current"]
    recorded = since(base_points, time["baseline"] if time else None)
    charts = []
    drawn_sides = [histories.get(side, {}).get(key, ()) for side in sides]
    bounds = shared_bounds(drawn_sides, threshold, current)
    for i, (side, points) in enumerate(zip(sides, drawn_sides, strict=True)):
        drawn = chart(
            points,
            width=380 if len(sides) == 1 else 205,
            height=120,
            current=current if len(sides) == 1 else None,
            threshold=threshold if i == 0 else None,
            colour=SIDE_COLOURS[i % 2],
            bounds=bounds,
        )
        charts.append(f"<figure>{drawn}<figcaption>{esc(side)}</figcaption></figure>")
    return (
        f'<article class="card" data-model="{esc(result["model"])}">'
        f"<h3>{esc(result['model'])} <small>({esc(result['device'])})</small></h3>"
        f'<div class="big">{esc(change)}</div><p>{esc(figures)}; baseline recorded '
        f"{esc(recorded)}</p><p>{esc(result['message'])}</p>"
        f'<div class="pair">{"".join(charts)}</div></article>'
    )


#: the colour of each change of a test's outcome (``render.OUTCOME_CHANGES``)
CHANGE_COLOURS = {
    render.NEWLY_FAILING: COLOURS["regression"],
    render.XFAIL_PASSES: COLOURS["inconclusive"],
    render.BASE_ONLY: COLOURS["ok"],
    render.HEAD_ONLY: COLOURS["ok"],
    render.NEWLY_PASSING: COLOURS["improvement"],
}


def outcomes_html(section: Mapping[str, Any] | None) -> str:
    """The tests whose outcome changed between an A/B run's sides (its report's ``outcomes``),
    most urgent first, under the counts; "" for a report without them."""
    if not section:
        return ""
    changes = list(section.get("changes", ()))
    rows = []
    for change in changes:
        kind = change["change"]
        colour = CHANGE_COLOURS.get(kind, COLOURS["ok"])
        test, base, head, message = render.outcome_cells(change)
        rows.append(
            f'<tr data-change="{esc(kind)}"><td><span class="v" style="background:{colour}">'
            f"{esc(render.OUTCOME_CHANGES.get(kind, kind))}</span></td><td>{esc(test)}</td>"
            f'<td>{esc(base)}</td><td>{esc(head)}</td><td class="message">{esc(message)}</td></tr>'
        )
    table = (
        '<table id="outcome-changes"><thead><tr>'
        + "".join(f"<th>{esc(c)}</th>" for c in ("change", *render.OUTCOME_HEADER))
        + f"</tr></thead><tbody>{''.join(rows)}</tbody></table>"
        if rows
        else ""
    )
    return (
        f'<section id="outcomes"><h2>Tests whose outcome changed: {len(changes)}</h2>'
        f'<p class="note">{esc(render.outcomes_line(section))}</p>{table}</section>'
    )


def _num(value: float | None, text: str) -> str:
    data = "NaN" if value is None else f"{value:.6g}"
    return f'<td class="num" data-v="{data}">{esc(text)}</td>'


def row(
    result: Mapping[str, Any],
    sides: Sequence[str],
    histories: Histories,
    basis: str | None = None,
) -> str:
    key = (result["model"], result["device"])
    time, memory = metric_of(result, TIME), metric_of(result, MEMORY)
    verdict = result["verdict"]
    base = time["baseline"] if time else None
    current = time["current"] if time else None
    change = time["change_percent"] if time else None
    mem = memory["change_percent"] if memory else None
    seen = time.get("detectable") if time else None
    drawn = [histories.get(side, {}).get(key, ()) for side in sides]
    points = drawn[0]
    bounds = shared_bounds(drawn)
    spark = "".join(
        chart(p, width=110, height=26, axes=False, colour=SIDE_COLOURS[i % 2], bounds=bounds)
        for i, p in enumerate(drawn)
    )
    why = render.why(result) or result.get("message", "") if verdict == "inconclusive" else ""
    return (
        f'<tr data-model="{esc(result["model"].lower())}" data-verdict="{esc(verdict)}">'
        f"<td>{esc(result['model'])}</td><td>{esc(result['device'])}</td>"
        f'<td><span class="v" style="background:{COLOURS.get(verdict, "#616161")}">'
        f"{esc(render.word(verdict, basis))}</span>"
        + (f'<div class="why">{esc(why)}</div>' if why else "")
        + "</td>"
        + _num(base, ms(base))
        + _num(current, ms(current))
        + _num(change, "-" if change is None else f"{change:+.1f}%")
        + _num(seen, "-" if seen is None else f"≥+{seen:.0f}%")
        + _num(mem, "-" if mem is None else f"{mem:+.1f}%")
        + f"<td>{esc(since(points, base))}</td><td>{spark}</td></tr>"
    )


def build(
    document: Mapping[str, Any],
    histories: Histories,
    *,
    title: str = "modelgate performance report",
    sources: Sequence[str] = (),
    generated: str = "",
) -> str:
    """The whole page for a JSON report ``document`` and the stores' ``histories``."""
    results = list(document.get("results", ()))
    basis = document.get("basis")
    results.sort(key=lambda r: (render.urgency(r["verdict"]), r["model"], r["device"]))
    named = document.get("sides")
    sides = [str(named[s]["label"]) for s in ("base", "head")] if named else ["baseline"]
    columns = [
        "model",
        "device",
        "verdict",
        f"time ({sides[0]})",
        f"time ({sides[1] if named else 'this run'})",
        "change",
        "could see",
        "memory change",
        "baseline recorded",
        "history" + (" (" + " | ".join(sides) + ")" if named else ""),
    ]
    counts = document.get("counts") or render.tally(r["verdict"] for r in results)
    regressions = [r for r in results if r["verdict"] == REGRESSION and not r.get("updated")]
    slower = "".join(card(r, sides, histories) for r in regressions) or (
        '<p class="note">no regression</p>'
    )
    errors = "".join(f'<p class="errors">{esc(e)}</p>' for e in document.get("errors", ()))
    options = "".join(f'<option value="{v}">{v}</option>' for v in VERDICTS)
    heading = " vs ".join(sides) if named else ""  # escaped once, where it is written
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        f"<title>{esc(title)}</title><style>{STYLE}</style></head><body>"
        f"<header><h1>{esc(title)}</h1><p>{esc(heading)} {esc(' '.join(sources))} "
        f"{esc(generated)}</p></header><main>"
        + counts_html(counts, basis)
        + (f'<p class="note">{esc(render.HISTORY_RULE)}</p>' if basis == HISTORY else "")
        + shift_html(document.get("drift", {}))
        + errors
        + outcomes_html(document.get("outcomes"))
        + f'<section id="slower"><h2>Slower: {len(regressions)}</h2>'
        f'<p class="note">each chart: median time per recorded measurement, shaded by the '
        "spread of its samples; dashed: the tolerance over the baseline; red dot: this run</p>"
        f'<div class="cards">{slower}</div></section>'
        '<section id="all"><h2>All models</h2><div class="controls">'
        '<input id="filter" type="search" placeholder="filter by model name">'
        f'<select id="verdict"><option value="">every verdict</option>{options}</select>'
        '<span id="shown" class="note"></span><span class="note">click a heading to sort</span>'
        '</div><table id="models"><thead><tr>'
        + "".join(f"<th>{esc(c)}</th>" for c in columns)
        + "</tr></thead><tbody>"
        + "".join(row(r, sides, histories, basis) for r in results)
        + f"</tbody></table></section></main><script>{SCRIPT}</script></body></html>\n"
    )


HistoryMap = dict[tuple[str, str], list[store.Entry]]


def histories_of(found: Mapping[str, Mapping[str, store.Entry]]) -> HistoryMap:
    """The history of every entry of a store, by (model, device)."""
    return {
        (model, device): store.history_of(entry)
        for device, entries in found.items()
        for model, entry in entries.items()
    }


def histories_for(document: Mapping[str, Any], folder: Path) -> tuple[Histories, list[str]]:
    """Per side, the histories of the stores a report was made from, and unreadable files."""
    sides = document.get("sides")
    if sides:
        folders = {str(sides[s]["label"]): Path(str(sides[s].get("store", ""))) for s in sides}
    else:
        folders = {"baseline": folder}
    histories: dict[str, HistoryMap] = {}
    problems: list[str] = []
    for side, where in folders.items():
        found, trouble = store.read_store(where) if where.is_dir() else ({}, [])
        histories[side] = histories_of(found)
        problems += [t for t in trouble if ".json:" in t]
    return histories, problems


def write_page(
    path: Path,
    document: Mapping[str, Any],
    histories: Histories,
    sources: Sequence[str],
) -> int:
    """Write the page of ``document``; its size in bytes."""
    stamp = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    page = build(document, histories, sources=sources, generated=f"built {stamp}")
    data = page.encode("utf-8")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return len(data)


def write_beside(json_path: Path, document: Mapping[str, Any], folder: Path) -> Path:
    """The HTML page of a run's JSON report, written next to it (``x.json`` → ``x.html``)."""
    histories, _ = histories_for(document, folder)
    target = json_path.with_suffix(".html")
    write_page(target, document, histories, [str(json_path)])
    return target
