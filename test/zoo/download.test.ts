// Downloading into the zoo cache against a local server: fresh download, cache hit, resume with
// Range, servers without Range, corrupt cache and corrupt downloads, HTTP errors, timeouts,
// unreachable hosts and concurrent callers.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { hostname } from 'node:os';
import { GDT } from '../../src/models/index.js';
import { torch } from '../../src/index.js';
import { ensureDownloaded, ZooError, zooCachePath, zooEntry, zooUrl, resolveWeights } from '../../src/zoo/index.js';
import { ZooTestServer, captureStream } from './server.js';
import { WIDTH, checkpointBytes, randomState, tempDir } from './fixture.js';

const FILE = 'gdt_K400.pth';
let server: ZooTestServer;
let data: Buffer;
let sha: string;

before(async () => {
  const m = new GDT({ width: WIDTH });
  const state = randomState(m as never);
  m.dispose();
  data = await checkpointBytes(state);
  torch.disposeAll(state);
  sha = createHash('sha256').update(data).digest('hex');
  server = await new ZooTestServer().start();
  server.files.set(FILE, data);
});
after(() => server.stop());

/** A fresh cache dir and the options a test downloads with; the server is reset. */
function setup(extra: Parameters<typeof ensureDownloaded>[2] = {}) {
  server.requests.length = 0;
  server.range = true;
  server.corrupt = false;
  server.cuts = [];
  server.stallAfter = undefined;
  const dir = tempDir();
  const log = captureStream();
  const dest = join(dir, FILE);
  const url = server.url + FILE;
  const o = { progress: log.stream, retries: 0, retryDelayMs: 10, timeoutMs: 5000, ...extra };
  return { dir, dest, url, log, o };
}

const assertIdentical = (path: string): void => assert.ok(readFileSync(path).equals(data), `${path} is byte-identical to the served file`);
const leftovers = (dir: string): string[] => readdirSync(dir).filter((f) => f !== FILE && f !== `${FILE}.sha256`);

test('fresh download: file in the cache, SHA-256 recorded (sha256sum format), progress line printed, nothing left over', async () => {
  const { dir, dest, url, log, o } = setup();
  const r = await ensureDownloaded(url, dest, o);
  assert.equal(r.downloaded, true);
  assert.equal(r.path, dest);
  assert.equal(r.sha256, sha);
  assert.equal(r.size, data.length);
  assertIdentical(dest);
  assert.equal(readFileSync(`${dest}.sha256`, 'utf8'), `${sha}  ${FILE}\n`);
  assert.deepEqual(leftovers(dir), [], 'no .part, .part.json or .lock left');
  assert.deepEqual(
    server.requests.map((q) => [q.range, q.status]),
    [[undefined, 200]],
  );
  assert.match(log.text(), /gdt_K400\.pth: 3\.8 MiB \/ 3\.8 MiB \(100%\) [\d.]+ [KMG]?i?B\/s ETA 0s\n/);
});

test('cache hit: no request is made, the file is checked against its recorded hash', async () => {
  const { dest, url, o } = setup();
  await ensureDownloaded(url, dest, o);
  server.requests.length = 0;
  const r = await ensureDownloaded(url, dest, o);
  assert.equal(r.downloaded, false);
  assert.equal(r.sha256, sha);
  assert.equal(server.requests.length, 0);
});

test('interrupted download: the partial file is kept and the next call resumes it with Range: bytes=N-', async () => {
  const { dir, dest, url, log, o } = setup();
  server.cuts = [1_500_000];
  await assert.rejects(ensureDownloaded(url, dest, o), (e: unknown) => {
    assert.ok(e instanceof ZooError);
    assert.equal(e.code, 'interrupted');
    assert.match(e.message, new RegExp(`cannot download ${FILE} from ${url.replace(/\./g, '\\.')}`));
    assert.match(e.message, /run the same command again to resume/);
    return true;
  });
  assert.equal(existsSync(dest), false, 'no final file before the download is complete');
  const have = statSync(`${dest}.part`).size;
  assert.ok(have > 0 && have <= 1_500_000, `partial file of ${have} bytes`);
  assert.equal(existsSync(`${dest}.lock`), false, 'the lock is released on failure');

  const r = await ensureDownloaded(url, dest, o);
  assert.equal(r.resumedFrom, have);
  assert.equal(server.requests.length, 2);
  assert.equal(server.requests[1]!.range, `bytes=${have}-`);
  assert.equal(server.requests[1]!.ifRange, server.etagOf(FILE), 'If-Range guards against a changed file');
  assert.equal(server.requests[1]!.status, 206);
  assertIdentical(dest);
  assert.equal(r.sha256, sha);
  assert.deepEqual(leftovers(dir), []);
  assert.match(log.text(), /resuming at [\d.]+ [KM]iB of 3\.8 MiB/);
});

