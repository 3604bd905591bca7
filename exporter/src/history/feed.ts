/**
 * What the collector hands the history each second, and the labels the
 * history adds: the exporter's node and, for transactions, the vantage
 * (ARCHITECTURE.md, "Vantage"): `client` when the client NF is hosted on this
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
  drops(l: { nf: string; nf_type: string; peer_nf: string; interface: string; reason: string }, count: number): void;
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
  /** series by the collector's label objects, for one tick (they are made anew each tick) */
  private readonly cache = new Map<LatencySeriesLabels, { labels: Labels; series: Series }>();

  constructor(
    readonly store: HistoryStore,
    config: Pick<Config, 'node' | 'nfs'>,
  ) {
    this.node = config.node;
    this.hosted = hostedNfs(config);
  }

  private lat(l: LatencySeriesLabels): { labels: Labels; series: Series } {
    let out = this.cache.get(l);
    if (!out) {
      const labels = { ...l, vantage: vantageOf(this.hosted, l.client_nf, l.server_nf), node: this.node };
      out = { labels, series: this.store.seriesFor('latency', labels) };
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
    this.store.add('outcome', { ...this.lat(l).labels, outcome, code }, 0, count);
  }

  drops(l: { nf: string; nf_type: string; peer_nf: string; interface: string; reason: string }, count: number): void {
    this.store.add('drop', { ...l, node: this.node }, 0, count);
  }

  traffic(l: { src_nf: string; dst_nf: string; interface: string }, packets: number, bytes: number): void {
    const labels = { ...l, node: this.node };
    this.store.add('traffic', labels, TRAFFIC_PACKETS, packets);
    this.store.add('traffic', labels, TRAFFIC_BYTES, bytes);
  }

  commit(t: number): void {
    this.cache.clear();
    this.store.commit(t);
  }
}
