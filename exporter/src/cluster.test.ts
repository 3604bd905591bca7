import { decodeNodeData, encodeNodeData } from './cluster';
import type { NodeData } from './query/engine';

describe('raw answers between exporters', () => {
  const data: NodeData = {
    node: 'n1',
    hosted: ['smf-1'],
    overflow: 0,
    groups: [
      { family: 'latency', labels: { client_nf: 'smf-1' }, bucketsPerOctave: 4, steps: [null, { i: [40, 41], v: [3, 1] }] },
      { family: 'drop', labels: { nf: 'upf-1' }, steps: [{ i: [0], v: [2] }, null] },
    ],
  };

  test('a group keeps the resolution of the tier it was read from', () => {
    const back = decodeNodeData(JSON.parse(JSON.stringify(encodeNodeData(data))));
    expect(back.groups[0]).toEqual(data.groups[0]);
    expect(back.groups[0].bucketsPerOctave).toBe(4);
  });

  test("a peer that does not say is at the kernel's 16 per octave; a resolution that is none is an error", () => {
    const raw = JSON.parse(JSON.stringify(encodeNodeData(data)));
    delete raw.groups[0].buckets_per_octave;
    expect(decodeNodeData(raw).groups[0].bucketsPerOctave).toBe(16);
    raw.groups[0].buckets_per_octave = 5;
    expect(() => decodeNodeData(raw)).toThrow('buckets_per_octave 5 of a latency group is not 1, 2, 4, 8 or 16');
  });
});
