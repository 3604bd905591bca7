/**
 * The server side of a Grafana page, as much of it as a frontend data-source
 * plugin meets: static files (the host page and public/plugins/<id>/ from
 * the plugin's dist/) and the data proxy at
 * /api/datasources/proxy/uid/<uid>/…, which forwards to the data source's
 * URL and applies plugin.json's routes the way Grafana's data proxy does
 * (route path prefix; headers templated with {{ .JsonData.x }} and
 * {{ .SecureJsonData.y }}, a missing key printing "<no value>" as Go's
 * text/template does). The browser never sees secureJsonData.
 */
import * as fs from 'fs';
import * as http from 'http';
import type { AddressInfo } from 'net';
import * as path from 'path';
import { assertAnswer } from '@nfscope/api/dist/validate';

export interface PluginRoute {
  path: string;
  method?: string;
  url?: string;
  headers?: Array<{ name: string; content: string }>;
}

export interface DataSourceConfig {
  uid: string;
  /** The data source's URL (the exporter). */
  url: string;
  jsonData: Record<string, unknown>;
  secureJsonData: Record<string, string>;
}

export interface ForwardedRequest {
  method: string;
  /** Path and query as the exporter received them. */
  path: string;
  headers: http.OutgoingHttpHeaders;
  status: number;
  /** How the answer broke the API contract (@nfscope/api's schema); empty when it kept it. */
  contract: string[];
}

const TYPES: Record<string, string> = {
  '.html': 'text/html',
  '.js': 'application/javascript',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.map': 'application/json',
  '.md': 'text/markdown',
};

function template(text: string, ds: DataSourceConfig): string {
  return text.replace(/\{\{\s*\.(JsonData|SecureJsonData)\.([A-Za-z0-9_]+)\s*\}\}/g, (_, where: string, key: string) => {
    const v = where === 'JsonData' ? ds.jsonData[key] : ds.secureJsonData[key];
    return v === undefined ? '<no value>' : String(v);
  });
}

export class GrafanaStandIn {
  readonly forwarded: ForwardedRequest[] = [];

  private constructor(
    private readonly server: http.Server,
    readonly url: string,
    readonly ds: DataSourceConfig,
  ) {}

  static async start(opts: { pluginId: string; pluginDist: string; hostDir: string; routes: PluginRoute[]; ds: DataSourceConfig }): Promise<GrafanaStandIn> {
    // The request handler needs the stand-in, which needs the server's port: assigned once it listens.
    // eslint-disable-next-line prefer-const -- the handler closes over it before the assignment
    let self: GrafanaStandIn | undefined;
    const server = http.createServer((req, res) => self!.handle(req, res, opts));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as AddressInfo).port;
    self = new GrafanaStandIn(server, `http://127.0.0.1:${port}`, opts.ds);
    return self;
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      this.server.closeAllConnections();
      this.server.close(() => resolve());
    });
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse, opts: { pluginId: string; pluginDist: string; hostDir: string; routes: PluginRoute[] }): void {
    const u = new URL(req.url ?? '/', 'http://x');
    const proxyPrefix = `/api/datasources/proxy/uid/${this.ds.uid}/`;
    if (u.pathname.startsWith(proxyPrefix)) return this.proxy(req, res, u.pathname.slice(proxyPrefix.length), u.search, opts.routes);
    if (u.pathname.startsWith('/api/')) return json(res, 404, { message: 'Not found' });
    const pluginPrefix = `/public/plugins/${opts.pluginId}/`;
    const [dir, rel] = u.pathname.startsWith(pluginPrefix) ? [opts.pluginDist, u.pathname.slice(pluginPrefix.length)] : [opts.hostDir, u.pathname.slice(1) || 'index.html'];
    const file = path.resolve(dir, decodeURIComponent(rel));
    if (!file.startsWith(path.resolve(dir) + path.sep) || !fs.existsSync(file) || !fs.statSync(file).isFile()) return json(res, 404, { message: `no such file: ${u.pathname}` });
    res.writeHead(200, { 'Content-Type': TYPES[path.extname(file)] ?? 'application/octet-stream' });
    fs.createReadStream(file).pipe(res);
  }

  private proxy(req: http.IncomingMessage, res: http.ServerResponse, proxyPath: string, search: string, routes: PluginRoute[]): void {
    const target = new URL(this.ds.url);
    const headers: http.OutgoingHttpHeaders = { ...req.headers, host: target.host };
    // Grafana does not pass the browser's credentials on to the data source.
    for (const h of ['cookie', 'authorization', 'origin', 'referer']) delete headers[h];
    let pathOut = `${target.pathname.replace(/\/$/, '')}/${proxyPath}`;
    const route = routes.find(
      (r) =>
        proxyPath.startsWith(r.path) &&
        (!r.method ||
          r.method
            .split(',')
            .map((m) => m.trim().toUpperCase())
            .includes(req.method ?? 'GET')),
    );
    if (route) {
      if (route.url) {
        const ru = new URL(template(route.url, this.ds));
        target.protocol = ru.protocol;
        target.host = ru.host;
        headers.host = ru.host;
        pathOut = `${ru.pathname.replace(/\/$/, '')}/${proxyPath.slice(route.path.length).replace(/^\//, '')}`;
      }
      for (const h of route.headers ?? []) headers[h.name.toLowerCase()] = template(h.content, this.ds);
    }
    const timeoutS = Number(this.ds.jsonData.timeout) > 0 ? Number(this.ds.jsonData.timeout) : 30;
    const out = http.request({ protocol: target.protocol, hostname: target.hostname, port: target.port, method: req.method, path: pathOut + search, headers, timeout: timeoutS * 1000 }, (up) => {
      const chunks: Buffer[] = [];
      up.on('data', (c: Buffer) => chunks.push(c));
      up.on('end', () => {
        const body = Buffer.concat(chunks);
        // What the exporter answered the plugin, checked against the API contract (@nfscope/api).
        let contract: string[] = [];
        try {
          assertAnswer(pathOut + search, up.statusCode ?? 0, JSON.parse(body.toString('utf8')));
        } catch (e) {
          contract = [(e as Error).message];
        }
        this.forwarded.push({ method: req.method ?? 'GET', path: pathOut + search, headers, status: up.statusCode ?? 0, contract });
        res.writeHead(up.statusCode ?? 502, { 'content-type': up.headers['content-type'] ?? 'application/json' });
        res.end(body);
      });
    });
    out.on('timeout', () => out.destroy(new Error('timeout')));
    out.on('error', (e) => {
      this.forwarded.push({ method: req.method ?? 'GET', path: pathOut + search, headers, status: 502, contract: [] });
      if (!res.headersSent) json(res, 502, { message: `Bad Gateway: ${e.message}` });
    });
    req.pipe(out);
  }
}

function json(res: http.ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'Content-Type': 'application/json' });
  res.end(JSON.stringify(body));
}
