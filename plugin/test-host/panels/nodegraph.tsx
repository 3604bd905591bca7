/** The node graph panel: NFs as circles in layers, clients left of servers, an edge per NF pair. */
import type { DataFrame } from '@grafana/data';
import type { RendererProps } from './model';
import { fmt, NoData, numeric, values } from './common';

/**
 * Columns left to right, clients before their servers: of two NFs that
 * call each other, the clearly busier direction counts (SMF→UPF, not the
 * UPF's session reports back), and neither when they are about even;
 * then a node's column is its distance from the nodes that only call.
 */
function layers(ids: string[], edges: Array<{ s: string; t: string; rate: number }>): Map<string, number> {
  const known = new Set(ids);
  const rate = new Map(edges.map((e) => [`${e.s}\u0000${e.t}`, e.rate]));
  const forward = edges.filter((e) => {
    if (!known.has(e.s) || !known.has(e.t) || e.s === e.t) return false;
    const back = rate.get(`${e.t}\u0000${e.s}`);
    // Peers (UPF↔UPF on N9: as many each way) stay in one column.
    return back === undefined || e.rate > back * 1.1;
  });
  const out = new Map(ids.map((id) => [id, [] as string[]]));
  for (const e of forward) out.get(e.s)!.push(e.t);
  const indeg = new Map(ids.map((id) => [id, 0]));
  for (const e of forward) indeg.set(e.t, indeg.get(e.t)! + 1);
  // Breadth-first from the nodes nobody calls (in a cycle: the least called): a node's column is its distance from them.
  const layer = new Map<string, number>();
  for (;;) {
    const rest = ids.filter((id) => !layer.has(id));
    if (rest.length === 0) return layer;
    const least = Math.min(...rest.map((id) => indeg.get(id)!));
    const queue = rest.filter((id) => indeg.get(id) === least);
    for (const id of queue) layer.set(id, 0);
    while (queue.length) {
      const u = queue.shift()!;
      for (const t of out.get(u)!) {
        if (layer.has(t)) continue;
        layer.set(t, layer.get(u)! + 1);
        queue.push(t);
      }
    }
  }
}