test('a dropped connection is retried within the same call, resuming where it stopped', async () => {
  const { dest, url, log, o } = setup({ retries: 2 });
  server.cuts = [1_000_000, 1_000_000];
  const r = await ensureDownloaded(url, dest, o);
  assertIdentical(dest);
  assert.deepEqual(
    server.requests.map((q) => q.status),
    [200, 206, 206],
  );
  assert.equal(server.requests[0]!.range, undefined);
  assert.match(server.requests[1]!.range!, /^bytes=\d+-$/);
  assert.ok(r.resumedFrom > 1_000_000, 'the last request started after both cut points');
  assert.match(log.text(), /retrying in 0\.0 s \(1\/2\)/);
});

test('a server without Range support: the resumed download restarts cleanly from byte 0', async () => {
  const { dir, dest, url, log, o } = setup();
  server.range = false;
  server.cuts = [2_000_000];
  await assert.rejects(ensureDownloaded(url, dest, o), /interrupted|closed|aborted|resume/);
  const have = statSync(`${dest}.part`).size;
  assert.ok(have > 0);
  const r = await ensureDownloaded(url, dest, o);
  assert.equal(server.requests[1]!.range, `bytes=${have}-`, 'it did ask to resume');
  assert.equal(server.requests[1]!.status, 200, 'but got the whole file');
  assert.equal(r.resumedFrom, 0);
  assertIdentical(dest);
  assert.deepEqual(leftovers(dir), []);
  assert.match(log.text(), /cannot resume .*starting over/);
});

test('a corrupted or truncated cached file fails its SHA-256 check and is downloaded again', async () => {
  const { dest, url, log, o } = setup();
  await ensureDownloaded(url, dest, o);
  const bad = Buffer.from(data);
  bad[1234] = bad[1234]! ^ 1;
  writeFileSync(dest, bad);
  server.requests.length = 0;
  let r = await ensureDownloaded(url, dest, o);
  assert.equal(r.downloaded, true);
  assert.equal(server.requests.length, 1);
  assertIdentical(dest);
  assert.match(log.text(), /cached file does not match its recorded SHA-256 \(expected [0-9a-f]{64}, got [0-9a-f]{64}\): it is truncated or corrupted; downloading it again/);

  writeFileSync(dest, data.subarray(0, 1000));
  r = await ensureDownloaded(url, dest, o);
  assert.equal(r.downloaded, true);
  assertIdentical(dest);
});

test("onCorrupt: 'error' says which file is bad and how to delete it", async () => {
  const { dest, url, o } = setup();
  await ensureDownloaded(url, dest, o);
  writeFileSync(dest, data.subarray(0, data.length - 1));
  server.requests.length = 0;
  await assert.rejects(ensureDownloaded(url, dest, { ...o, onCorrupt: 'error' }), (e: unknown) => {
    assert.ok(e instanceof ZooError);
    assert.equal(e.code, 'integrity');
    assert.ok(e.message.includes(`cached file ${dest} does not match its recorded SHA-256`), e.message);
    assert.ok(e.message.includes(`rm '${dest}' '${dest}.sha256'`), e.message);
    return true;
  });
  assert.equal(server.requests.length, 0);
});

test('a file copied into the cache by hand is used as is and its hash recorded on first use', async () => {
  const { dest, url, o } = setup();
  writeFileSync(dest, data);
  const r = await ensureDownloaded(url, dest, o);
  assert.equal(r.downloaded, false);
  assert.equal(server.requests.length, 0);
  assert.equal(readFileSync(`${dest}.sha256`, 'utf8').slice(0, 64), sha);
});

test('corrupt bytes from the server are rejected against a known SHA-256 and nothing is kept', async () => {
  const { dir, dest, url, o } = setup({ sha256: sha });
  server.corrupt = true;
  await assert.rejects(ensureDownloaded(url, dest, o), (e: unknown) => {
    assert.ok(e instanceof ZooError);
    assert.equal(e.code, 'integrity');
    assert.match(e.message, new RegExp(`SHA-256 is [0-9a-f]{64}, the registry expects ${sha}`));
    return true;
  });
  assert.equal(existsSync(dest), false);
  assert.deepEqual(leftovers(dir), []);
  server.corrupt = false;
  const r = await ensureDownloaded(url, dest, o);
  assert.equal(r.sha256, sha);
});

test('a known size that the server contradicts is an error', async () => {
  const { dest, url, o } = setup({ size: data.length + 1 });
  await assert.rejects(ensureDownloaded(url, dest, o), /reports \d+ bytes, the registry expects \d+/);
});

test('404 gives a clear error naming the URL', async () => {
  const { dest, o } = setup();
  const url = server.url + 'gdt_missing.pth';
  await assert.rejects(ensureDownloaded(url, dest, o), (e: unknown) => {
    assert.ok(e instanceof ZooError);
    assert.equal(e.code, 'http');
    assert.equal(e.details.status, 404);
    assert.ok(e.message.includes(`from ${url}: HTTP 404 Not Found`), e.message);
    assert.match(e.message, /GDT_ZOO_URL/);
    return true;
  });
  assert.equal(existsSync(dest), false);
});

