"""Every chart and table on the page is shown the same way: no Plotly toolbar, a key for tests, a text
alternative for each chart, no index column in tables; and the server-drawn SVG figures through one component."""

from __future__ import annotations

import json
import zlib
from collections.abc import Callable

import plotly.graph_objects as go
import streamlit as st

from explainer.byte_cache import byte_cache
from explainer.figures.style import HIGHLIGHT, INK

# The toolbar's zoom and pan only get in the way of figures whose ranges are fixed on purpose.
CHART_CONFIG = {"displayModeBar": False}

# Puts an SVG drawing (explainer.figures.unfolded_drawing, step_drawing) into the page as it is.
# st.html would strip the SVG (its sanitiser keeps HTML only) and st.markdown would run 200 KB through a Markdown
# parser on every step. Every element of a script run goes to the browser again, but an unchanged one whose message
# is at least global.minCachedMessageSize (2 kB: .streamlit/config.toml) goes out as a reference to the copy the
# browser keeps (streamlit/runtime/forward_msg_cache.py). So a drawing with a chosen column is two elements in one
# container: the body, the same from step to step (sent as a ~80-byte reference), and the chosen column's marks,
# which the body's empty <g class="chosen-column"> takes in.
# The browser swaps just those few marks instead of redrawing whole charts (bench/bench_clicks.py times a click).
# Each piece travels deflate-compressed (SVG shrinks ~9×) and is unpacked
# by the browser's DecompressionStream; the scripts, which travel with their element, are kept short for the same
# reason (bench/bench_clicks_network.py: bytes per click).
_UNPACK = """
const unpack = bytes => new Response(new Blob([bytes]).stream().pipeThrough(new DecompressionStream('deflate'))).text();
"""
# A drawing without a chosen column (the step's): replaced whole.
_PLAIN_SCRIPT = (
    _UNPACK
    + """
export default async function ({ data, parentElement }) {
  const host = parentElement.querySelector('.drawing');
  const ticket = (host.ticket || 0) + 1;
  host.ticket = ticket;
  const svg = await unpack(data);
  // Drawn only if no newer drawing arrived while this one was unpacked.
  if (host.ticket === ticket) host.innerHTML = svg;
}
"""
)
# zlib-format data (RFC 1950/1951) inflated synchronously, for the marks: DecompressionStream resolves only after
# the rest of the run has been rendered, which leaves the chosen column behind the step's text
# (bench/bench_clicks_network.py times both).
_INFLATE_SCRIPT = """
function inflateSync(src) {
  let out = new Uint8Array(src.length * 8 + 1024), n = 0, p = 2, tag = 0, cnt = 0;
  const bits = k => {
    while (cnt < k) { tag |= src[p++] << cnt; cnt += 8; }
    const v = tag & ((1 << k) - 1);
    tag >>>= k; cnt -= k;
    return v;
  };
  const room = k => {
    if (n + k <= out.length) return;
    const grown = new Uint8Array(Math.max(out.length * 2, n + k));
    grown.set(out); out = grown;
  };
  const table = lengths => {
    const counts = new Uint16Array(16), offsets = new Uint16Array(16), symbols = new Uint16Array(lengths.length);
    for (const l of lengths) counts[l]++;
    counts[0] = 0;
    for (let i = 1; i < 16; i++) offsets[i] = offsets[i - 1] + counts[i - 1];
    lengths.forEach((l, s) => { if (l) symbols[offsets[l]++] = s; });
    return [counts, symbols];
  };
  const decode = ([counts, symbols]) => {
    let code = 0, first = 0, index = 0;
    for (let len = 1; len < 16; len++) {
      code |= bits(1);
      const c = counts[len];
      if (code - c < first) return symbols[index + code - first];
      index += c; first += c; first <<= 1; code <<= 1;
    }
    throw new Error('bad deflate data');
  };
  const LB = [3,4,5,6,7,8,9,10,11,13,15,17,19,23,27,31,35,43,51,59,67,83,99,115,131,163,195,227,258];
  const LX = [0,0,0,0,0,0,0,0,1,1,1,1,2,2,2,2,3,3,3,3,4,4,4,4,5,5,5,5,0];
  const DB = [1,2,3,4,5,7,9,13,17,25,33,49,65,97,129,193,257,385,513,769,1025,1537,2049,3073,4097,6145,8193,12289,
    16385,24577];
  const DX = [0,0,0,0,1,1,2,2,3,3,4,4,5,5,6,6,7,7,8,8,9,9,10,10,11,11,12,12,13,13];
  let last;
  do {
    last = bits(1);
    const type = bits(2);
    if (type === 0) {
      tag = 0; cnt = 0;
      const len = src[p] | (src[p + 1] << 8);
      p += 4; room(len);
      out.set(src.subarray(p, p + len), n); n += len; p += len;
      continue;
    }
    let lit, dist;
    if (type === 1) {
      const l = new Array(288).fill(8, 0, 144).fill(9, 144, 256).fill(7, 256, 280).fill(8, 280, 288);
      lit = table(l); dist = table(new Array(30).fill(5));
    } else {
      const hlit = bits(5) + 257, hdist = bits(5) + 1, hclen = bits(4) + 4;
      const order = [16,17,18,0,8,7,9,6,10,5,11,4,12,3,13,2,14,1,15];
      const cl = new Array(19).fill(0);
      for (let i = 0; i < hclen; i++) cl[order[i]] = bits(3);
      const clt = table(cl), lengths = [];
      while (lengths.length < hlit + hdist) {
        const s = decode(clt);
        if (s < 16) lengths.push(s);
        else if (s === 16) {
          const previous = lengths[lengths.length - 1];
          for (let r = 3 + bits(2); r; r--) lengths.push(previous);
        }
        else for (let r = s === 17 ? 3 + bits(3) : 11 + bits(7); r; r--) lengths.push(0);
      }
      lit = table(lengths.slice(0, hlit)); dist = table(lengths.slice(hlit));
    }
    for (;;) {
      const s = decode(lit);
      if (s < 256) { room(1); out[n++] = s; continue; }
      if (s === 256) break;
      const len = LB[s - 257] + bits(LX[s - 257]);
      const d = decode(dist), back = DB[d] + bits(DX[d]);
      room(len);
      for (let i = 0; i < len; i++, n++) out[n] = out[n - back];
    }
  } while (!last);
  return new TextDecoder().decode(out.subarray(0, n));
}
"""
# The body of a drawing with a chosen column; it also places the marks its container's marks element received.
_BODY_SCRIPT = (
    _UNPACK
    + _INFLATE_SCRIPT
    + """
function sameBytes(a, b) {
  if (!a || !b || a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
function placeMarks(block, host) {
  const packed = block.packedMarks;
  const marks = host.querySelector('g.chosen-column');
  if (!packed || !marks || host.drawnMarks === packed) return;
  const wanted = JSON.parse(inflateSync(packed));
  host.drawnMarks = packed;
  marks.innerHTML = wanted.marks;
  if (wanted.column === null) marks.removeAttribute('data-t'); else marks.setAttribute('data-t', wanted.column);
  // The chosen column's button says so to screen readers, and is the one Tab reaches.
  for (const button of host.querySelectorAll('.column-button')) {
    const chosen = button.dataset.t === String(wanted.column);
    if (chosen) button.setAttribute('aria-current', 'step'); else button.removeAttribute('aria-current');
    button.setAttribute('tabindex', chosen ? '0' : '-1');
  }
  linkColumn(host);
  // On a phone the drawing scrolls sideways in its own region: keep the chosen column in sight.
  const outline = marks.querySelector('.outline');
  if (outline) requestAnimationFrame(() => {
    let region = host.parentElement;
    while (region && !/(auto|scroll)/.test(getComputedStyle(region).overflowX)) region = region.parentElement;
    if (!region || region.scrollWidth <= region.clientWidth) return;
    const box = outline.getBoundingClientRect();
    const view = region.getBoundingClientRect();
    if (box.left < view.left || box.right > view.right) {
      region.scrollLeft += box.left - view.left - (view.width - box.width) / 2;
    }
  });
}
// A drawing whose columns answer (explainer.figures.unfolded_drawing: g.columns holds the grid's geometry): the
// column under the pointer or keyboard focus is outlined (g.hover-column), a click or Enter selects it.
function columnAt(host, event) {
  const svg = host.querySelector('svg'), grid = svg && svg.querySelector('g.columns');
  if (!grid) return null;
  const d = grid.dataset;
  const point = new DOMPoint(event.clientX, event.clientY).matrixTransform(svg.getScreenCTM().inverse());
  const index = Math.floor((point.x - d.left) / d.width);
  if (index < 0 || index >= +d.timesteps || point.y < +d.top || point.y > +d.bottom) return null;
  return d.timesteps - 1 - index;
}
function showColumn(host, t, how) {
  const mark = host.querySelector('g.hover-column'), grid = host.querySelector('g.columns');
  if (!mark || !grid) return;
  host.hovered = t;
  host.hoveredBy = how;
  linkColumn(host);
  if (t === null) { mark.setAttribute('visibility', 'hidden'); mark.removeAttribute('data-t'); return; }
  mark.setAttribute('transform', `translate(${(grid.dataset.timesteps - 1 - t) * grid.dataset.width},0)`);
  mark.setAttribute('visibility', 'visible');
  mark.setAttribute('data-t', t);
}
// The hovered column in the page's other views, drawn in the browser (a hover starts no run). Plotly charts whose
// layout.meta has step_points (explainer.figures.columns.step_points_meta: the state space, the machine) get a ring
// placed with the chart's own axes; the step view gets a note, or an outline if the column is the chosen step.
// Not Plotly.Fx.hover (window.Plotly is there in Streamlit 1.67): it shows Plotly's hover label, one per chart and
// taken away by the chart's own pointer handling, where the page's hovered mark is a dashed ring.
function linkColumn(host) {
  const t = host.hovered ?? null, chosen = host.querySelector('g.chosen-column');
  const same = chosen && chosen.dataset.t === String(t);
  // Drawn again when any of these change (a narrower window moves the charts' points).
  const key = `${t} ${same} ${host.hoveredBy} ${innerWidth}`;
  if (host.linked === key) return;
  host.linked = key;
  for (const plot of document.querySelectorAll('.js-plotly-plot')) {
    const meta = plot.layout && plot.layout.meta, frame = plot.querySelector('.svg-container');
    const point = t !== null && meta && meta.step_points ? meta.step_points[t] : null;
    let ring = frame && frame.querySelector(':scope > .hover-ring');
    if (!point || !plot._fullLayout) { if (ring) ring.remove(); continue; }
    if (!ring) {
      ring = frame.appendChild(document.createElement('div'));
      ring.className = 'hover-ring';
      ring.setAttribute('aria-hidden', 'true');
    }
    const { xaxis, yaxis, _size } = plot._fullLayout, size = meta.ring_size;
    ring.dataset.t = t;
    Object.assign(ring.style, {
      width: `${size}px`, height: `${size}px`,
      left: `${_size.l + xaxis.d2p(point[0]) - size / 2}px`, top: `${_size.t + yaxis.d2p(point[1]) - size / 2}px`,
    });
  }
  const step = document.querySelector('.st-key-STEP_DRAWING');
  if (!step) return;
  let note = step.querySelector(':scope > .hover-step');
  step.classList.toggle('hovered-step', t !== null && same);
  if (t === null || same) { if (note) note.remove(); return; }
  if (!note) {
    note = step.appendChild(document.createElement('div'));
    note.className = 'hover-step';
    // Hidden from screen readers: the column's button already says what Enter does.
    note.setAttribute('aria-hidden', 'true');
  }
  note.dataset.t = t;
  note.textContent = `t = ${t} — ${host.hoveredBy === 'key' ? 'press Enter' : 'click'} to open`;
}
function answer(host) {
  if (host.answers) return;
  host.answers = true;
  const choose = t => {
    const chosen = host.querySelector('g.chosen-column');
    if (t !== null && host.select && !(chosen && chosen.dataset.t === String(t))) host.select(t);
  };
  const button = t => host.querySelector(`.column-button[data-t="${t}"]`);
  host.addEventListener('pointermove', event => showColumn(host, columnAt(host, event), 'pointer'));
  const hide = () => showColumn(host, null);
  for (const name of ['pointerleave', 'pointercancel', 'focusout']) host.addEventListener(name, hide);
  host.addEventListener('click', event => choose(columnAt(host, event)));
  host.addEventListener('focusin', event => {
    if (event.target.classList.contains('column-button')) showColumn(host, +event.target.dataset.t, 'key');
  });
  host.addEventListener('keydown', event => {
    const from = event.target.closest('.column-button');
    if (!from) return;
    const t = +from.dataset.t;
    if (event.key === 'Enter' || event.key === ' ') { event.preventDefault(); choose(t); return; }
    // Time runs right to left: the left arrow goes to the next column.
    const next = button(event.key === 'ArrowLeft' ? t + 1 : event.key === 'ArrowRight' ? t - 1 : NaN);
    if (!next) return;
    event.preventDefault();
    from.setAttribute('tabindex', '-1');
    next.setAttribute('tabindex', '0');
    next.focus();
  });
}
export default async function ({ data, parentElement, setTriggerValue }) {
  const host = parentElement.querySelector('.drawing');
  const block = host.closest('[data-testid="stVerticalBlock"]');
  host.select = t => setTriggerValue('column', t);
  answer(host);
  block.placeMarks = () => placeMarks(block, host);
  if (sameBytes(host.packedBody, data)) return;
  host.packedBody = data;
  const body = await unpack(data);
  if (host.packedBody !== data) return;
  host.innerHTML = body;
  host.drawnMarks = undefined;
  block.placeMarks();
}
"""
)
# The chosen column's marks: kept on the container for the body to place (now, or once the body is drawn).
_MARKS_SCRIPT = """
export default function ({ data, parentElement }) {
  const block = parentElement.closest('[data-testid="stVerticalBlock"]');
  block.packedMarks = data;
  if (block.placeMarks) block.placeMarks();
}
"""


