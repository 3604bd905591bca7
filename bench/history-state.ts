/**
 * Writes a history state file (history.state_file) holding 24 full hours for
 * the NFs of bench/exporter-load.ts, so that benchmark can measure the real
 * exporter with a full history under load. The history is made by the
 * exporter's own HistoryFeed and HistoryStore from the counter source of
 * lib/fake-kernel.ts (log-normal latencies with medians of 0.2–5 ms, wider
 * than the veth round trips the load has, so more bytes per point: the
 * conservative side), with the series the exporter will see under that
 * load: per SMF → UPF pair a latency series, accepted outcomes (code 0),
 * PFCP traffic both ways, and the G-PDUs gnb-1 → upf-1 on N3. It ends now,
 * so the exporter started from it finds the last second's points where it
 * left them.
 */
import { latencyLabels } from '@nfscope/exporter/dist/collector';
import type { Config } from '@nfscope/exporter/dist/config';
import { HistoryFeed, type HistorySink } from '@nfscope/exporter/dist/history/feed';
import { saveHistory } from '@nfscope/exporter/dist/history/state';
import { HistoryStore } from '@nfscope/exporter/dist/history/store';
import { commandLine, main, num, required, str } from './lib/args';
import { FakeKernel, fillHistory } from './lib/fake-kernel';

const USAGE = `node bench/dist/history-state.js --out FILE [options]

Writes a history state file with 24 full hours for the NFs of
bench/exporter-load (which runs it); prints one JSON line.

  --out FILE       the state file to write (required)
  --smfs N         SMF addresses [20]
  --upfs N         UPF addresses [10]
  --rate R         PFCP requests/s per SMF-UPF pair [52.5]
  --gpdu R         G-PDUs/s gnb-1 -> upf-1 [31000]
  --node NAME      the exporter's node name [bench]
  -h, --help       this text
`;

const OPTIONS = {
  out: { type: 'string' },
  smfs: { type: 'string' },
  upfs: { type: 'string' },
  rate: { type: 'string' },
  gpdu: { type: 'string' },
  node: { type: 'string' },
} as const;

async function run(): Promise<number> {
  const cl = commandLine(USAGE, OPTIONS);
  const o = {
    out: required(cl, 'out'),
    smfs: num(cl, 'smfs', 20, { integer: true }),
    upfs: num(cl, 'upfs', 10, { integer: true }),
    rate: num(cl, 'rate', 52.5),
    gpdu: num(cl, 'gpdu', 31000, { min: 0 }),
    node: str(cl, 'node', 'bench'),
  };
  const t0 = Date.now();
  // PFCP Heartbeats, as the load sends: a response carries no Cause (code 0, accepted), none is rejected.
  const kernel = new FakeKernel(o.smfs * o.upfs, o.rate, { smfs: o.smfs, upfs: o.upfs, acceptedCode: '0', rejectedShare: 0 });
  // The NFs as exporter-load configures them (names and types; the addresses do not reach the history).
  const nfs = [...kernel.nfs, { name: 'gnb-1', type: 'gNB', addresses: ['198.18.4.200'] }];
  const store = new HistoryStore({});
  const feed = new HistoryFeed(store, { node: o.node, nfs } as unknown as Config);
  for (const p of kernel.pairs) {
    p.labels = latencyLabels(kernel.nfTable, p.key);
    p.traffic = { src_nf: p.labels.client_nf, dst_nf: p.labels.server_nf, interface: p.labels.interface };
    p.reply = { src_nf: p.labels.server_nf, dst_nf: p.labels.client_nf, interface: p.labels.interface };
  }
  const n3 = { src_nf: 'gnb-1', dst_nf: 'upf-1', interface: 'N3' };
  // The pairs' counts, plus G-PDUs of 128-byte inner packets: 186 bytes on the wire each.
  const source = {
    advance(seconds: number, f?: HistorySink): void {
      kernel.advance(seconds, f);
      if (f) f.traffic(n3, o.gpdu * seconds, o.gpdu * seconds * 186);
    },
  };
  let t = fillHistory(source, feed, Math.floor(Date.now() / 1000));
  // Filling takes a while: the seconds it took are filled too, so the history ends now.
  for (; t < Math.floor(Date.now() / 1000); t++) {
    source.advance(1, feed);
    feed.commit(t + 1);
  }
  const r = saveHistory(store, o.out);
  const st = store.stats();
  process.stdout.write(`${JSON.stringify({ file: o.out, series: r.series, file_bytes: r.bytes, history_bytes: st.bytes, tiers: st.tiers, seconds: (Date.now() - t0) / 1000 })}\n`);
  return 0;
}

main('bench/history-state', run);
