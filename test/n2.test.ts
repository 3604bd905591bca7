/**
 * N2 end to end: the testbed's gNB and AMF speak NGAP over SCTP (crafted on
 * raw sockets), the real exporter watches the veths. Checked against the
 * testbed's record (what each side sent, and which SACK acknowledged which
 * DATA chunk) and against a capture on the bridge decoded by tshark.
 */
import { execFileSync } from 'child_process';
import * as path from 'path';
import { ngapCounts, sackRoundTrips, Testbed, type RunRecord, type ScenarioInput } from '../sim/src';
import * as ngap from '../sim/src/ngap';
import { procedureOfCode } from '../sim/src/ngap';
import * as sctp from '../sim/src/sctp';
import { describeRoot, REPO, waitFor } from './lib/env';
import { metricSamples as samples, startExporter, type RunningExporter, type SummaryRow } from './lib/exporter';
import { slotBounds, slotOf } from '../exporter/src/histogram';
import { quantileBand } from './lib/quantile-bound';
import { Capture, sampleQuantile } from './lib/tshark';

type Row = SummaryRow;

const seriesKey = (t: { client: string; server: string; procedure: string }): string => `${t.client}→${t.server}|${t.procedure}`;

const label = (labels: string, name: string): string => new RegExp(`${name}="([^"]*)"`).exec(labels)?.[1] ?? '';

/**
 * DATA→SACK times from a capture on the bridge, for the chunks nfscope can
 * time: those whose TSN a SACK names as its cumulative TSN ack. Debian's
 * tshark 4.0 leaves sctp.data_rtt / sctp.sack_rtt empty for this traffic, so
 * tshark supplies the decoded fields and capture times (frame.time_epoch)
 * and the pairing is done here: first SACK from the receiver naming the TSN.
 */
