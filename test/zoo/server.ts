// A local HTTP server standing in for dl.fbaipublicfiles.com: Range support that can be switched
// off, responses cut mid-way (an interrupted download), corrupt bytes, stalls, redirects, 404s,
// and a log of every request it saw.
import { createHash } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface SeenRequest {
  path: string;
  range: string | undefined;
  ifRange: string | undefined;
  status: number;
}

export class ZooTestServer {
  readonly files = new Map<string, Buffer>();
  readonly requests: SeenRequest[] = [];
  /** Honour Range requests (206); false answers every request with the whole file (200). */
  range = true;
  /** Body bytes after which the next `cuts.length` responses drop the connection. */
  cuts: number[] = [];
  /** Serve the files with some bytes flipped (same length). */
  corrupt = false;
  /** Send this many body bytes, then nothing (never end): the client must time out. */
  stallAfter: number | undefined;
  private server = http.createServer((req, res) => this.handle(req, res));
  private base = '';

  /** Base URL ending with '/'. */
  get url(): string {
    return this.base;
  }

  async start(): Promise<this> {
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    this.base = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/`;
    return this;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((r) => this.server.close(() => r()));
  }

  etagOf(name: string): string {
    return `"${createHash('sha1').update(this.files.get(name)!).digest('hex')}"`;
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const path = decodeURIComponent(new URL(req.url!, 'http://x').pathname).slice(1);
    const seen: SeenRequest = { path, range: req.headers.range, ifRange: req.headers['if-range'] as string | undefined, status: 0 };
    this.requests.push(seen);
    const reply = (status: number, headers: http.OutgoingHttpHeaders = {}): void => {
      seen.status = status;
      res.writeHead(status, headers);
    };
    if (path.startsWith('redirect/')) {
      reply(302, { location: `/${path.slice('redirect/'.length)}` });
      res.end();
      return;
    }
    let data = this.files.get(path);
    if (!data) {
      reply(404, { 'content-type': 'text/plain' });
      res.end('not found');
      return;
    }
    const etag = this.etagOf(path);
    if (this.corrupt) {
      data = Buffer.from(data);
      for (let i = 0; i < data.length; i += 997) data[i] = data[i]! ^ 0xff;
    }
    let body = data;
    const m = /^bytes=(\d+)-$/.exec(req.headers.range ?? '');
    const ifRange = req.headers['if-range'];
    if (this.range && m && (ifRange === undefined || ifRange === etag)) {
      const start = Number(m[1]);
      if (start >= data.length) {
        reply(416, { 'content-range': `bytes */${data.length}` });
        res.end();
        return;
      }
      body = data.subarray(start);
      reply(206, { 'content-length': body.length, 'content-range': `bytes ${start}-${data.length - 1}/${data.length}`, etag, 'accept-ranges': 'bytes' });
    } else {
      reply(200, { 'content-length': data.length, etag, ...(this.range ? { 'accept-ranges': 'bytes' } : {}) });
    }
    const cut = this.cuts.shift();
    if (cut !== undefined) {
      // Part of the body, a moment for it to arrive, then the connection drops.
      res.write(body.subarray(0, Math.min(cut, body.length)), () => setTimeout(() => res.socket?.destroy(), 50));
      return;
    }
    if (this.stallAfter !== undefined) {
      res.write(body.subarray(0, this.stallAfter));
      return;
    }
    res.end(body);
  }
}

/** A progress/log sink that is not a terminal, so the download prints plain lines. */
export function captureStream(): { stream: { write(s: string): boolean; isTTY: false }; text(): string } {
  const chunks: string[] = [];
  return {
    stream: {
      isTTY: false,
      write(s: string) {
        chunks.push(s);
        return true;
      },
    },
    text: () => chunks.join(''),
  };
}
