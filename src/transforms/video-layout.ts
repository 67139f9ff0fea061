// Clip layouts. The canonical layout of every video transform here is (T, C, H, W): frames,
// channels (RGB), height, width, float32 — the layout the reference's transform functions expect.
// Decoders give (T, H, W, C) uint8 and the models take (C, T, H, W); convert at the edges.
import type { Tensor } from '../torch/index.js';

/** (T, H, W, C) -> (T, C, H, W) (a view; call `.contiguous()` if needed). */
export function thwcToTchw(frames: Tensor): Tensor {
  expectRank(frames, 4, 'thwcToTchw');
  return frames.permute(0, 3, 1, 2);
}

/** (T, C, H, W) -> (T, H, W, C) (a view). */
export function tchwToThwc(clip: Tensor): Tensor {
  expectRank(clip, 4, 'tchwToThwc');
  return clip.permute(0, 2, 3, 1);
}

/** (C, T, H, W) -> (T, C, H, W) (a view). */
export function cthwToTchw(clip: Tensor): Tensor {
  expectRank(clip, 4, 'cthwToTchw');
  return clip.permute(1, 0, 2, 3);
}

/** (T, C, H, W) -> (C, T, H, W), the model layout (a view). */
export function tchwToCthw(clip: Tensor): Tensor {
  expectRank(clip, 4, 'tchwToCthw');
  return clip.permute(1, 0, 2, 3);
}

/** uint8 (or 0..255 float) pixels -> float32 in [0, 1], as the reference's `frames.float() / 255.0`. */
export function toUnitFloat(frames: Tensor): Tensor {
  if (frames.dtype === 'float32') return frames.div(255);
  using f = frames.float();
  return f.div(255);
}

/** @internal Throws unless `clip` is a (T, C, H, W) floating tensor with at least `minChannels` channels. */
export function expectFloatClip(clip: Tensor, what: string, minChannels = 1): void {
  expectRank(clip, 4, what);
  const d = clip.dtype;
  if (d !== 'float32' && d !== 'float64' && d !== 'float16' && d !== 'bfloat16') {
    throw new TypeError(`${what}: expects a floating (T, C, H, W) clip, got ${d} (convert with toUnitFloat)`);
  }
  if (clip.shape[1]! < minChannels) throw new RangeError(`${what}: needs at least ${minChannels} channels in dim 1, got shape [${clip.shape.join(', ')}]`);
}

/** @internal */
export function expectRank(t: Tensor, rank: number, what: string): void {
  if (t.ndim !== rank) throw new RangeError(`${what}: expects a ${rank}-D tensor, got shape [${t.shape.join(', ')}]`);
}
