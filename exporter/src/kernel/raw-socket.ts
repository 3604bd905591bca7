/**
 * A raw IP socket for one protocol (SCTP on the testbed's N2: the kernel here
 * has no SCTP sockets), over the native binding that the exporter builds (the
 * project's only native code). The exporter does not use it; the simulator
 * imports it as @nfscope/exporter/raw-socket. Packets are read on the event
 * loop, as dgram reads a UDP socket: libuv reports the socket readable, the
 * binding reads it until it would block.
 */
import { isIPv6 } from 'net';
import { loadAddon } from './addon';

/** The native binding's raw-socket calls. */
export interface RawBinding {
  rawOpen(family: 4 | 6, protocol: number, headerIncluded: boolean): number;
  rawSend(fd: number, packet: Buffer, address: string): number;
  /** Reads a raw socket from the event loop; the function returned stops it (the fd stays open). */
  rawWatch(fd: number, onPacket: (err: Error | null, packet: Buffer | undefined) => void): () => void;
  closeFd(fd: number): void;
}

/** The binding's raw-socket calls, loaded on first use. */
export function rawBinding(): RawBinding {
  return loadAddon<RawBinding>();
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
    this.addon = rawBinding();
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