test('redirects are followed', async () => {
  const { dest, o } = setup();
  const r = await ensureDownloaded(`${server.url}redirect/${FILE}`, dest, o);
  assertIdentical(r.path);
  assert.deepEqual(
    server.requests.map((q) => [q.path, q.status]),
    [
      [`redirect/${FILE}`, 302],
      [FILE, 200],
    ],
  );
});

test('a server that stops sending times out; the partial file is kept for a later resume', async () => {
  const { dest, url, o } = setup({ timeoutMs: 300 });
  server.stallAfter = 100_000;
  await assert.rejects(ensureDownloaded(url, dest, o), (e: unknown) => {
    assert.ok(e instanceof ZooError);
    assert.equal(e.code, 'timeout');
    assert.match(e.message, /no data from 127\.0\.0\.1:\d+ for 0\.3 s/);
    return true;
  });
  assert.equal(statSync(`${dest}.part`).size, 100_000);
  server.stallAfter = undefined;
  await ensureDownloaded(url, dest, o);
  assert.equal(server.requests[1]!.range, 'bytes=100000-');
  assertIdentical(dest);
});

test('no server at all: says so and how to place the file in the cache by hand', async () => {
  const { dest, o } = setup();
  // A port that was just free: nothing listens there.
  const probe = createServer();
  await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
  const port = (probe.address() as { port: number }).port;
  await new Promise<void>((r) => probe.close(() => r()));
  const url = `http://127.0.0.1:${port}/${FILE}`;
  await assert.rejects(ensureDownloaded(url, dest, o), (e: unknown) => {
    assert.ok(e instanceof ZooError);
    assert.equal(e.code, 'unreachable');
    assert.ok(e.message.includes(`download ${url} on a machine with internet access and copy it to ${dest}`), e.message);
    return true;
  });
});

test('an unresolvable host reads as an offline machine', async () => {
  const { dir, o } = setup({ timeoutMs: 10_000 });
  const env = { GDT_ZOO_URL: 'http://gdt-zoo-test.invalid/GDT/', GDT_CACHE_DIR: dir };
  const entry = zooEntry('gdt-k400')!;
  await assert.rejects(resolveWeights('gdt-k400', { ...o, env }), (e: unknown) => {
    assert.ok(e instanceof ZooError);
    // A resolver that cannot answer at all ends as a timeout; both carry the same advice.
    assert.ok(e.code === 'offline' || e.code === 'timeout', e.code);
    if (e.code === 'offline') assert.match(e.message, /this machine seems to be offline/);
    assert.ok(e.message.includes(`copy it to ${zooCachePath(entry, env)}`), e.message);
    assert.ok(e.message.includes(zooUrl(entry, env)));
    return true;
  });
});

test('concurrent callers wait for one download instead of racing on the partial file', async () => {
  const { dest, url, o } = setup();
  const [a, b] = await Promise.all([ensureDownloaded(url, dest, o), ensureDownloaded(url, dest, o)]);
  assert.equal(server.requests.length, 1);
  assert.equal(a.sha256, sha);
  assert.equal(b.sha256, sha);
  assert.deepEqual([a.downloaded, b.downloaded].sort(), [false, true]);
  assertIdentical(dest);
});

test('a lock left by a process that died is taken over', async () => {
  const { dest, url, o } = setup();
  // A pid far above any live one on this host.
  writeFileSync(`${dest}.lock`, JSON.stringify({ pid: 2 ** 30, host: hostname() }));
  const r = await ensureDownloaded(url, dest, o);
  assert.equal(r.downloaded, true);
  assert.equal(existsSync(`${dest}.lock`), false);
});

test('a partial file that is already whole (416 on resume) is finished without downloading again', async () => {
  const { dir, dest, url, o } = setup();
  writeFileSync(`${dest}.part`, data);
  writeFileSync(`${dest}.part.json`, JSON.stringify({ url, total: data.length }));
  const r = await ensureDownloaded(url, dest, o);
  assert.deepEqual(
    server.requests.map((q) => [q.range, q.status]),
    [[`bytes=${data.length}-`, 416]],
  );
  assert.equal(r.sha256, sha);
  assertIdentical(dest);
  assert.deepEqual(leftovers(dir), []);
});

test('a partial file from another URL is not resumed', async () => {
  const { dest, url, log, o } = setup();
  writeFileSync(`${dest}.part`, data.subarray(0, 1000));
  writeFileSync(`${dest}.part.json`, JSON.stringify({ url: 'http://elsewhere/gdt_K400.pth' }));
  await ensureDownloaded(url, dest, o);
  assert.equal(server.requests[0]!.range, undefined);
  assertIdentical(dest);
  assert.match(log.text(), /discarding a partial file of unknown origin/);
});
