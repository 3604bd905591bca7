/**
 * A Prometheus histogram fed with bucket counts rather than observations:
 * the kernel already binned every latency, so the exporter adds slot deltas.
 * prom-client's Histogram only takes observations; this implements the
 * metric interface its Registry reads.
 */
import type { Registry } from 'prom-client';
import { coarseBuckets, total } from './histogram';

interface Series {
  labels: Record<string, string>;
  slots: number[];
  sumNs: number;
}

export class BucketHistogram {
  readonly type = 'histogram';
  readonly aggregator = 'sum';
  private readonly series = new Map<string, Series>();

  constructor(
    readonly name: string,
    readonly help: string,
    readonly labelNames: readonly string[],
    private readonly le: number[],
    registry: Registry,
  ) {
    registry.registerMetric(this as unknown as Parameters<Registry['registerMetric']>[0]);
  }

  /** Adds slot deltas (slot index → count) and a sum delta in ns to the series with these labels (copied when the series is new). */
  add(key: string, labels: object, slotDeltas: Map<number, number>, sumDeltaNs: number, slotCount: number): void {
    let s = this.series.get(key);
    if (!s) {
      s = { labels: { ...(labels as Record<string, string>) }, slots: new Array<number>(slotCount).fill(0), sumNs: 0 };
      this.series.set(key, s);
    }
    for (const [slot, d] of slotDeltas) s.slots[slot] += d;
    s.sumNs += sumDeltaNs;
  }

  get(): { name: string; help: string; type: string; aggregator: string; values: { labels: Record<string, string | number>; value: number; metricName: string }[] } {
    const values: { labels: Record<string, string | number>; value: number; metricName: string }[] = [];
    for (const s of this.series.values()) {
      const counts = coarseBuckets(s.slots, this.le);
      this.le.forEach((le, i) => values.push({ labels: { ...s.labels, le }, value: counts[i], metricName: `${this.name}_bucket` }));
      const n = total(s.slots);
      values.push({ labels: { ...s.labels, le: '+Inf' }, value: n, metricName: `${this.name}_bucket` });
      values.push({ labels: s.labels, value: s.sumNs / 1e9, metricName: `${this.name}_sum` });
      values.push({ labels: s.labels, value: n, metricName: `${this.name}_count` });
    }
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values };
  }

  reset(): void {
    this.series.clear();
  }
}