function captureExactRoundTrips(file: string, nameOf: (ip: string) => string): Map<string, number[]> {
  const fields = ['frame.time_epoch', 'ip.src', 'ip.dst', 'ipv6.src', 'ipv6.dst', 'sctp.data_tsn_raw', 'ngap.procedureCode', 'sctp.sack_cumulative_tsn_ack_raw'];
  const text = execFileSync('tshark', ['-r', file, '-Y', 'sctp', '-T', 'fields', '-E', 'separator=\t', ...fields.flatMap((f) => ['-e', f])], {
    encoding: 'utf8',
    maxBuffer: 256 * 1024 * 1024,
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  // Outstanding DATA by sender and TSN: capture time (ns) and series.
  const sent = new Map<string, { at: bigint; key: string }>();
  const out = new Map<string, number[]>();
  const ns = (epoch: string): bigint => {
    const [s, f = ''] = epoch.split('.');
    return BigInt(s) * 1_000_000_000n + BigInt(f.padEnd(9, '0').slice(0, 9));
  };
  for (const line of text.split('\n')) {
    if (!line) continue;
    const [epoch, s4, d4, s6, d6, tsns, codes, cums] = line.split('\t');
    const at = ns(epoch);
    const from = nameOf(s4 || s6);
    const to = nameOf(d4 || d6);
    // A bundled SACK comes first in the packet: acknowledge before recording this packet's DATA.
    for (const cum of cums ? cums.split(',') : []) {
      const d = sent.get(`${to}|${cum}`);
      if (!d) continue;
      sent.delete(`${to}|${cum}`);
      out.set(d.key, [...(out.get(d.key) ?? []), Number(at - d.at) / 1e6]);
    }
    if (!tsns) continue;
    const code = Number(codes.split(',')[0]);
    sent.set(`${from}|${tsns.split(',')[0]}`, { at, key: `${from}→${to}|${procedureOfCode(code) ?? `procedure_${code}`}` });
  }
  return out;
}

describeRoot('N2: NGAP over SCTP on the testbed', () => {
  let tb: Testbed;
  let ex: RunningExporter | undefined;
  let capture: Capture | undefined;

  async function measure(scenario: ScenarioInput): Promise<{ record: RunRecord; rows: Row[]; metrics: string; file: string }> {
    ex = await startExporter(tb.exporterConfigYaml({ requestTimeout: '2s' }));
    capture = await Capture.start(tb.bridge, 'sctp');
    const record = await tb.run(scenario);
    const file = await capture.stop();
    await new Promise((r) => setTimeout(r, 2500)); // two exporter reads
    const s = await ex.getJson<{ latency: Row[] }>('/api/v1/summary?window=10m');
    const metrics = await ex.getText('/metrics');
    await ex.stop();
    ex = undefined;
    return { record, rows: s.latency.filter((r) => r.interface === 'N2'), metrics, file };
  }

  beforeAll(() => {
    tb = Testbed.create({ ipv6: true });
  });
  afterEach(async () => {
    await ex?.stop('SIGKILL');
    ex = undefined;
    await capture?.stop();
    capture?.remove();
    capture = undefined;
  });
  afterAll(() => {
    tb?.destroy();
    expect(tb.leftovers()).toEqual([]);
  });

  const check = async (scenario: ScenarioInput, sackDelayMs: number): Promise<void> => {
    const { record, rows, metrics, file } = await measure(scenario);
    expect(record.interrupted).toBe(false);
    const n2 = record.ngap!;
    expect(n2.unmatched).toEqual([]);

    // The record is consistent with itself: every initiating message reached its receiver, and a class 1
    // outcome is exactly the receiver's decision, no sooner than its processing delay.
    const outcomeOf: Record<string, string> = { answer: 'successful', reject: 'unsuccessful', ignore: 'timeout' };
    for (const p of n2.procedures) {
      expect({ p: `${p.procedure} ${p.tsn}`, receiver: p.receiver !== null }).toEqual({ p: `${p.procedure} ${p.tsn}`, receiver: true });
      if (p.class === 1 && p.receiver!.note === undefined)
        expect({ p: `${p.procedure} ${p.tsn}`, outcome: p.outcome }).toEqual({ p: `${p.procedure} ${p.tsn}`, outcome: outcomeOf[p.receiver!.decision] });
      if (p.latencyNs !== null) expect(p.latencyNs / 1e6).toBeGreaterThanOrEqual(p.receiver!.delayMs);
    }
    // SACKs as Linux sends them: never later than the delayed-SACK timer (plus scheduling slack);
    // with a timer, some chunks wait for it and some are acknowledged cumulatively by the 2nd-packet rule.
    const rtts = n2.data.filter((d) => d.rttNs !== null).map((d) => d.rttNs! / 1e6);
    expect(Math.max(...rtts)).toBeLessThan(sackDelayMs + 100);
    if (sackDelayMs > 0) {
      expect(rtts.filter((r) => r >= sackDelayMs).length).toBeGreaterThan(0);
      expect(n2.data.filter((d) => d.ack === 'cumulative').length).toBeGreaterThan(0);
    } else expect(n2.data.filter((d) => d.ack !== 'exact')).toEqual([]);

    // Procedures: initiating messages per initiator, responder and procedure; class 1 outcomes.
    const want = ngapCounts(n2.procedures);
    expect([...want.keys()].map((k) => k.split('|')[1]).sort()).toEqual(
      ['DownlinkNASTransport', 'InitialContextSetup', 'InitialUEMessage', 'NGSetup', 'PDUSessionResourceSetup', 'UEContextRelease', 'UplinkNASTransport'].sort(),
    );
    const procs = samples(metrics, 'nfscope_procedures_total');
    const outcomes = samples(metrics, 'nfscope_requests_total');
    const got = new Map<string, { sent: number; successful: number; unsuccessful: number; timeouts: number }>();
    const entry = (l: string) => {
      const k = `${label(l, 'client_nf')}→${label(l, 'server_nf')}|${label(l, 'procedure')}`;
      const e = got.get(k) ?? { sent: 0, successful: 0, unsuccessful: 0, timeouts: 0 };
      got.set(k, e);
      return e;
    };
    for (const [l, v] of procs) if (label(l, 'interface') === 'N2') entry(l).sent += v;
    for (const [l, v] of outcomes) {
      if (label(l, 'interface') !== 'N2') continue;
      const o = label(l, 'outcome');
      if (o === 'accepted') entry(l).successful += v;
      else if (o === 'rejected') entry(l).unsuccessful += v;
      else throw new Error(`unexpected N2 outcome ${l} ${v}`);
    }
    // nfscope does not time NGAP procedures out (it pairs SCTP, not NGAP): compare what it sees on the wire.
    const wire = new Map([...want].map(([k, w]) => [k, { ...w, timeouts: 0 }]));
    expect(Object.fromEntries(got)).toEqual(Object.fromEntries(wire));
    const rejected = [...want.values()].reduce((a, w) => a + w.unsuccessful, 0);
    expect(rejected).toBeGreaterThan(0);

    // DATA→SACK: nfscope times the chunks a SACK names exactly; the record knows which those were.
    const trips = sackRoundTrips(n2.data);
    const byKey = new Map(rows.map((r) => [seriesKey(r), r]));
    expect(Object.fromEntries([...byKey].map(([k, r]) => [k, r.count]))).toEqual(Object.fromEntries([...trips].map(([k, t]) => [k, t.length])));
    const bundled = n2.data.filter((d) => d.sackBundled).length;
    const cumulative = n2.data.filter((d) => d.ack === 'cumulative').length;
    expect(n2.data.filter((d) => d.ack === 'none')).toEqual([]);

    const ipName = new Map(tb.nfs.flatMap((n) => n.addresses.map((a) => [a, n.name] as [string, string])));
    const oracle = captureExactRoundTrips(file, (ip) => ipName.get(ip) ?? ip);
    const report: string[] = [
      `sackDelayMs ${sackDelayMs}: ${n2.data.length} DATA chunks, ${[...trips.values()].flat().length} timed (SACK bundled with DATA: ${bundled}), ${cumulative} acknowledged cumulatively`,
    ];
    const outside: string[] = [];
    for (const [k, times] of trips) {
      const row = byKey.get(k)!;
      expect({ k, capturedPairs: oracle.get(k)?.length ?? 0 }).toEqual({ k, capturedPairs: times.length });
      if (times.length < 20) continue;
      for (const [q, v] of [
        [0.5, row.p50_ms],
        [0.9, row.p90_ms],
        [0.99, row.p99_ms],
      ] as const) {
        const b = quantileBand(v, oracle.get(k)!, q, { slackMs: 0.3, oracle: 'capture' });
        const rec = sampleQuantile(times, q);
        const line = `${k} p${q * 100} (n=${times.length}): ${b.text}, record ${rec.toFixed(3)} ms`;
        report.push(line);
        // Within the band of the capture's order statistics and the histogram's slots (test/lib/quantile-bound.ts),
        // widened by 0.3 ms. The capture is taken on the bridge, and
        // the kernel stamps a packet for it when the veth queues it to the receive backlog (netif_rx, while a socket
        // asks for timestamps); nfscope's hooks run when the softirq takes it out. On a 2-CPU machine that wait
        // differs from packet to packet by up to a few hundred µs under load (seen: 260 µs on a sub-millisecond p99
        // of 59 round trips), and
        // with delayed SACKs the distribution has two modes (≈0.1 ms and ≈200 ms) whose sparse middle makes a
        // sub-millisecond quantile jump between neighbouring samples. Never above the record, which times the same
        // round trip from the agents' sockets (a longer path), by more than the slot its value is in.
        if (!b.ok || v === null || v > slotBounds(slotOf(rec * 1e6))[1] / 1e6) outside.push(line);
      }
    }
    process.stdout.write(`${report.join('\n')}\n`);
    expect(outside).toEqual([]);

    // One association, set up and shut down as SCTP does (RFC 9260 §5.1, §9.2), every checksum right.
    const chunkTypes = execFileSync('tshark', ['-r', file, '-o', 'sctp.checksum:CRC 32c', '-Y', 'sctp', '-T', 'fields', '-e', 'sctp.chunk_type', '-e', 'sctp.checksum.status'], { encoding: 'utf8' })
      .split('\n')
      .filter(Boolean)
      .map((l) => l.split('\t'));
    expect(chunkTypes.filter(([, ok]) => ok !== '1')).toEqual([]);
    const control = chunkTypes.flatMap(([t]) => t.split(',')).filter((t) => !['0', '3'].includes(t));
    expect(control).toEqual(['1', '2', '10', '11', '7', '8', '14']); // INIT … COOKIE ACK, SHUTDOWN, SHUTDOWN ACK, SHUTDOWN COMPLETE

    // Packets per direction: what each side sent, as nfscope counted it on the N2 port.
    const packets = samples(metrics, 'nfscope_packets_total');
    const bytes = samples(metrics, 'nfscope_bytes_total');
    for (const c of n2.packets) {
      const l = `{src_nf="${c.from}",dst_nf="${c.to}",interface="N2"}`;
      const overhead = 14 + (c.ipFamily === 4 ? 20 : 40); // Ethernet and IP headers
      expect({ l, packets: packets.get(l), bytes: bytes.get(l) }).toEqual({ l, packets: c.packets, bytes: c.bytes + overhead * c.packets });
    }
  };

  test('every N2 procedure counted per NF pair; DATA→SACK with the 200 ms delayed-SACK timer and bundling agrees with the record and the capture', async () => {
    await check(
      {
        seed: 5,
        durationMs: 10_000,
        pfcp: { sessionsPerSecond: 1, reportsPerSecond: 1 },
        gtpu: { gpduPerSecond: 10 },
        ngap: {
          uesPerSecond: 8,
          ueHoldMs: 300,
          responder: { delay: { kind: 'lognormal', medianMs: 3, sigma: 0.6 }, noResponseRate: 0.03 },
          procedures: { NGSetup: { rejectRate: 0.5, noResponseRate: 0 }, InitialContextSetup: { rejectRate: 0.15 } },
        },
      },
      200,
    );
  });

  test('IPv6, a SACK for every packet at once (no delay): sub-millisecond round trips', async () => {
    await check(
      {
        seed: 9,
        durationMs: 6000,
        ipFamily: 6,
        pfcp: { sessionsPerSecond: 1, reportsPerSecond: 0 },
        gtpu: { gpduPerSecond: 0 },
        ngap: { uesPerSecond: 10, ueHoldMs: 100, sackDelayMs: 0, responder: { delay: { kind: 'uniform', minMs: 1, maxMs: 5 } }, procedures: { InitialContextSetup: { rejectRate: 0.2 } } },
      },
      0,
    );
  });

  test('malformed SCTP and NGAP input counts nothing; a packet reads at most 4 chunks', async () => {
    ex = await startExporter(tb.exporterConfigYaml({ requestTimeout: '2s' }));
    const [gnb, amf] = ['gnb-1', 'amf-1'].map((n) => tb.nfs.find((x) => x.name === n)!);
    const send = (from: typeof gnb, to: typeof gnb, ...packets: Buffer[]): void => {
      execFileSync('ip', [
        'netns',
        'exec',
        from.netns,
        process.execPath,
        path.join(REPO, 'test/tools/send-raw.js'),
        '--proto',
        '132',
        '--to',
        to.ipv4,
        '--gap-ms',
        '5',
        ...packets.flatMap((p) => ['--hex', p.toString('hex')]),
      ]);
    };
    const pkt = (...chunks: sctp.Chunk[]): Buffer => sctp.encodePacket({ srcPort: 40000, dstPort: 38412, vtag: 7, chunks });
    const back = (...chunks: sctp.Chunk[]): Buffer => sctp.encodePacket({ srcPort: 38412, dstPort: 40000, vtag: 8, chunks });
    const msg = (m: ngap.NgapMessage): Buffer => ngap.encode(m);
    const dataChunk = (tsn: number, payload: Buffer, ppid = 60): sctp.Chunk => sctp.data({ tsn, stream: 0, ssn: 0, ppid, payload });
    const raw = (type: number, value: Buffer): Buffer => {
      const b = Buffer.alloc(4 + value.length);
      b[0] = type;
      b.writeUInt16BE(b.length, 2);
      value.copy(b, 4);
      return b;
    };
    /** An SCTP packet whose chunk bytes are given as is (lengths as written, checksum filled in). */
    const rawPkt = (...chunkBytes: Buffer[]): Buffer => {
      const h = Buffer.alloc(12);
      h.writeUInt16BE(40000, 0);
      h.writeUInt16BE(38412, 2);
      h.writeUInt32BE(7, 4);
      const b = Buffer.concat([h, ...chunkBytes]);
      b.writeUInt32LE(sctp.crc32c(b), 8);
      return b;
    };
    const ngSetup = msg(ngap.request('NGSetup'));
    const initialUe = msg(ngap.request('InitialUEMessage', { ran: 1 }));

    send(
      gnb,
      amf,
      pkt().subarray(0, 8), // shorter than the common header
      rawPkt(Buffer.from([0, 3, 0, 0]), raw(0, Buffer.alloc(16))), // a chunk of length 0 first: the walk must stop
      rawPkt(raw(0, Buffer.from([0, 0, 0, 9, 0, 0, 0, 0, 0, 0, 0, 60, 0]))), // DATA of 17 octets: no NGAP procedure code
      rawPkt(
        (() => {
          const c = raw(0, Buffer.concat([Buffer.from([0, 0, 0, 10, 0, 0, 0, 0, 0, 0, 0, 60]), ngSetup]));
          c.writeUInt16BE(c.length + 40, 2);
          return c;
        })(),
      ), // DATA longer than the packet
      pkt(dataChunk(11, ngSetup, 46)), // not NGAP (PPID 46)
      pkt(dataChunk(12, Buffer.from([0x60, 21, 0, 0]))), // no NGAP-PDU CHOICE of that value
      pkt(sctp.sack(1, 1000)).subarray(0, 12 + 8), // SACK cut short
      // Five DATA chunks with InitialUEMessage in one packet: the datapath reads four.
      pkt(...[20, 21, 22, 23, 24].map((t) => dataChunk(t, initialUe))),
    );
    send(amf, gnb, back(sctp.sack(999, 1000)), back({ type: 3, flags: 0, value: Buffer.alloc(2) })); // a SACK for nothing sent; a SACK too short to read
    // Then a well-formed NG Setup and its SACK: counted, so the datapath is still watching.
    send(gnb, amf, pkt(dataChunk(100, ngSetup)));
    send(amf, gnb, back(sctp.sack(100, 1000)));

    const counts = async (): Promise<Record<string, number>> => {
      const m = await ex!.getText('/metrics');
      const out: Record<string, number> = {};
      for (const [l, v] of samples(m, 'nfscope_procedures_total')) if (label(l, 'interface') === 'N2') out[`${label(l, 'client_nf')}→${label(l, 'server_nf')}|${label(l, 'procedure')}`] = v;
      for (const [l, v] of samples(m, 'nfscope_requests_total')) if (label(l, 'interface') === 'N2') out[`outcome ${label(l, 'procedure')} ${label(l, 'outcome')}`] = v;
      return out;
    };
    await waitFor(
      'the NG Setup round trip',
      async () => ((await ex!.getJson<{ latency: Row[] }>('/api/v1/summary?window=10m')).latency.some((r) => r.interface === 'N2' && r.procedure === 'NGSetup') ? true : undefined),
      5000,
    );
    await new Promise((r) => setTimeout(r, 2500)); // past the in-flight timeout and a sweep: nothing else may appear
    expect(await counts()).toEqual({ 'gnb-1→amf-1|NGSetup': 1, 'gnb-1→amf-1|InitialUEMessage': 4 });
    const rows = (await ex.getJson<{ latency: Row[] }>('/api/v1/summary?window=10m')).latency.filter((r) => r.interface === 'N2');
    // Only the NG Setup DATA was SACKed: the InitialUEMessage procedures (counted above) have no round trip.
    expect(rows.filter((r) => r.count > 0 || r.timeouts > 0).map((r) => [seriesKey(r), r.count, r.timeouts])).toEqual([['gnb-1→amf-1|NGSetup', 1, 0]]);
    expect((await fetch(`${ex.url}/readyz`)).status).toBe(200);
  });
});
