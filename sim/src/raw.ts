/**
 * A raw IP socket for one protocol (SCTP on N2: the kernel has no SCTP
 * sockets), through the exporter's native binding, which already owns the
 * project's only native code. Packets are read on the libuv thread pool, one
 * blocking read at a time; close() wakes the last read with a packet to this
 * namespace's loopback (which no nfscope hook sees), so that the process can
 * exit.
 */
import * as fs from 'fs';
import { isIPv6 } from 'net';
import * as path from 'path';

interface RawBinding {
  rawOpen(family: 4 | 6, protocol: number, headerIncluded: boolean): number;
  rawSend(fd: number, packet: Buffer, address: string): number;
}

/** exporter/dist/kernel/bpf.js, from sim/dist/*.js or (under jest) sim/src/*.ts. */
const BINDING_MODULE = path.resolve(__dirname, '..', '..', 'exporter', 'dist', 'kernel', 'bpf.js');

function binding(): RawBinding {
  let mod: { native(): RawBinding };
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    mod = require(BINDING_MODULE) as typeof mod;
  } catch (e) {
    throw new Error(`raw sockets need the exporter's native binding (${BINDING_MODULE}): ${(e as Error).message}; build it with \`npm run build\``);
  }
  return mod.native();
}

export class RawSocket {
  readonly family: 4 | 6;
  private readonly addon: RawBinding;
  private readonly fd: number;
  private closing = false;

  /**
   * Opens a raw socket of `protocol` in the address family of `address` and
   * hands every packet to `onPacket`: for IPv4 with its IP header, for IPv6
   * without (that is how raw sockets deliver them).
   */
  constructor(address: string, protocol: number, onPacket: (pkt: Buffer) => void, onError: (e: Error) => void) {
    this.family = isIPv6(address) ? 6 : 4;
    this.addon = binding();
    this.fd = this.addon.rawOpen(this.family, protocol, false);
    const buf = Buffer.alloc(65536);
    const next = (): void =>
      fs.read(this.fd, buf, 0, buf.length, null, (e, n) => {
        if (this.closing) return;
        if (e) return onError(e);
        onPacket(Buffer.from(buf.subarray(0, n)));
        next();
      });
    next();
  }

  /** Sends one packet (the kernel adds the IP header). Throws on failure. */
  send(packet: Buffer, to: string): void {
    this.addon.rawSend(this.fd, packet, to);
  }

  /** Stops reading: the blocked read is woken through loopback so that it does not hold the thread pool. */
  close(): void {
    if (this.closing) return;
    this.closing = true;
    try {
      this.addon.rawSend(this.fd, Buffer.alloc(4), this.family === 6 ? '::1' : '127.0.0.1');
    } catch {
      // Loopback is down: the process exit below still ends the read.
    }
  }
}
