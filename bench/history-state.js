#!/usr/bin/env node
'use strict';
/**
 * Writes a history state file (history.state_file) holding 24 full hours for
 * the NFs of bench/exporter-load.js, so that benchmark can measure the real
 * exporter with a full history under load. The history is made by the
 * exporter's own HistoryFeed and HistoryStore from the counter source of
 * bench/lib/fake-kernel.js (log-normal latencies with medians of 0.2–5 ms,
 * wider than the veth round trips the load has, so more bytes per point: the
 * conservative side), with the series the exporter will see under that load:
 * per SMF → UPF pair a latency series, accepted outcomes (code 0), PFCP
 * traffic both ways, and the G-PDUs gnb-1 → upf-1 on N3. It ends now, so the
 * exporter started from it finds the last second's points where it left them.
 *
 *   node bench/history-state.js --out FILE [--smfs 20] [--upfs 10] [--rate 52.5] [--gpdu 31000] [--node bench]
 */
const path = require('path');

const dist = (m) => require(path.join(__dirname, '../exporter/dist', m));
const { latencyLabels } = dist('collector.js');
const { HistoryStore } = dist('history/store.js');
const { HistoryFeed } = dist('history/feed.js');
const { saveHistory } = dist('history/state.js');
const { FakeKernel, fillHistory } = require('./lib/fake-kernel');

function parseArgs(argv) {
  const o = { out: null, smfs: 20, upfs: 10, rate: 52.5, gpdu: 31000, node: 'bench' };
  for (let i = 0; i < argv.length; i++) {
    const v = () => argv[++i];
    if (argv[i] === '--out') o.out = v();
    else if (argv[i] === '--smfs') o.smfs = Number(v());
    else if (argv[i] === '--upfs') o.upfs = Number(v());
    else if (argv[i] === '--rate') o.rate = Number(v());
    else if (argv[i] === '--gpdu') o.gpdu = Number(v());
    else if (argv[i] === '--node') o.node = v();
    else throw new Error(`unknown argument ${argv[i]}`);
  }
  if (!o.out) throw new Error('--out FILE is required');
  return o;
}

function main() {
  const o = parseArgs(process.argv.slice(2));
  const t0 = Date.now();
  // PFCP Heartbeats, as the load sends: a response carries no Cause (code 0, accepted), none is rejected.
  const kernel = new FakeKernel(o.smfs * o.upfs, o.rate, { smfs: o.smfs, upfs: o.upfs, acceptedCode: '0', rejectedShare: 0 });
  // The NFs as exporter-load.js configures them (names and types; the addresses do not reach the history).
  const nfs = [...kernel.nfs, { name: 'gnb-1', type: 'gNB', addresses: ['198.18.4.200'] }];
  const store = new HistoryStore({});
  const feed = new HistoryFeed(store, { node: o.node, nfs });
  for (const p of kernel.pairs) {
    p.labels = latencyLabels(kernel.nfTable, p.key);
    p.traffic = { src_nf: p.labels.client_nf, dst_nf: p.labels.server_nf, interface: p.labels.interface };
    p.reply = { src_nf: p.labels.server_nf, dst_nf: p.labels.client_nf, interface: p.labels.interface };
  }
  const n3 = { src_nf: 'gnb-1', dst_nf: 'upf-1', interface: 'N3' };
  const advance = kernel.advance.bind(kernel);
  kernel.advance = (seconds, f) => {
    advance(seconds, f);
    // G-PDUs of 128-byte inner packets: 186 bytes on the wire each.
    if (f) f.traffic(n3, o.gpdu * seconds, o.gpdu * seconds * 186);
  };
  let t = fillHistory(kernel, feed, Math.floor(Date.now() / 1000));
  // Filling takes a while: the seconds it took are filled too, so the history ends now.
  for (; t < Math.floor(Date.now() / 1000); t++) {
    kernel.advance(1, feed);
    feed.commit(t + 1);
  }
  const r = saveHistory(store, o.out);
  const st = store.stats();
  process.stdout.write(
    `${JSON.stringify({ file: o.out, series: r.series, file_bytes: r.bytes, history_bytes: st.bytes, tiers: st.tiers, seconds: (Date.now() - t0) / 1000 })}\n`,
  );
}

main();
