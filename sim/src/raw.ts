/**
 * A raw IP socket for one protocol (SCTP on N2: the kernel has no SCTP
 * sockets), through the exporter's native binding, which already owns the
 * project's only native code. Packets are read on the event loop, as dgram
 * reads a UDP socket: libuv reports the socket readable, the binding reads it
 * until it would block.
 */
import { isIPv6 } from 'net';
import * as path from 'path';

interface RawBinding {
  rawOpen(family: 4 | 6, protocol: number, headerIncluded: boolean): number;
  rawSend(fd: number, packet: Buffer, address: string): number;
  rawWatch(fd: number, onPacket: (err: Error | null, packet: Buffer | undefined) => void): () => void;
  closeFd(fd: number): void;
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
  private readonly stopWatch: () => void;
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
    try {
      this.stopWatch = this.addon.rawWatch(this.fd, (e, pkt) => {
        if (this.closing) return;
        if (e) return onError(e);
        if (pkt) onPacket(pkt);
      });
    } catch (e) {
      this.addon.closeFd(this.fd);
      throw e;
    }
  }

  /** Sends one packet (the kernel adds the IP header). Throws on failure. */
  send(packet: Buffer, to: string): void {
    this.addon.rawSend(this.fd, packet, to);
  }

  /** Stops reading and closes the socket. */
  close(): void {
    if (this.closing) return;
    this.closing = true;
    this.stopWatch();
    this.addon.closeFd(this.fd);
  }
}
