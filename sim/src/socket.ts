/** A bound UDP socket for an agent, in the address family of its address. */
import * as dgram from 'dgram';
import { isIPv6 } from 'net';

export async function bindUdp(address: string, port: number): Promise<dgram.Socket> {
  const sock = dgram.createSocket({ type: isIPv6(address) ? 'udp6' : 'udp4', reuseAddr: false });
  await new Promise<void>((resolve, reject) => {
    sock.once('error', reject);
    sock.bind(port, address, () => {
      sock.off('error', reject);
      resolve();
    });
  });
  return sock;
}

/** "address port": identifies a peer socket (unambiguous for IPv6 too). */
export function endpoint(address: string, port: number): string {
  return `${address} ${port}`;
}

export function parseEndpoint(e: string): { address: string; port: number } {
  const i = e.lastIndexOf(' ');
  return { address: e.slice(0, i), port: Number(e.slice(i + 1)) };
}
