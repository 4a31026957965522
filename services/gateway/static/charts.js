// Hand-written SVG charts: a line (the equity curve) and bars (profit per period). Each chart
// is drawn at its container's width and redrawn when that changes, so text stays legible on a
// phone. Values are numbers for drawing only; every figure shown as text comes from the API.

import { h } from "./dom.js";

const NS = "http://www.w3.org/2000/svg";
const PAD = { left: 72, right: 16, top: 14, bottom: 30 };
const HEIGHT = 240;
const axisNumber = new Intl.NumberFormat("en-US", { maximumFractionDigits: 2 });

function s(tag, attrs = {}, ...children) {
  const el = document.createElementNS(NS, tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value !== undefined && value !== null) el.setAttribute(key, String(value));
  }
  for (const child of children) {
    if (child !== null && child !== undefined) {
      el.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
  }
  return el;
}

// Evenly spaced round values covering [min, max].
function niceTicks(min, max, count = 4) {
  if (min === max) {
    const pad = Math.abs(min) * 0.01 || 1;
    return niceTicks(min - pad, max + pad, count);
  }
  const raw = (max - min) / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((st) => st >= raw) || 10 * mag;
  const ticks = [];
  for (let i = Math.floor(min / step); i <= Math.ceil(max / step); i += 1) {
    ticks.push(i === 0 ? 0 : Number((i * step).toPrecision(12)));
  }
  return ticks;
}

function frame(width, ticks, label) {
  const y0 = PAD.top;
  const y1 = HEIGHT - PAD.bottom;
  const lo = ticks[0];
  const hi = ticks[ticks.length - 1];
  const y = (v) => y1 - ((v - lo) / (hi - lo || 1)) * (y1 - y0);
  const svg = s("svg", {
    width,
    height: HEIGHT,
    viewBox: `0 0 ${width} ${HEIGHT}`,
    role: "img",
    "aria-label": label,
    class: "chart-svg",
  });
  svg.append(s("title", {}, label));
  for (const t of ticks) {
    svg.append(
      s("line", { x1: PAD.left, x2: width - PAD.right, y1: y(t), y2: y(t), class: "grid" }),
      s(
        "text",
        { x: PAD.left - 8, y: y(t) + 4, "text-anchor": "end", class: "tick" },
        axisNumber.format(t || 0),
      ),
    );
  }
  return { svg, y };
}

// Redraws draw(width) into a container whenever its width changes.
function responsive(draw, className) {
  const box = h("div", { class: `chart ${className}` });
  let last = 0;
  const render = () => {
    const width = Math.max(260, Math.floor(box.clientWidth || 600));
    if (width === last) return;
    last = width;
    box.replaceChildren(draw(width));
  };
  const observer = new ResizeObserver(() => {
    if (!box.isConnected) {
      observer.disconnect();
      return;
    }
    render();
  });
  observer.observe(box);
  queueMicrotask(render);
  return box;
}

function empty(text) {
  return h("p", { class: "empty" }, text);
}

// points: [{value: number, label: string}] in order; label describes the chart for readers.
export function lineChart(points, { label, emptyText = "No data yet." }) {
  if (!points.length) return empty(emptyText);
  return responsive((width) => {
    const values = points.map((p) => p.value);
    const ticks = niceTicks(Math.min(...values), Math.max(...values));
    const { svg, y } = frame(width, ticks, label);
    const span = width - PAD.left - PAD.right;
    const x = (i) => PAD.left + (points.length === 1 ? span / 2 : (i / (points.length - 1)) * span);
    const coords = points.map((p, i) => `${x(i).toFixed(1)},${y(p.value).toFixed(1)}`);
    const bottom = HEIGHT - PAD.bottom;
    svg.append(
      s("path", {
        d: `M${x(0)},${bottom} L${coords.join(" L")} L${x(points.length - 1)},${bottom} Z`,
        class: "area",
      }),
      s("path", { d: `M${coords.join(" L")}`, class: "line" }),
    );
    const lastIndex = points.length - 1;
    svg.append(
      s("circle", { cx: x(lastIndex), cy: y(points[lastIndex].value), r: 4, class: "dot" }),
      s("text", { x: PAD.left, y: HEIGHT - 8, class: "tick" }, points[0].label),
      lastIndex > 0
        ? s(
            "text",
            { x: width - PAD.right, y: HEIGHT - 8, "text-anchor": "end", class: "tick" },
            points[lastIndex].label,
          )
        : null,
    );
    return svg;
  }, "line-chart");
}

// bars: [{value: number, label: string, title: string}]; positive bars up, negative down.
export function barChart(bars, { label, emptyText = "No data yet." }) {
  if (!bars.length) return empty(emptyText);
  return responsive((width) => {
    const values = bars.map((b) => b.value);
    const ticks = niceTicks(Math.min(0, ...values), Math.max(0, ...values));
    const { svg, y } = frame(width, ticks, label);
    const span = width - PAD.left - PAD.right;
    const slot = span / bars.length;
    const barWidth = Math.max(2, Math.min(48, slot * 0.7));
    const zero = y(0);
    const every = Math.ceil(bars.length / Math.max(1, Math.floor(span / 90)));
    bars.forEach((b, i) => {
      const cx = PAD.left + slot * (i + 0.5);
      const top = Math.min(zero, y(b.value));
      const height = Math.max(1, Math.abs(y(b.value) - zero));
      svg.append(
        s(
          "rect",
          {
            x: (cx - barWidth / 2).toFixed(1),
            y: top.toFixed(1),
            width: barWidth.toFixed(1),
            height: height.toFixed(1),
            class: b.value < 0 ? "bar neg" : "bar pos",
          },
          s("title", {}, b.title),
        ),
      );
      if (i % every === 0) {
        svg.append(
          s("text", { x: cx, y: HEIGHT - 8, "text-anchor": "middle", class: "tick" }, b.label),
        );
      }
    });
    svg.append(
      s("line", { x1: PAD.left, x2: width - PAD.right, y1: zero, y2: zero, class: "zero" }),
    );
    return svg;
  }, "bar-chart");
}
