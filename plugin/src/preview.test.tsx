/**
 * The browser test's dashboard preview (test-host/preview.tsx) on frames made
 * here: what each renderer draws, and what it leaves out.
 */
import React from 'react';
import { render } from '@testing-library/react';
import { createTheme, FieldType, toDataFrame, type DataFrame } from '@grafana/data';
import { DashboardPreview, type DashboardJson, type PanelJson, type PanelResult } from '../test-host/preview';
import { answerToFrames } from './frames';

const theme = createTheme({ colors: { mode: 'dark' } });
const T0 = 1_700_000_000_000;
const times = [0, 1, 2, 3, 4].map((i) => T0 + i * 1000);

function panel(type: string, x = 0, extra: Partial<PanelJson> = {}): PanelJson {
  return { type, title: `${type} panel`, gridPos: { x, y: 0, w: 12, h: 8 }, targets: [], ...extra };
}

function draw(panels: PanelJson[], results: PanelResult[]) {
  const dashboard: DashboardJson = { title: 'test dashboard', panels, templating: { list: [{ name: 'node', label: 'Node' }] } };
  const { container } = render(<DashboardPreview dashboard={dashboard} file="test.json" results={results} theme={theme} width={1200} from={T0} to={T0 + 5000} />);
  const el = (i: number) => container.querySelectorAll<HTMLElement>('[data-panel]')[i];
  return { container, el, marks: (i: number, m: string) => el(i).querySelectorAll(`[data-mark="${m}"]`) };
}

const series = (name: string, vals: Array<number | null>, unit = 's'): DataFrame =>
  toDataFrame({
    refId: 'A',
    fields: [
      { name: 'time', type: FieldType.time, values: times },
      { name: 'value', type: FieldType.number, values: vals, labels: { interface: name }, config: { unit, displayNameFromDS: `${name} p99` } },
    ],
  });

test('time series: a path per series with data, broken at nulls; legend names from displayNameFromDS, values in the unit', () => {
  const legend = { displayMode: 'table', showLegend: true, calcs: ['max'] };
  const { marks, el } = draw(
    [panel('timeseries', 0, { options: { legend } })],
    [{ frames: [series('N4', [0.001, 0.002, null, 0.0042, 0.003]), series('N3', [null, null, null, null, null])], errors: [] }],
  );
  const paths = marks(0, 'series');
  expect(paths).toHaveLength(1);
  expect(paths[0].getAttribute('d')!.match(/M/g)).toHaveLength(2);
  expect(el(0).textContent).toContain('N4 p99');
  expect(el(0).textContent).not.toContain('N3 p99');
  expect(el(0).textContent).toContain('4.20 ms');
});

test('heatmap: a cell per non-empty bucket and interval, each as tall as its bucket on the log axis; stat: the last value', () => {
  // The plugin's own conversion of an exporter answer: buckets 0.5–1 ms (one octave), 1–2 ms (one octave), 2–2.5 ms (a third of one).
  const [heat] = answerToFrames(
    {
      kind: 'latency_heatmap',
      frames: [
        {
          fields: [
            { name: 'time', type: 'time', values: times },
            { name: '0.001', type: 'number', values: [1, 0, 2, 0, 0], labels: { le: '0.001', ge: '0.0005' } },
            { name: '0.002', type: 'number', values: [0, 0, 3, 4, null], labels: { le: '0.002', ge: '0.001' } },
            { name: '0.0025', type: 'number', values: [0, 6, 0, 0, 0], labels: { le: '0.0025', ge: '0.002' } },
          ],
        },
      ],
    },
    { refId: 'A', kind: 'latency_heatmap' },
  );
  const { marks, el } = draw(
    [panel('heatmap'), panel('stat', 12)],
    [
      { frames: [heat], errors: [] },
      { frames: [series('N4', [0.5, 0.25, null])], errors: [] },
    ],
  );
  const cells = Array.from(marks(0, 'cell'));
  expect(cells).toHaveLength(5);
  const h = (c: Element) => Number(c.getAttribute('height')) + 1;
  const y = (c: Element) => Number(c.getAttribute('y'));
  // By height: the two one-octave buckets alike, the 2–2.5 ms one log2(2)/log2(1.25) = 3.1 times shorter (1 px of rounding).
  const [octave, narrow] = [h(cells.find((c) => y(c) === Math.max(...cells.map(y)))!), Math.min(...cells.map(h))];
  expect(Math.abs(octave / narrow - 1 / Math.log2(1.25))).toBeLessThan(0.15);
  expect(marks(1, 'stat')).toHaveLength(1);
  expect(marks(1, 'stat')[0].textContent).toContain('250 ms');
  expect(el(0).textContent).not.toContain('No data');
});

