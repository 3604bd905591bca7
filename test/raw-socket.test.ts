/**
 * The simulator's raw sockets (exporter/src/kernel/raw-socket.ts over the binding's rawOpen,
 * rawSend and rawWatch): packets read from the event loop arrive whole, once
 * and in order; close() stops the reads and closes the socket. Loopback only,
 * on an experimental protocol number (RFC 3692) that nothing else uses.
 */
import * as fs from 'fs';
import { RawSocket, rawBinding } from '../exporter/src/kernel/raw-socket';
import { describeRoot, waitFor } from './lib/env';

const PROTO = 253;
const IPV4_HEADER = 20;

describeRoot('raw sockets read on the event loop', () => {
  test('every packet once, whole and in order, with bursts larger than one read batch', async () => {
    const got: Buffer[] = [];
    const errors: Error[] = [];
    const sock = new RawSocket(
      '127.0.0.1',
      PROTO,
      (p) => got.push(p),
      (e) => errors.push(e),
    );
    const sent: Buffer[] = [];
    try {
      // Bursts of 150 sent synchronously: more than the 64 packets one readiness report reads.
      for (let burst = 0; burst < 4; burst++) {
        for (let i = 0; i < 150; i++) {
          const p = Buffer.alloc(8 + (i % 40));
          p.writeUInt32BE(burst * 150 + i, 0);
          p.fill(i & 0xff, 4);
          sock.send(p, '127.0.0.1');
          sent.push(p);
        }
        await waitFor(`burst ${burst} read`, () => (got.length >= sent.length ? true : undefined), 5000, 10);
      }
    } finally {
      sock.close();
    }
    expect(errors).toEqual([]);
    expect(got.length).toBe(sent.length);
    // Raw IPv4 sockets deliver the IP header too.
    expect(got.map((p) => p.subarray(IPV4_HEADER).toString('hex'))).toEqual(sent.map((p) => p.toString('hex')));
    expect(got.every((p) => p[9] === PROTO)).toBe(true);
  });

  test('close() stops the reads and closes the socket; a second close() is harmless', async () => {
    let after = 0;
    let open = true;
    const addon = rawBinding();
    const fd = addon.rawOpen(4, PROTO, false);
    const other = new RawSocket(
      '127.0.0.1',
      PROTO,
      () => undefined,
      () => undefined,
    );
    const stop = addon.rawWatch(fd, () => {
      if (!open) after++;
    });
    stop();
    open = false;
    stop(); // the watch is already gone
    other.send(Buffer.from('after stop'), '127.0.0.1');
    await new Promise((r) => setTimeout(r, 100));
    expect(after).toBe(0);
    addon.closeFd(fd);
    other.close();
    other.close();
    expect(() => fs.fstatSync(fd)).toThrow(/EBADF/);
  });

  test('bad arguments are refused by name', () => {
    const addon = rawBinding();
    expect(() => (addon.rawWatch as unknown as (a: unknown, b: unknown) => void)('x', () => undefined)).toThrow(/rawWatch\(fd, onPacket/);
    expect(() => addon.rawWatch(-1, () => undefined)).toThrow(/non-blocking/);
  });
});
