// R(2+1)D video encoders (SPEC 3.2): torchvision's VideoResNet with a factorised stem and
// (2+1)D BasicBlocks, avgpool to (duration, 1, 1) or none, and no fc keys.
import { torch, nn } from '../index.js';
import type { Tensor } from '../torch/index.js';
import type { MacTraceable, MacTracer, Shape } from './flops.js';

export interface VideoResNetOptions {
  /** 18 (blocks 2/2/2/2) or 34 (3/4/6/3). Default 18. */
  depth?: 18 | 34;
  /** Channel multiplier (64·w, 128·w, ... and stem 45·w); 1 is the reference network. */
  width?: number;
  /** Keep the feature map (avgpool = Identity), as STiCA's encoder. Default false. */
  prePool?: boolean;
  /** Temporal size of the adaptive average pool (duration, 1, 1). Default 1. */
  duration?: number;
  /**
   * Run the init loop a second time, as the reference's `random_weight_init` does after the
   * constructor (Conv3d Kaiming normal fan-out, BN 1/0). Default true; it only changes which
   * random draws end up in the weights, not their distribution.
   */
  randomWeightInit?: boolean;
}

const BLOCKS: Record<18 | 34, readonly [number, number, number, number]> = { 18: [2, 2, 2, 2], 34: [3, 4, 6, 3] };

/**
 * Mid-plane count of a (2+1)D block, computed once per block from (inplanes, planes) and used by
 * both of its convolutions (torchvision 0.14's BasicBlock does the same, so the two agree).
 */
export function midPlanes(inplanes: number, planes: number): number {
  return Math.floor((27 * inplanes * planes) / (9 * inplanes + 3 * planes));
}

/** Scales a reference channel count by the width multiplier (at least 1 channel). */
export function scaleChannels(c: number, width: number): number {
  return Math.max(1, Math.round(c * width));
}

/** Spatial 1x3x3 conv, BN, ReLU, temporal 3x1x1 conv: children 0..3. */
export class Conv2Plus1D extends nn.Sequential {
  constructor(inPlanes: number, outPlanes: number, mid: number, stride = 1) {
    super(
      new nn.Conv3d(inPlanes, mid, [1, 3, 3], { stride: [1, stride, stride], padding: [0, 1, 1], bias: false }),
      new nn.BatchNorm3d(mid),
      new nn.ReLU(),
      new nn.Conv3d(mid, outPlanes, [3, 1, 1], { stride: [stride, 1, 1], padding: [1, 0, 0], bias: false }),
    );
  }
}

/** The factorised stem: 1x7x7 conv to 45 channels, then 3x1x1 conv to 64 (times width). */
export class R2Plus1dStem extends nn.Sequential {
  constructor(mid: number, out: number) {
    super(
      new nn.Conv3d(3, mid, [1, 7, 7], { stride: [1, 2, 2], padding: [0, 3, 3], bias: false }),
      new nn.BatchNorm3d(mid),
      new nn.ReLU(),
      new nn.Conv3d(mid, out, [3, 1, 1], { stride: [1, 1, 1], padding: [1, 0, 0], bias: false }),
      new nn.BatchNorm3d(out),
      new nn.ReLU(),
    );
  }
}

/** A residual block with two (2+1)D convolutions sharing one mid-plane count. */
export class BasicBlock3d extends nn.Module implements MacTraceable {
  readonly conv1: nn.Sequential;
  readonly conv2: nn.Sequential;
  readonly downsample: nn.Sequential | undefined;
  readonly mid: number;
  constructor(inplanes: number, planes: number, stride: number, downsample?: nn.Sequential) {
    super();
    this.mid = midPlanes(inplanes, planes);
    this.conv1 = this.registerModule('conv1', new nn.Sequential(new Conv2Plus1D(inplanes, planes, this.mid, stride), new nn.BatchNorm3d(planes), new nn.ReLU()));
    this.conv2 = this.registerModule('conv2', new nn.Sequential(new Conv2Plus1D(planes, planes, this.mid, 1), new nn.BatchNorm3d(planes)));
    // Registered after conv1/conv2 (state_dict order) although built first (random draw order).
    this.downsample = downsample ? this.registerModule('downsample', downsample) : undefined;
  }
  forward(x: Tensor): Tensor {
    return torch.tidy(() => {
      const out = this.conv2.forward(this.conv1.forward(x));
      const res = this.downsample ? this.downsample.forward(x) : x;
      return out.add_(res).relu_();
    });
  }
  traceMacs(t: MacTracer, [x]: readonly Shape[]): Shape[] {
    const out = t.child('conv2', this.conv2, t.child('conv1', this.conv1, x!));
    if (this.downsample) t.child('downsample', this.downsample, x!);
    return [out];
  }
}

/**
 * VideoResNet R(2+1)D-18/-34: stem, layer1..4, avgpool; forward returns (B, C, duration, 1, 1),
 * or the map (B, C, T', H', W') with `prePool`. C = 512·width.
 */
