/**
 * What the collector hands the history each second, and the labels the
 * history adds: the exporter's node and, for transactions, the vantage
 * (README.md, "Vantage"): `client` when the client NF is hosted on this
 * node, `server` when only the server NF is, `both`, or `none`.
 */
import type { Config } from '../config';
import type { HistoryStore, Labels, Series } from './store';
import { LAT_RETRANS, LAT_SUM, LAT_TIMEOUTS, TRAFFIC_BYTES, TRAFFIC_PACKETS } from './store';

export interface LatencySeriesLabels {
  client_nf: string;
  client_type: string;
  server_nf: string;
  server_type: string;
  interface: string;
  procedure: string;
}

/** The collector's side of the history: deltas of one tick, then commit. */
export interface HistorySink {
  histogram(l: LatencySeriesLabels, slot: number, count: number): void;
  latencySum(l: LatencySeriesLabels, ns: number): void;
  timeouts(l: LatencySeriesLabels, count: number): void;
  retransmissions(l: LatencySeriesLabels, count: number): void;
  /** outcome: accepted, rejected, other or timeout */
  outcome(l: LatencySeriesLabels, outcome: string, code: string, count: number): void;
  drops(l: { nf: string; nf_type: string; peer_nf: string; interface: string; reason: string; class: string }, count: number): void;
  traffic(l: { src_nf: string; dst_nf: string; interface: string }, packets: number, bytes: number): void;
  /** the tick read at unix second t is complete */
  commit(t: number): void;
}

export type Vantage = 'client' | 'server' | 'both' | 'none';

/** NFs hosted on `node` per the configuration: those with node: node, or without node. */
export function hostedNfs(config: Pick<Config, 'node' | 'nfs'>): Set<string> {
  return new Set(config.nfs.filter((nf) => (nf.node ?? config.node) === config.node).map((nf) => nf.name));
}

export function vantageOf(hosted: Set<string>, client: string, server: string): Vantage {
  const c = hosted.has(client);
  const s = hosted.has(server);
  return c ? (s ? 'both' : 'client') : s ? 'server' : 'none';
}

export class HistoryFeed implements HistorySink {
  readonly hosted: Set<string>;
  private readonly node: string;
  /**
   * Series by the collector's label objects (it keeps one object per series
   * while the series is read; a label object it drops leaves this cache with
   * it). A series the store has forgotten is looked up again.
   */
  private cache = new WeakMap<object, { labels: Labels; series: Series; outcomes: Map<string, Series> }>();
  private readonly trafficCache = new WeakMap<object, Series>();

  constructor(
    readonly store: HistoryStore,
    config: Pick<Config, 'node' | 'nfs'>,
  ) {
    this.node = config.node;
    this.hosted = hostedNfs(config);
  }

  private lat(l: LatencySeriesLabels): { labels: Labels; series: Series; outcomes: Map<string, Series> } {
    let out = this.cache.get(l);
    if (!out || out.series.forgotten) {
      const labels = { ...l, vantage: vantageOf(this.hosted, l.client_nf, l.server_nf), node: this.node };
      out = { labels, series: this.store.seriesFor('latency', labels), outcomes: new Map() };
      this.cache.set(l, out);
    }
    return out;
  }

  histogram(l: LatencySeriesLabels, slot: number, count: number): void {
    this.store.addTo(this.lat(l).series, slot, count);
  }

  latencySum(l: LatencySeriesLabels, ns: number): void {
    this.store.addTo(this.lat(l).series, LAT_SUM, ns);
  }

  timeouts(l: LatencySeriesLabels, count: number): void {
    this.store.addTo(this.lat(l).series, LAT_TIMEOUTS, count);
    this.outcome(l, 'timeout', '', count);
  }

  retransmissions(l: LatencySeriesLabels, count: number): void {
    this.store.addTo(this.lat(l).series, LAT_RETRANS, count);
  }

  outcome(l: LatencySeriesLabels, outcome: string, code: string, count: number): void {
    if (!(count > 0)) return;
    const e = this.lat(l);
    const k = `${outcome}|${code}`;
    let s = e.outcomes.get(k);
    if (!s || s.forgotten) e.outcomes.set(k, (s = this.store.seriesFor('outcome', { ...e.labels, outcome, code })));
    this.store.addTo(s, 0, count);
  }

  drops(l: { nf: string; nf_type: string; peer_nf: string; interface: string; reason: string; class: string }, count: number): void {
    this.store.add('drop', { ...l, node: this.node }, 0, count);
  }

  traffic(l: { src_nf: string; dst_nf: string; interface: string }, packets: number, bytes: number): void {
    let s = this.trafficCache.get(l);
    if (!s || s.forgotten) this.trafficCache.set(l, (s = this.store.seriesFor('traffic', { ...l, node: this.node })));
    this.store.addTo(s, TRAFFIC_PACKETS, packets);
    this.store.addTo(s, TRAFFIC_BYTES, bytes);
  }

  commit(t: number): void {
    this.store.commit(t);
  }
}
