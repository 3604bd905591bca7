/**
 * A tiny pcap writer (the classic libpcap format, nanosecond variant) for
 * Ethernet/IPv4/UDP frames built here, so that independent dissectors
 * (tshark) can check what the codecs produce.
 */
import { ipv4UdpPacket } from './inet';

/** Magic of the nanosecond-resolution pcap format (written little-endian). */
const PCAP_MAGIC_NS = 0xa1b23c4d;
const LINKTYPE_ETHERNET = 1;
const SNAPLEN = 65535;
const ETHERTYPE_IPV4 = 0x0800;

export interface PcapRecord {
  /** Capture time, nanoseconds since the Unix epoch. */
  timeNs: bigint;
  /** The link-layer frame (Ethernet). */
  frame: Buffer;
}

/** pcap file contents: global header (24 octets), then a 16-octet header per record. */
export function pcapFile(records: readonly PcapRecord[]): Buffer {
  const g = Buffer.alloc(24);
  g.writeUInt32LE(PCAP_MAGIC_NS, 0);
  g.writeUInt16LE(2, 4); // version 2.4
  g.writeUInt16LE(4, 6);
  g.writeInt32LE(0, 8); // thiszone
  g.writeUInt32LE(0, 12); // sigfigs
  g.writeUInt32LE(SNAPLEN, 16);
  g.writeUInt32LE(LINKTYPE_ETHERNET, 20);
  const parts: Buffer[] = [g];
  for (const r of records) {
    const h = Buffer.alloc(16);
    h.writeUInt32LE(Number(r.timeNs / 1_000_000_000n), 0);
    h.writeUInt32LE(Number(r.timeNs % 1_000_000_000n), 4);
    h.writeUInt32LE(r.frame.length, 8);
    h.writeUInt32LE(r.frame.length, 12);
    parts.push(h, r.frame);
  }
  return Buffer.concat(parts);
}

/** Locally administered MAC address derived from an IPv4 address (02:00:a.b.c.d). */
function macFor(ipv4: string): Buffer {
  return Buffer.from([0x02, 0x00, ...ipv4.split('.').map(Number)]);
}

/** An Ethernet II frame carrying an IPv4/UDP packet. */
export function ethernetIpv4Udp(p: { src: string; dst: string; srcPort: number; dstPort: number; payload: Buffer; id?: number }): Buffer {
  const eth = Buffer.alloc(14);
  macFor(p.dst).copy(eth, 0);
  macFor(p.src).copy(eth, 6);
  eth.writeUInt16BE(ETHERTYPE_IPV4, 12);
  return Buffer.concat([eth, ipv4UdpPacket(p.src, p.dst, p.srcPort, p.dstPort, p.payload, p.id)]);
}