def _compact(script: str) -> str:
    """``script`` without its comment lines and indentation: it goes over the wire with every element."""
    lines = (line.strip() for line in script.splitlines())
    return "\n".join(line for line in lines if line and not line.startswith("//"))


_DRAWING_HTML = '<div class="drawing"></div>'
_DRAWING_CSS = ".drawing svg { display: block; }"
_drawing = st.components.v2.component(
    "addition_unfolded.drawing",
    html=_DRAWING_HTML,
    css=_DRAWING_CSS,
    js=_compact(_PLAIN_SCRIPT),
    isolate_styles=False,  # the page's own rules (a phone's sideways scrolling) reach the drawing
)
# The key of "Inside one step"'s drawing (ui/addition.py), which the body's script marks for the hovered column.
STEP_DRAWING = "step_chart"
# What the body's script draws in the other views for the hovered column: dashed, as the column's own outline.
_HOVER_CSS = f"""
.js-plotly-plot .svg-container > .hover-ring {{ position: absolute; pointer-events: none; box-sizing: border-box;
  border-radius: 50%; border: 3px dashed {HIGHLIGHT.hex}; }}
.st-key-{STEP_DRAWING} {{ position: relative; }}
.st-key-{STEP_DRAWING}.hovered-step {{ outline: 3px dashed {HIGHLIGHT.hex}; outline-offset: 4px; }}
.hover-step {{ position: absolute; top: 0; right: 0; pointer-events: none; padding: 2px 8px; font-size: 14px;
  color: {INK}; background: #fff; border: 2px dashed {HIGHLIGHT.hex}; border-radius: 4px; }}
"""
_drawing_body = st.components.v2.component(
    "addition_unfolded.drawing_body",
    html=_DRAWING_HTML,
    # The marks element draws nothing itself: it takes no room (not even the gap between elements).
    css=_DRAWING_CSS
    + '\n[data-testid="stElementContainer"]:has(> * .drawing-marks) { display: none; }'
    + _compact(_HOVER_CSS),
    js=_compact(_BODY_SCRIPT.replace("STEP_DRAWING", STEP_DRAWING)),
    isolate_styles=False,
)
_drawing_marks = st.components.v2.component(
    "addition_unfolded.drawing_marks",
    html='<i class="drawing-marks"></i>',
    js=_compact(_MARKS_SCRIPT),
    isolate_styles=False,
)


