/** Whole Ethernet frames for BPF_PROG_TEST_RUN (bpftool prog run … data_in FILE). */

function ipv4Header(src: string, dst: string, proto: number, payloadLen: number): Buffer {
  const h = Buffer.alloc(20);
  h[0] = 0x45;
  h.writeUInt16BE(20 + payloadLen, 2);
  h[6] = 0x40; // DF
  h[8] = 64;
  h[9] = proto;
  Buffer.from(src.split('.').map(Number)).copy(h, 12);
  Buffer.from(dst.split('.').map(Number)).copy(h, 16);
  let sum = 0;
  for (let i = 0; i < 20; i += 2) sum += h.readUInt16BE(i);
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  h.writeUInt16BE(~sum & 0xffff, 10);
  return h;
}

const ETHERNET = Buffer.from('02000000000202000000000108' + '00', 'hex');

/** Ethernet + IPv4 + UDP frame (UDP checksum 0: none) carrying payload. */
export function udpFrame(src: string, dst: string, sport: number, dport: number, payload: Buffer): Buffer {
  const udp = Buffer.alloc(8);
  udp.writeUInt16BE(sport, 0);
  udp.writeUInt16BE(dport, 2);
  udp.writeUInt16BE(8 + payload.length, 4);
  return Buffer.concat([ETHERNET, ipv4Header(src, dst, 17, 8 + payload.length), udp, payload]);
}

/** Ethernet + IPv4 frame carrying an already built L4 packet (e.g. SCTP). */
export function ipFrame(src: string, dst: string, proto: number, l4: Buffer): Buffer {
  return Buffer.concat([ETHERNET, ipv4Header(src, dst, proto, l4.length), l4]);
}

/** A struct __sk_buff (192 octets on Linux 6.x) for ctx_in with only ingress_ifindex set. */
export function skbCtx(ingressIfindex: number): Buffer {
  const c = Buffer.alloc(192);
  c.writeUInt32LE(ingressIfindex, 36);
  return c;
}
