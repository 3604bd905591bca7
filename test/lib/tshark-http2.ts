/**
 * tshark as the SBI oracle: Wireshark's HTTP/2 dissector (with its own TCP
 * reassembly and HPACK decoder) reads a capture; streams are paired here on
 * tcp.stream + http2.streamid, the first client HEADERS against the first
 * server HEADERS, and the time is the difference of frame.time_epoch.
 */
import { tsharkFields } from './tshark';

export interface Http2Exchange {
  client: string;
  server: string;
  method: string;
  /** :status of the first response HEADERS, or null when the stream got none */
  status: number | null;
  /** response time in ms, or null without a response */
  ms: number | null;
}

/**
 * Every client stream of the capture. `ports` are the server ports (passed to
 * tshark as `-d tcp.port==P,http2`, prior knowledge); `nameOf` turns an
 * address into an NF name.
 */
export function http2Exchanges(file: string, ports: number[], nameOf: (ip: string) => string): Http2Exchange[] {
  const fields = ['tcp.stream', 'frame.time_epoch', 'ip.src', 'ipv6.src', 'ip.dst', 'ipv6.dst', 'tcp.dstport', 'http2.type', 'http2.streamid', 'http2.headers.method', 'http2.headers.status'];
  const rows = tsharkFields(
    file,
    'http2.type == 1',
    fields,
    ports.flatMap((p) => ['-d', `tcp.port==${p},http2`]),
  );
  const streams = new Map<string, { client: string; server: string; method: string; t0: number; status: number | null; t1: number | null }>();
  for (const [tcpStream, t, src4, src6, dst4, dst6, dport, types, ids, methods, statuses] of rows) {
    const time = Number(t);
    const toServer = ports.includes(Number(dport));
    const src = src4 || src6;
    const dst = dst4 || dst6;
    const typeList = types.split(',');
    const idList = ids.split(',');
    // One :method per request HEADERS and one :status per response HEADERS, in frame order.
    const methodList = methods ? methods.split(',') : [];
    const statusList = statuses ? statuses.split(',') : [];
    let m = 0;
    let s = 0;
    typeList.forEach((type, i) => {
      if (type !== '1') return;
      const key = `${tcpStream}/${idList[i]}`;
      if (toServer) {
        const method = methodList[m++];
        if (method === undefined) return; // trailers
        if (!streams.has(key)) streams.set(key, { client: nameOf(src), server: nameOf(dst), method, t0: time, status: null, t1: null });
      } else {
        const status = statusList[s++];
        const e = streams.get(key);
        if (status === undefined || !e || e.t1 !== null) return;
        e.status = Number(status);
        e.t1 = time;
      }
    });
  }
  return [...streams.values()].map((e) => ({
    client: e.client,
    server: e.server,
    method: e.method,
    status: e.status,
    ms: e.t1 === null ? null : (e.t1 - e.t0) * 1000,
  }));
}
