/**
 * GTP-U agent (N3/N9, UDP 2152), run inside an NF's namespace:
 *   ip netns exec NS node gtpu-agent.js '{"echo":{…},…}'
 *
 * Sends Echo Requests to its peers and answers theirs (TS 29.281 §7.2), sends
 * G-PDUs at a rate (a gNB's uplink), counts the G-PDUs it receives per
 * tunnel, and forwards tunnels to the next hop with a new TEID (an
 * intermediate UPF: N3 in, N9 out).
 */
import type { Behaviour } from '../behaviour';
import { RequestTracker, type Peer } from '../client';
import * as gtpu from '../gtpu';
import { interfaceBetween } from '../interfaces';
import type { GpduCount } from '../record';
import { Responder } from '../responder';
import { atRate, everyMs, type Ticker } from '../schedule';
import { bindUdp, endpoint, parseEndpoint } from '../socket';
import { agentMain, AgentRuntime, type CommonArgs, type NfRef } from './runtime';

type GtpInterface = 'N3' | 'N9';

export interface GtpuAgentArgs extends CommonArgs {
  echo: { peers: Array<NfRef & { interface: GtpInterface }>; intervalMs: number; t3Ms: number; n3: number };
  /** How Echo Requests are answered (rejectRate is always 0: Echo Response has no Cause). */
  responder: Behaviour;
  /** G-PDU flows this NF originates. */
  send: Array<{ to: NfRef; interface: GtpInterface; teid: number; perSecond: number; size: number; qfi: number | null; downlink?: boolean }>;
  /** Tunnels that end here (TEIDs of this NF), with the interface they arrive on. */
  receive: Array<{ teid: number; interface: GtpInterface }>;
  /** Received tunnels passed on to a next hop with that hop's TEID. */
  forward: Array<{ inTeid: number; to: NfRef; interface: GtpInterface; teid: number }>;
}

async function main(): Promise<void> {
  const args = AgentRuntime.parseArgs<GtpuAgentArgs>(process.argv.slice(2), ['echo', 'responder', 'send', 'receive', 'forward']);
  const rt = new AgentRuntime(args);
  const sock = await bindUdp(args.address, gtpu.GTPU_PORT);
  const send = (bytes: Buffer, to: { address: string; port: number }): void => {
    sock.send(bytes, to.port, to.address, (err) => {
      if (err) {
        rt.count('sendErrors');
        if ((rt.stats.sendErrors ?? 0) <= 5) rt.log(`send to ${to.address}: ${err.message}`);
      }
    });
  };

  const tracker = new RequestTracker({
    client: args.name,
    clientType: args.type,
    clientAddress: args.address,
    timerMs: args.echo.t3Ms,
    retries: args.echo.n3,
    send,
    emit: (t) => rt.emit({ t: 'tx', ...t }),
  });
  const responder = new Responder({
    name: args.name,
    seed: args.seed,
    rememberMs: (args.echo.n3 + 1) * args.echo.t3Ms + 1000,
    send: (bytes, from) => send(bytes, parseEndpoint(from)),
    emit: (v) => rt.emit({ t: 'rx', ...v }),
  });

  // G-PDU counters: by direction, interface, endpoints and TEID.
  const counters = new Map<string, GpduCount>();
  const countGpdu = (c: Omit<GpduCount, 'packets' | 'bytes'>, bytes: number): void => {
    const k = `${c.direction}|${c.interface}|${c.from}|${c.to}|${c.teid}`;
    let x = counters.get(k);
    if (!x) counters.set(k, (x = { ...c, packets: 0, bytes: 0 }));
    x.packets++;
    x.bytes += bytes;
  };
  const receiving = new Map(args.receive.map((r) => [r.teid, r]));
  const forwarding = new Map(args.forward.map((f) => [f.inTeid, f]));

  sock.on('message', (buf, rinfo) => {
    let m: gtpu.GtpuMessage;
    try {
      m = gtpu.decodeGtpu(buf);
    } catch {
      rt.count('malformed');
      return;
    }
    const peerNf = rt.nfAt(rinfo.address);
    switch (m.type) {
      case gtpu.GtpuType.EchoRequest: {
        if (m.seq === undefined) return void rt.count('echoWithoutSequence');
        const seq = m.seq;
        const iface = peerNf ? interfaceBetween(peerNf.type, args.type) : 'N3';
        responder.handle({ interface: iface, procedure: 'Echo', seq, client: rt.nameAt(rinfo.address), from: endpoint(rinfo.address, rinfo.port), behaviour: args.responder }, () => ({
          bytes: gtpu.echoResponse(seq),
        }));
        return;
      }
      case gtpu.GtpuType.EchoResponse:
        if (m.seq !== undefined) tracker.response(rinfo.address, 'Echo', m.seq, { outcome: 'accepted' });
        return;
      case gtpu.GtpuType.GPdu: {
        const r = receiving.get(m.teid);
        if (!r) return void rt.count('unknownTeid');
        countGpdu({ direction: 'received', interface: r.interface, from: rt.nameAt(rinfo.address), to: args.name, teid: m.teid }, buf.length);
        const f = forwarding.get(m.teid);
        if (f) {
          // An intermediate UPF: same T-PDU (and extension headers), the next hop's TEID.
          const out = Buffer.from(buf);
          gtpu.setTeid(out, f.teid);
          send(out, { address: f.to.address, port: gtpu.GTPU_PORT });
          countGpdu({ direction: 'sent', interface: f.interface, from: args.name, to: f.to.name, teid: f.teid }, out.length);
        }
        return;
      }
      default:
        rt.count('otherMessageTypes');
    }
  });

  const tickers: Ticker[] = [];
  let echoSeq = 0;
  const echoPeers: Array<Peer & { interface: GtpInterface }> = args.echo.peers.map((x) => ({ ...x, port: gtpu.GTPU_PORT }));
  rt.onStart(() => {
    tickers.push(
      everyMs(args.echo.intervalMs, () => {
        for (const peer of echoPeers) {
          const seq = (echoSeq = (echoSeq + 1) & 0xffff);
          tracker.request({ interface: peer.interface, procedure: 'Echo', seq, bytes: gtpu.echoRequest(seq), peer });
        }
      }),
    );
    for (const s of args.send) {
      // One datagram, sent again and again: it is not modified after creation, so reusing it is safe.
      const tpdu = s.downlink ? gtpu.downlinkTpdu(s.size) : gtpu.uplinkTpdu(s.size);
      const datagram = gtpu.gpdu(s.teid, tpdu, s.qfi === null ? {} : { qfi: s.qfi, downlink: s.downlink });
      const to = { address: s.to.address, port: gtpu.GTPU_PORT };
      const what = { direction: 'sent' as const, interface: s.interface, from: args.name, to: s.to.name, teid: s.teid };
      tickers.push(
        atRate(s.perSecond, () => {
          send(datagram, to);
          countGpdu(what, datagram.length);
        }),
      );
    }
  });
  rt.onEnd(() => tickers.forEach((t) => t.stop()));
  rt.setDrained(() => tracker.outstanding === 0);
  rt.onShutdown((interrupted) => {
    tracker.close(interrupted);
    responder.close();
    rt.count('unmatchedResponses', tracker.unmatchedResponses);
    for (const c of counters.values()) rt.emit({ t: 'gpdu', ...c });
    sock.close();
  });
  rt.run();
}

if (require.main === module) agentMain(main);
