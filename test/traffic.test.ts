/**
 * Packets and bytes per NF pair and direction: the exporter's
 * nfscope_packets_total / nfscope_bytes_total for the user plane against the
 * testbed's own G-PDU counters (what each sender handed to its socket and
 * each receiver read), uplink and downlink. Echo is off, so N3 and N9 carry
 * G-PDUs only.
 */
import { Testbed, type RunRecord } from '../sim/src';
import { describeRoot } from './lib/env';
import { metricSamples as samples, startExporter, type RunningExporter } from './lib/exporter';

describeRoot('user-plane packets and bytes on the testbed', () => {
  let tb: Testbed;
  let ex: RunningExporter | undefined;

  beforeAll(() => {
    tb = Testbed.create({ ipv6: true });
  });
  afterEach(async () => {
    await ex?.stop('SIGKILL');
    ex = undefined;
  });
  afterAll(() => {
    tb?.destroy();
    expect(tb.leftovers()).toEqual([]);
  });

  for (const ipFamily of [4, 6] as const) {
    test(`IPv${ipFamily}: G-PDU packets and bytes per NF pair and direction equal the record`, async () => {
      ex = await startExporter(tb.exporterConfigYaml());
      const record: RunRecord = await tb.run({
        seed: 3,
        durationMs: 4000,
        ipFamily,
        pfcp: { heartbeatIntervalMs: 0, sessionsPerSecond: 0, reportsPerSecond: 0 },
        gtpu: { echoIntervalMs: 0, gpduPerSecond: 250, downlinkGpduPerSecond: 150, gpduSize: 700 + ipFamily },
        ngap: { enabled: false },
      });
      await new Promise((r) => setTimeout(r, 2500)); // two exporter reads
      const metrics = await ex.getText('/metrics');
      const packets = samples(metrics, 'nfscope_packets_total');
      const bytes = samples(metrics, 'nfscope_bytes_total');

      // Uplink gnb-1 → upf-1 → upf-2, downlink upf-2 → upf-1 → gnb-1.
      expect(record.gpdu.map((f) => `${f.interface} ${f.from}→${f.to}`)).toEqual(['N3 gnb-1→upf-1', 'N3 upf-1→gnb-1', 'N9 upf-1→upf-2', 'N9 upf-2→upf-1']);
      // Ethernet, IP and UDP headers on top of the UDP payload the record counts.
      const overhead = 14 + (ipFamily === 4 ? 20 : 40) + 8;
      for (const f of record.gpdu) {
        expect(f.sent.packets).toBeGreaterThan(f.from === 'gnb-1' || f.to === 'upf-2' ? 900 : 500);
        expect(f.received).toEqual(f.sent); // nothing lost on the bridge
        const l = `{src_nf="${f.from}",dst_nf="${f.to}",interface="${f.interface}"}`;
        expect({ l, packets: packets.get(l), bytes: bytes.get(l) }).toEqual({ l, packets: f.sent.packets, bytes: f.sent.bytes + overhead * f.sent.packets });
      }
      // No user-plane series the record does not know.
      const known = new Set(record.gpdu.map((f) => `{src_nf="${f.from}",dst_nf="${f.to}",interface="${f.interface}"}`));
      expect([...packets.keys()].filter((l) => /interface="N[39]"/.test(l) && !known.has(l))).toEqual([]);
    });
  }
});
