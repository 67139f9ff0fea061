// torch.nn.init: in-place initialisers drawing from libtorch's generators, so that a seeded
// initialisation equals PyTorch's bit for bit (same kernels, same draws, same order).
import * as torch from '../torch/index.js';
import type { Tensor, Generator } from '../torch/index.js';

export type Nonlinearity =
  | 'linear'
  | 'conv1d'
  | 'conv2d'
  | 'conv3d'
  | 'conv_transpose1d'
  | 'conv_transpose2d'
  | 'conv_transpose3d'
  | 'sigmoid'
  | 'tanh'
  | 'relu'
  | 'leaky_relu'
  | 'selu';

/** torch.nn.init.calculate_gain */
export function calculateGain(nonlinearity: Nonlinearity, param?: number): number {
  switch (nonlinearity) {
    case 'tanh':
      return 5 / 3;
    case 'relu':
      return Math.SQRT2;
    case 'leaky_relu': {
      const slope = param ?? 0.01;
      return Math.sqrt(2 / (1 + slope * slope));
    }
    case 'selu':
      return 3 / 4;
    default:
      return 1;
  }
}

/** Fan-in and fan-out of a weight (dim 1 and dim 0 times the receptive field), as PyTorch. */
export function calculateFanInAndFanOut(t: Tensor): { fanIn: number; fanOut: number } {
  const s = t.shape;
  if (s.length < 2) throw new RangeError('Fan in and fan out can not be computed for tensor with fewer than 2 dimensions');
  const receptive = s.slice(2).reduce((a, b) => a * b, 1);
  return { fanIn: s[1]! * receptive, fanOut: s[0]! * receptive };
}

export interface KaimingOptions {
  a?: number;
  mode?: 'fan_in' | 'fan_out';
  nonlinearity?: Nonlinearity;
  generator?: Generator;
}

function fan(t: Tensor, mode: 'fan_in' | 'fan_out'): number {
  const f = calculateFanInAndFanOut(t);
  return mode === 'fan_in' ? f.fanIn : f.fanOut;
}

export function uniform_(t: Tensor, a = 0, b = 1, generator?: Generator): Tensor {
  return torch.noGrad(() => t.uniform_(a, b, generator));
}
export function normal_(t: Tensor, mean = 0, std = 1, generator?: Generator): Tensor {
  return torch.noGrad(() => t.normal_(mean, std, generator));
}
export function constant_(t: Tensor, value: number): Tensor {
  return torch.noGrad(() => t.fill_(value));
}
export function zeros_(t: Tensor): Tensor {
  return torch.noGrad(() => t.zero_());
}
export function ones_(t: Tensor): Tensor {
  return torch.noGrad(() => t.fill_(1));
}

export function kaimingUniform_(t: Tensor, o: KaimingOptions = {}): Tensor {
  const gain = calculateGain(o.nonlinearity ?? 'leaky_relu', o.a ?? 0);
  const std = gain / Math.sqrt(fan(t, o.mode ?? 'fan_in'));
  const bound = Math.sqrt(3) * std;
  return uniform_(t, -bound, bound, o.generator);
}
export function kaimingNormal_(t: Tensor, o: KaimingOptions = {}): Tensor {
  const gain = calculateGain(o.nonlinearity ?? 'leaky_relu', o.a ?? 0);
  const std = gain / Math.sqrt(fan(t, o.mode ?? 'fan_in'));
  return normal_(t, 0, std, o.generator);
}
export function xavierUniform_(t: Tensor, gain = 1, generator?: Generator): Tensor {
  const { fanIn, fanOut } = calculateFanInAndFanOut(t);
  const a = Math.sqrt(3) * gain * Math.sqrt(2 / (fanIn + fanOut));
  return uniform_(t, -a, a, generator);
}
export function xavierNormal_(t: Tensor, gain = 1, generator?: Generator): Tensor {
  const { fanIn, fanOut } = calculateFanInAndFanOut(t);
  return normal_(t, 0, gain * Math.sqrt(2 / (fanIn + fanOut)), generator);
}

/** A (semi-)orthogonal matrix from the QR decomposition of a normal draw (torch.nn.init.orthogonal_). */
export function orthogonal_(t: Tensor, gain = 1, generator?: Generator): Tensor {
  if (t.ndim < 2) throw new RangeError('Only tensors with 2 or more dimensions are supported');
  if (t.numel === 0) return t;
  torch.noGrad(() =>
    torch.tidy(() => {
      const rows = t.shape[0]!;
      const cols = t.numel / rows;
      let flat = torch.empty([rows, cols], { dtype: t.dtype }).normal_(0, 1, generator);
      if (rows < cols) flat = flat.t();
      const [qh, rh] = torch.aten.linalg_qr(flat.handle);
      const q0 = new torch.Tensor(qh);
      const r = new torch.Tensor(rh);
      const ph = new torch.Tensor(torch.aten.diag(r.handle, 0)).sign();
      let q = q0.mul(ph);
      if (rows < cols) q = q.t();
      t.view(q.shape).copy_(q);
      t.mul_(gain);
    }),
  );
  return t;
}