test('node graph: a circle per node and a line per edge; clients left of servers, peers in one column', () => {
  const nodes = toDataFrame({
    name: 'nodes',
    fields: [
      { name: 'id', type: FieldType.string, values: ['upf-1', 'smf-1', 'upf-2'] },
      { name: 'title', type: FieldType.string, values: ['upf-1', 'smf-1', 'upf-2'] },
      { name: 'mainstat', type: FieldType.number, values: [10, 2, 10], config: { unit: 'reqps' } },
      { name: 'arc__accepted', type: FieldType.number, values: [0.9, 1, 1], config: { color: { mode: 'fixed', fixedColor: 'green' } } },
      { name: 'arc__rejected', type: FieldType.number, values: [0.1, 0, 0], config: { color: { mode: 'fixed', fixedColor: 'red' } } },
    ],
  });
  const edges = toDataFrame({
    name: 'edges',
    fields: [
      { name: 'id', type: FieldType.string, values: ['a', 'b', 'c', 'd', 'e'] },
      { name: 'source', type: FieldType.string, values: ['smf-1', 'upf-1', 'smf-1', 'upf-1', 'upf-2'] },
      { name: 'target', type: FieldType.string, values: ['upf-1', 'smf-1', 'upf-2', 'upf-2', 'upf-1'] },
      { name: 'mainstat', type: FieldType.number, values: [9, 1, 9, 1, 1], config: { unit: 'reqps' } },
    ],
  });
  const { marks } = draw([panel('nodeGraph')], [{ frames: [nodes, edges], errors: [] }]);
  expect(marks(0, 'node')).toHaveLength(3);
  expect(marks(0, 'edge')).toHaveLength(5);
  const x = (id: string) =>
    Number(
      Array.from(marks(0, 'node'))
        .find((n) => n.textContent!.includes(id))!
        .querySelector('circle')!
        .getAttribute('cx'),
    );
  expect(x('smf-1')).toBeLessThan(x('upf-1'));
  expect(x('upf-1')).toBe(x('upf-2'));
});

test('table: a row per frame row, sorted as the panel says; histogram: a bar per non-empty bin; empty frames say No data', () => {
  const table = toDataFrame({
    fields: [
      { name: 'procedure', type: FieldType.string, values: ['Heartbeat', 'SessionEstablishment', 'SessionReport'] },
      { name: 'rate', type: FieldType.number, values: [1, 4, 2], config: { unit: 'reqps' } },
    ],
  });
  const hist = toDataFrame({
    meta: { type: 'histogram' as never },
    fields: [
      { name: 'xMin', type: FieldType.number, values: [0.001, 0.002, 0.004], config: { unit: 's' } },
      { name: 'xMax', type: FieldType.number, values: [0.002, 0.004, 0.008], config: { unit: 's' } },
      { name: 'count', type: FieldType.number, values: [3, 0, 5] },
    ],
  });
  const { marks, el, container } = draw(
    [panel('table', 0, { options: { sortBy: [{ displayName: 'rate', desc: true }] } }), panel('histogram', 12), { ...panel('timeseries'), gridPos: { x: 0, y: 8, w: 12, h: 8 } }],
    [
      { frames: [table], errors: [] },
      { frames: [hist], errors: [] },
      { frames: [], errors: [] },
    ],
  );
  const rows = marks(0, 'row');
  expect(rows).toHaveLength(3);
  expect(rows[0].textContent).toContain('SessionEstablishment');
  expect(rows[0].textContent).toContain('4 req/s');
  expect(marks(1, 'bar')).toHaveLength(2);
  expect(el(2).textContent).toContain('No data');
  expect(el(0).textContent).not.toContain('No data');
  expect(container.querySelector('[data-caption]')!.textContent).toMatch(/nfscope's preview renderer.*not Grafana's panels/);
});
