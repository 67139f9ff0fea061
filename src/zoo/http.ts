// One HTTP(S) GET with Node's own clients: redirects followed, a socket timeout that covers
// connecting and every pause in the body, and network failures turned into ZooErrors that say
// whether the machine looks offline.
import http, { type IncomingMessage } from 'node:http';
import https from 'node:https';
import { ZooError, errnoCode, messageOf } from './errors.js';

export interface GetOptions {
  headers?: Record<string, string>;
  /** No connection / no bytes for this long fails the request (default 30 s). */
  timeoutMs?: number;
  maxRedirects?: number;
  signal?: AbortSignal;
}

export interface GetResponse {
  res: IncomingMessage;
  /** The URL that answered (after redirects). */
  url: string;
  /** Why the body stream failed, when it was our timeout rather than the peer. */
  failure(): ZooError | undefined;
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);
const OFFLINE = new Set(['ENOTFOUND', 'EAI_AGAIN', 'EAI_NONAME', 'EAI_FAIL']);
const UNREACHABLE = new Set(['ECONNREFUSED', 'ENETUNREACH', 'EHOSTUNREACH', 'ENETDOWN', 'EHOSTDOWN', 'EADDRNOTAVAIL']);
const TRANSIENT = new Set(['ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'ECONNABORTED', 'ERR_STREAM_PREMATURE_CLOSE', 'UND_ERR_SOCKET']);

/** A network error as a ZooError (offline / unreachable / timeout / interrupted). */
export function networkError(e: unknown, url: string): ZooError {
  if (e instanceof ZooError) return e;
  const code = errnoCode(e);
  const host = safeHost(url);
  if (code && OFFLINE.has(code)) {
    return new ZooError('offline', `cannot resolve ${host} (${code}): this machine seems to be offline`, { url, cause: e });
  }
  if (code && UNREACHABLE.has(code)) return new ZooError('unreachable', `cannot connect to ${host} (${code})`, { url, cause: e });
  if (code === 'ETIMEDOUT') return new ZooError('timeout', `connection to ${host} timed out`, { url, retryable: true, cause: e });
  return new ZooError('interrupted', `connection to ${host} failed: ${messageOf(e)}`, {
    url,
    retryable: code === undefined || TRANSIENT.has(code),
    cause: e,
  });
}

function safeHost(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return url;
  }
}

function once(url: string, o: GetOptions): Promise<GetResponse> {
  const u = new URL(url);
  const client = u.protocol === 'https:' ? https : u.protocol === 'http:' ? http : undefined;
  if (!client) return Promise.reject(new ZooError('http', `unsupported URL scheme '${u.protocol}' in ${url}`, { url }));
  const timeoutMs = o.timeoutMs ?? 30_000;
  return new Promise((resolve, reject) => {
    let failure: ZooError | undefined;
    const req = client.get(u, { headers: o.headers, timeout: timeoutMs, signal: o.signal }, (res) => {
      resolve({ res, url, failure: () => failure });
    });
    // Fires when connecting, waiting for headers, or between body chunks takes too long.
    req.on('timeout', () => {
      failure = new ZooError('timeout', `no data from ${u.host} for ${timeoutMs / 1000} s`, { url, retryable: true });
      req.destroy(failure);
    });
    req.on('error', (e) => reject(failure ?? networkError(e, url)));
  });
}

/** GET `url`, following up to `maxRedirects` (default 10) redirects. The body is left unread. */
export async function get(url: string, o: GetOptions = {}): Promise<GetResponse> {
  let current = url;
  for (let hop = 0; ; hop++) {
    const r = await once(current, o);
    const location = r.res.headers.location;
    if (!REDIRECTS.has(r.res.statusCode ?? 0) || !location) return r;
    r.res.resume();
    if (hop >= (o.maxRedirects ?? 10)) throw new ZooError('http', `too many redirects fetching ${url}`, { url });
    current = new URL(location, current).href;
  }
}