export class VideoResNet extends nn.Module implements MacTraceable {
  readonly stem: R2Plus1dStem;
  readonly layer1: nn.Sequential;
  readonly layer2: nn.Sequential;
  readonly layer3: nn.Sequential;
  readonly layer4: nn.Sequential;
  readonly avgpool: nn.Module;
  /** Identity, as the reference sets it (no fc keys). */
  readonly fc: nn.Identity;
  readonly depth: 18 | 34;
  readonly width: number;
  readonly outChannels: number;
  readonly prePool: boolean;
  readonly duration: number;

  constructor(o: VideoResNetOptions = {}) {
    super();
    this.depth = o.depth ?? 18;
    this.width = o.width ?? 1;
    this.prePool = o.prePool ?? false;
    this.duration = o.duration ?? 1;
    const blocks = BLOCKS[this.depth];
    if (!blocks) throw new RangeError(`R(2+1)D depth must be 18 or 34, got ${String(o.depth)}`);
    if (!(this.width > 0)) throw new RangeError(`width must be positive, got ${this.width}`);
    const planes = [64, 128, 256, 512].map((c) => scaleChannels(c, this.width));
    this.stem = this.registerModule('stem', new R2Plus1dStem(scaleChannels(45, this.width), planes[0]!));
    let inplanes = planes[0]!;
    const makeLayer = (p: number, n: number, stride: number): nn.Sequential => {
      // torchvision builds the downsample before the first block: same random draw order here.
      const ds =
        stride !== 1 || inplanes !== p
          ? new nn.Sequential(new nn.Conv3d(inplanes, p, 1, { stride, bias: false }), new nn.BatchNorm3d(p))
          : undefined;
      const layer = new nn.Sequential(new BasicBlock3d(inplanes, p, stride, ds));
      inplanes = p;
      for (let i = 1; i < n; i++) layer.append(new BasicBlock3d(p, p, 1));
      return layer;
    };
    this.layer1 = this.registerModule('layer1', makeLayer(planes[0]!, blocks[0], 1));
    this.layer2 = this.registerModule('layer2', makeLayer(planes[1]!, blocks[1], 2));
    this.layer3 = this.registerModule('layer3', makeLayer(planes[2]!, blocks[2], 2));
    this.layer4 = this.registerModule('layer4', makeLayer(planes[3]!, blocks[3], 2));
    this.outChannels = planes[3]!;
    this.avgpool = this.registerModule('avgpool', this.prePool ? new nn.Identity() : new nn.AdaptiveAvgPool3d([this.duration, 1, 1]));
    this.fc = this.registerModule('fc', new nn.Identity());
    this.initWeights(o.randomWeightInit ?? true);
  }

  /**
   * The reference's init: the class builds a Linear(512, 400) fc (drawing PyTorch's default
   * init) before its init loop, Conv3d weights get Kaiming normal (fan-out, ReLU gain), BN 1/0,
   * the fc N(0, 0.01); the fc is then replaced by Identity. The discarded fc's draws are made
   * here too, so a seeded build equals torchvision's `r2plus1d_18()` weight for weight.
   */
  private initWeights(repeat: boolean): void {
    const fc = new nn.Linear(this.outChannels, 400);
    const convs = [...this.modules()].filter((m): m is nn.Conv3d => m instanceof nn.Conv3d);
    const pass = (): void => {
      for (const c of convs) nn.init.kaimingNormal_(c.weight, { mode: 'fan_out', nonlinearity: 'relu' });
      for (const m of this.modules()) {
        if (m instanceof nn.BatchNorm3d) {
          nn.init.ones_(m.weight!);
          nn.init.zeros_(m.bias!);
        }
      }
    };
    pass();
    nn.init.normal_(fc.weight, 0, 0.01);
    fc.dispose();
    if (repeat) pass();
  }

  forward(x: Tensor): Tensor {
    // Stage by stage, freeing each stage's output as soon as the next exists (peak memory).
    let h = this.stem.forward(x);
    for (const layer of [this.layer1, this.layer2, this.layer3, this.layer4]) {
      const next = layer.forward(h);
      h.dispose();
      h = next;
    }
    const out = this.avgpool.forward(h);
    h.dispose();
    return out;
  }

  traceMacs(t: MacTracer, [x]: readonly Shape[]): Shape[] {
    let s = t.child('stem', this.stem, x!);
    s = t.child('layer1', this.layer1, s);
    s = t.child('layer2', this.layer2, s);
    s = t.child('layer3', this.layer3, s);
    s = t.child('layer4', this.layer4, s);
    return [t.child('avgpool', this.avgpool, s)];
  }

  override extraRepr(): string {
    return `depth=${this.depth}, width=${this.width}, prePool=${this.prePool}, duration=${this.duration}`;
  }
}

export function r2plus1d18(o: Omit<VideoResNetOptions, 'depth'> = {}): VideoResNet {
  return new VideoResNet({ ...o, depth: 18 });
}
export function r2plus1d34(o: Omit<VideoResNetOptions, 'depth'> = {}): VideoResNet {
  return new VideoResNet({ ...o, depth: 34 });
}