def pack(text: str, level: int = 9) -> bytes:
    """``text`` as a drawing element carries it: UTF-8, deflate-compressed (zlib format) at ``level``."""
    return zlib.compress(text.encode(), level=level)


def unpack(data: bytes) -> str:
    """The inverse of :func:`pack` (for tests that read what a drawing element holds)."""
    return zlib.decompress(data).decode()


# A body with marks stays the same while the steps change: packed once per body, for as many bodies as
# ui/addition.py's drawing cache keeps. Level 6, not 9: about a third of level 9's CPU for a few per cent more
# bytes, paid on every change of a number.
@byte_cache(16 * 2**20)  # a 41-column body packs to ~18 kB
def _packed_body(body: str) -> bytes:
    return pack(body, level=6)


def show_chart(figure: go.Figure, key: str, *, alt: str) -> None:
    """Draw ``figure`` with the page's chart settings; ``alt`` (required) describes it to screen readers."""
    if not alt.strip():
        raise ValueError(f"chart {key!r} needs a text alternative (alt).")
    st.plotly_chart(figure, key=key, config=CHART_CONFIG, alt=alt)


def show_drawing(
    body: str,
    key: str,
    *,
    marks: str | None = None,
    column: int | None = None,
    on_column: Callable[[object], None] | None = None,
) -> None:
    """Draw an SVG figure from :mod:`explainer.figures.unfolded_drawing` or :mod:`~explainer.figures.step_drawing`
    (its ``aria-label`` is its text alternative).

    ``marks`` (if given) goes into the body's ``<g class="chosen-column">``: the column ``column``'s outline and
    labels. The body is then its own element: while it stays the same, a rerun sends a reference to the copy the
    browser holds, and a step click sends just the marks.

    ``on_column`` (with ``marks``) is called, as a widget's callback is, with the column a reader clicked (or chose
    with the keyboard) in a drawing whose columns answer: the value comes from the browser, so check it."""
    with st.container(key=key):
        if marks is None:
            _drawing(key=f"{key}_drawing", data=pack(body))
            return
        drawing_key = f"{key}_drawing"
        callbacks = {}
        if on_column is not None:
            callbacks["on_column_change"] = lambda: on_column(st.session_state[drawing_key].get("column"))
        _drawing_body(key=drawing_key, data=_packed_body(body), **callbacks)
        _drawing_marks(key=f"{key}_marks", data=pack(json.dumps({"marks": marks, "column": column})))


def show_table(table, key: str) -> None:
    """Draw a table (a DataFrame or a dict of columns) without its index column."""
    st.dataframe(table, hide_index=True, key=key)
