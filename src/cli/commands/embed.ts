// `gdt embed <video | dir | list...> --weights <w> --out <emb.npy>`: clip- or video-level
// embeddings of videos with trained encoders, as .npy + a JSONL row index + a description
// (docs/embeddings.md); resumable over large folders.
import type { Command } from 'commander';
import { intOption } from '../options.js';
import { embedVideos } from '../../embed/embed.js';
import { LEVELS, MODALITIES, type EmbedLevel, type Modality } from '../../embed/settings.js';
import { MODEL_KINDS, type ModelKind } from '../../eval/config.js';

interface EmbedCliOptions {
  weights: string;
  out: string;
  modality: string;
  level: string;
  clips: string;
  frames?: string;
  fps?: string;
  size?: string;
  audioSeconds?: string;
  model: string;
  batchSize: string;
  workers?: string;
  shardSize: string;
  normalize: boolean;
  device: string;
  fresh?: boolean;
  quiet?: boolean;
}

function positive(name: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!(n > 0) || v.trim() === '') throw new Error(`${name} must be a positive number, got '${v}'`);
  return n;
}

function oneOf<T extends string>(name: string, v: string, allowed: readonly T[]): T {
  if (!(allowed as readonly string[]).includes(v)) throw new Error(`${name} must be one of ${allowed.join(', ')}, got '${v}'`);
  return v as T;
}

export function register(program: Command): void {
  program
    .command('embed')
    .description('embed videos (files, folders, .txt lists) with trained encoders: <out>.npy + <out>.jsonl + <out>.meta.json')
    .argument('<inputs...>', 'video files, folders (searched recursively) or list files (.txt, one path per line, relative to the list)')
    .requiredOption('--weights <ckpt>', "gdt checkpoint (.safetensors from gdt pretrain), reference .pth, zoo name, or 'none'")
    .requiredOption('--out <file>', 'the .npy to write (float32 [rows, dim]); the row index goes to <out>.jsonl, the settings to <out>.meta.json')
    .option('--modality <m>', `${MODALITIES.join(' | ')} (both: video and audio side by side in each row)`, 'video')
    .option('--level <l>', `${LEVELS.join(' | ')}: a row per clip, or per video (the mean of its clips)`, 'video')
    .option('--clips <n>', 'uniformly spaced clips per video', '4')
    .option('--frames <n>', "frames per clip (default: the checkpoint's, else 8)")
    .option('--fps <n>', "frame rate clips are sampled at (default: the checkpoint's, else 6)")
    .option('--size <px>', "crop size: short side resized to it, centre crop (default: the checkpoint's, else 64)")
    .option('--audio-seconds <s>', "audio per clip, from the clip's start (default: the checkpoint's, else 1)")
    .option('--model <kind>', `${MODEL_KINDS.join(' | ')} (stica: the transformer-pooled features)`, 'gdt')
    .option('--batch-size <n>', 'videos per batch', '4')
    .option('--workers <n>', 'decoding threads (default: cores - 1)')
    .option('--shard-size <n>', 'videos per shard: an interrupted run resumes after its last shard', '64')
    .option('--no-normalize', 'keep raw features (default: L2-normalised; video level: normalised clips averaged, normalised again)')
    .option('--device <d>', 'cpu | cuda', 'cpu')
    .option('--fresh', 'ignore finished shards and the previous index: embed everything again')
    .option('--quiet', 'no progress bar')
    .action(async (inputs: string[], o: EmbedCliOptions) => {
      const r = await embedVideos({
        inputs,
        weights: o.weights,
        out: o.out,
        modality: oneOf<Modality>('--modality', o.modality, MODALITIES),
        level: oneOf<EmbedLevel>('--level', o.level, LEVELS),
        clips: intOption('--clips', o.clips, 1),
        numFrames: o.frames === undefined ? undefined : intOption('--frames', o.frames, 1),
        targetFps: positive('--fps', o.fps),
        cropSize: o.size === undefined ? undefined : intOption('--size', o.size, 8),
        audioSeconds: positive('--audio-seconds', o.audioSeconds),
        model: oneOf<ModelKind>('--model', o.model, MODEL_KINDS),
        normalize: o.normalize,
        batchSize: intOption('--batch-size', o.batchSize, 1),
        workers: o.workers === undefined ? undefined : intOption('--workers', o.workers, 0),
        shardVideos: intOption('--shard-size', o.shardSize, 1),
        device: oneOf<'cpu' | 'cuda'>('--device', o.device, ['cpu', 'cuda']),
        fresh: o.fresh,
        progress: !o.quiet,
      });
      // A run where some videos were skipped still succeeds; nothing embedded is an error (thrown above).
      if (r.skipped.length) console.log(`done with ${r.skipped.length} skipped video(s); they are listed in ${r.paths.meta}`);
    });
}
