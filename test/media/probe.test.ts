// ffprobe metadata and typed errors for bad inputs; tool lookup errors.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { FfmpegNotFoundError, locateTool, runTool, summarizeStderr } from '../../src/media/ffmpeg.js';
import { MediaProbeError, parseRate, probeMedia } from '../../src/media/probe.js';
import { decodeClip } from '../../src/media/decode.js';
import { makeFixtures, type Fixtures } from './fixtures.js';

let fx: Fixtures;
before(async () => {
  fx = await makeFixtures({ rotated: false, odd: true, vfr: true });
});
after(async () => {
  await fx.cleanup();
});

test('probe: duration, fps, frames, size, audio', async () => {
  const p = await probeMedia(fx.idx);
  assert.equal(p.duration, 2);
  assert.equal(p.fps, 30);
  assert.equal(p.frames, 60);
  assert.equal(p.framesEstimated, false);
  assert.equal(p.vfr, false);
  assert.deepEqual([p.width, p.height, p.rotation, p.displayWidth, p.displayHeight], [64, 48, 0, 64, 48]);
  assert.equal(p.hasAudio, true);
  assert.equal(p.audioSampleRate, 48000);
  assert.equal(p.audioChannels, 1);
  assert.ok(Math.abs((p.audioDuration ?? 0) - 2) < 0.05);
  assert.equal(p.videoCodec, 'h264');
  assert.ok(p.sizeBytes > 0);
  // JSON round trip (the manifest stores it as is).
  assert.deepEqual(JSON.parse(JSON.stringify(p)), p);
  const n = await probeMedia(fx.noAudio);
  assert.equal(n.hasAudio, false);
  assert.equal(n.audioSampleRate, null);
  assert.equal(n.frames, 30);
});

test('probe: VFR and estimated frame counts', async () => {
  const v = await probeMedia(fx.vfr);
  assert.equal(v.vfr, true);
  assert.equal(v.frames, 60);
  assert.equal(v.rFrameRate, 30);
  assert.ok(v.fps > 19 && v.fps < 21, `avg fps ${v.fps}`);
  const o = await probeMedia(fx.odd);
  assert.equal(o.framesEstimated, true);
  assert.equal(o.frames, 30);
  const counted = await probeMedia(fx.odd, { countFrames: true });
  assert.equal(counted.framesEstimated, false);
  assert.equal(counted.frames, 30);
});

test('rates: "0/0", fractions and garbage', () => {
  assert.equal(parseRate('30000/1001'), 30000 / 1001);
  assert.equal(parseRate('25'), 25);
  assert.equal(parseRate('0/0'), 0);
  assert.equal(parseRate('abc'), 0);
  assert.equal(parseRate(undefined), 0);
});

test('bad files give MediaProbeError with path and reason', async () => {
  const cases: [string, string, RegExp][] = [
    [fx.empty, 'empty', /empty file/],
    [fx.text, 'invalid_data', /Invalid data|moov atom/],
    [fx.truncated, 'invalid_data', /moov atom not found/],
    [join(fx.dir, 'missing.mp4'), 'not_found', /file not found/],
    [fx.dir, 'not_a_file', /not a regular file/],
  ];
  for (const [path, kind, re] of cases) {
    await assert.rejects(probeMedia(path), (err: unknown) => {
      assert.ok(err instanceof MediaProbeError, String(err));
      assert.equal(err.path, path);
      assert.equal(err.kind, kind);
      assert.match(err.reason, re);
      assert.ok(err.message.includes(path));
      assert.ok(!/0x[0-9a-f]{6,}/.test(err.reason), 'no pointer noise in the reason');
      return true;
    });
  }
  // decodeClip surfaces the same typed error.
  await assert.rejects(decodeClip(fx.truncated, { numFrames: 2, position: { kind: 'uniform', index: 0, count: 1 } }), MediaProbeError);
});

test('audio-only files are rejected as videos', async () => {
  const wav = join(fx.dir, 'tone.wav');
  const r = await runTool('ffmpeg', ['-nostdin', '-v', 'error', '-f', 'lavfi', '-i', 'sine=frequency=440:duration=0.2', wav]);
  assert.equal(r.code, 0);
  await assert.rejects(probeMedia(wav), (err: unknown) => err instanceof MediaProbeError && err.kind === 'no_video_stream');
});

test('file names with spaces, quotes and a leading dash', async () => {
  const odd = join(fx.dir, "-a 'b' $c.mp4");
  const r = await runTool('ffmpeg', ['-nostdin', '-v', 'error', '-i', fx.noAudio, '-c', 'copy', `file:${odd}`]);
  assert.equal(r.code, 0, r.stderr);
  const p = await probeMedia(odd);
  assert.equal(p.frames, 30);
});

test('missing binaries: clear error with the install hint', async () => {
  const saved = { FFMPEG: process.env.FFMPEG, FFPROBE: process.env.FFPROBE };
  try {
    process.env.FFPROBE = '/nonexistent/ffprobe';
    assert.throws(() => locateTool('ffprobe'), (err: unknown) => {
      assert.ok(err instanceof FfmpegNotFoundError);
      assert.match(err.message, /apt-get install ffmpeg/);
      assert.match(err.message, /FFPROBE/);
      return true;
    });
    await assert.rejects(probeMedia(fx.idx), FfmpegNotFoundError);
    process.env.FFMPEG = 'no-such-ffmpeg-binary';
    assert.throws(() => locateTool('ffmpeg'), /not on PATH.*apt-get install ffmpeg/);
    // An explicit override that exists is used as is.
    process.env.FFPROBE = locateToolWithoutEnv('ffprobe');
    assert.equal(locateTool('ffprobe'), process.env.FFPROBE);
  } finally {
    if (saved.FFMPEG === undefined) delete process.env.FFMPEG;
    else process.env.FFMPEG = saved.FFMPEG;
    if (saved.FFPROBE === undefined) delete process.env.FFPROBE;
    else process.env.FFPROBE = saved.FFPROBE;
  }
});

function locateToolWithoutEnv(tool: 'ffprobe'): string {
  const v = process.env.FFPROBE;
  delete process.env.FFPROBE;
  try {
    return locateTool(tool);
  } finally {
    process.env.FFPROBE = v;
  }
}

test('stderr summary drops context prefixes', () => {
  assert.equal(summarizeStderr('[mov,mp4 @ 0x55d0c0a1b2c0] moov atom not found\nx.mp4: Invalid data\n'), 'moov atom not found | x.mp4: Invalid data');
  assert.equal(summarizeStderr(''), '');
});