export function NodeGraphPanel({ panel, frames, theme, width, height }: RendererProps) {
  const nodes = frames.find((f) => f.name === 'nodes') ?? frames.find((f) => f.fields.some((x) => x.name === 'id') && !f.fields.some((x) => x.name === 'source'));
  const edges = frames.find((f) => f.name === 'edges') ?? frames.find((f) => f.fields.some((x) => x.name === 'source'));
  if (!nodes || nodes.length === 0) return <NoData theme={theme} />;
  const col = (f: DataFrame | undefined, n: string) => f?.fields.find((x) => x.name === n);
  const ids = values(col(nodes, 'id')!) as string[];
  const titles = col(nodes, 'title') ? (values(col(nodes, 'title')!) as string[]) : ids;
  const nodeMain = col(nodes, 'mainstat');
  const nodeSecond = col(nodes, 'secondarystat');
  const arcs = nodes.fields.filter((x) => x.name.startsWith('arc__'));
  const src = edges ? (values(col(edges, 'source')!) as string[]) : [];
  const dst = edges ? (values(col(edges, 'target')!) as string[]) : [];
  const edgeMain = col(edges, 'mainstat');
  const edgeSecond = col(edges, 'secondarystat');
  const opt = panel.options ?? {};

  const edgeRates = edgeMain ? values(edgeMain) : [];
  const layer = layers(
    ids,
    src.map((s, i) => ({ s, t: dst[i], rate: numeric(edgeRates[i]) ? (edgeRates[i] as number) : 0 })),
  );
  const nCols = Math.max(...layer.values()) + 1;
  const columns: string[][] = Array.from({ length: nCols }, () => []);
  ids.forEach((id) => columns[layer.get(id)!].push(id));
  const r = Math.min(34, height / (2.8 * Math.max(...columns.map((c) => c.length))));
  const pos = new Map<string, { x: number; y: number }>();
  // Within a column, by the mean row of the nodes that call them (fewer crossings).
  columns.forEach((c, ci) => {
    if (ci > 0) {
      const row = (id: string) => {
        const ys = src.map((s, i) => (dst[i] === id && pos.has(s) ? pos.get(s)!.y : NaN)).filter((y) => !Number.isNaN(y));
        return ys.length ? ys.reduce((a, b) => a + b, 0) / ys.length : height / 2;
      };
      c.sort((a, b) => row(a) - row(b));
    }
    c.forEach((id, k) => pos.set(id, { x: ((ci + 0.5) / nCols) * width, y: ((k + 0.5) / c.length) * (height - 18) }));
  });

  const arcPath = (cx: number, cy: number, a0: number, a1: number) => {
    const p = (a: number) => `${cx + r * Math.sin(a * 2 * Math.PI)},${cy - r * Math.cos(a * 2 * Math.PI)}`;
    return `M${p(a0)}A${r},${r} 0 ${a1 - a0 > 0.5 ? 1 : 0} 1 ${p(Math.min(a1, a0 + 0.99999))}`;
  };
  return (
    <svg width={width} height={height} style={{ display: 'block' }}>
      <defs>
        <marker id={`arrow-${panel.id}`} viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse">
          <path d="M0,0L10,5L0,10Z" fill={theme.colors.text.secondary} />
        </marker>
      </defs>
      {src.map((s, i) => {
        const a = pos.get(s);
        const b = pos.get(dst[i]);
        if (!a || !b) return null;
        const dx = b.x - a.x;
        const dy = b.y - a.y;
        const len = Math.hypot(dx, dy) || 1;
        const [ux, uy] = [dx / len, dy / len];
        // Two NFs calling each other: each direction drawn a little to its own right, label beside it.
        const both = src.some((s2, k) => s2 === dst[i] && dst[k] === s);
        const off = both ? 5 : 0;
        const [ox, oy] = [-uy * off, ux * off];
        const mx = (a.x + b.x) / 2 + ox * (both ? 2.6 : 0);
        const my = (a.y + b.y) / 2 + oy * (both ? 2.6 : 0);
        const main = edgeMain ? fmt(values(edgeMain)[i], opt.edges?.mainStatUnit ?? edgeMain.config.unit) : '';
        const second = edgeSecond ? fmt(values(edgeSecond)[i], opt.edges?.secondaryStatUnit ?? edgeSecond.config.unit) : '';
        return (
          <g key={`e${i}`} data-mark="edge">
            <line
              x1={a.x + ux * (r + 2) + ox}
              y1={a.y + uy * (r + 2) + oy}
              x2={b.x - ux * (r + 4) + ox}
              y2={b.y - uy * (r + 4) + oy}
              stroke={theme.colors.text.secondary}
              strokeOpacity={0.6}
              strokeWidth={1.5}
              markerEnd={`url(#arrow-${panel.id})`}
            />
            <text x={mx} y={my + 4} textAnchor="middle" fontSize={11} fill={theme.colors.text.primary} stroke={theme.colors.background.primary} strokeWidth={3} paintOrder="stroke">
              {main}
              {second ? ` · ${second}` : ''}
            </text>
          </g>
        );
      })}
      {ids.map((id, i) => {
        const p = pos.get(id)!;
        let a0 = 0;
        return (
          <g key={id} data-mark="node">
            <circle cx={p.x} cy={p.y} r={r} fill={theme.colors.background.secondary} stroke={theme.colors.border.medium} />
            {arcs.map((f) => {
              const share = values(f)[i];
              if (!numeric(share) || share <= 0) return null;
              const d = arcPath(p.x, p.y, a0, a0 + share);
              a0 += share;
              return <path key={f.name} d={d} fill="none" stroke={theme.visualization.getColorByName(f.config.color?.fixedColor ?? 'gray')} strokeWidth={3} />;
            })}
            <text x={p.x} y={p.y - 1} textAnchor="middle" fontSize={10} fill={theme.colors.text.primary}>
              {nodeMain ? fmt(values(nodeMain)[i], opt.nodes?.mainStatUnit ?? nodeMain.config.unit) : ''}
            </text>
            <text x={p.x} y={p.y + 11} textAnchor="middle" fontSize={10} fill={theme.colors.text.secondary}>
              {nodeSecond ? fmt(values(nodeSecond)[i], opt.nodes?.secondaryStatUnit ?? nodeSecond.config.unit) : ''}
            </text>
            <text x={p.x} y={p.y + r + 14} textAnchor="middle" fontSize={12} fill={theme.colors.text.primary}>
              {titles[i]}
            </text>
          </g>
        );
      })}
    </svg>
  );
}
