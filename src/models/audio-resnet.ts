// Audio encoders on one-channel log-filterbank "images" (SPEC 3.3): torchvision-style 2-D
// ResNets with BasicBlocks, ResNet-9 (one block per stage, unused fc kept) and ResNet-18 (no fc).
import { torch, nn } from '../index.js';
import type { Tensor } from '../torch/index.js';
import type { MacTraceable, MacTracer, Shape } from './flops.js';
import { scaleChannels } from './r2plus1d.js';

export interface AudioResNetOptions {
  /** 9 (blocks 1/1/1/1, fc 512 -> 1000 kept but never applied) or 18 (2/2/2/2, no fc). Default 9. */
  depth?: 9 | 18;
  /** Channel multiplier (64·w ... 512·w); 1 is the reference network. */
  width?: number;
  /** Width of the final adaptive pool (1, duration); 1 in every use of the reference. */
  duration?: number;
}

const BLOCKS: Record<9 | 18, readonly [number, number, number, number]> = { 9: [1, 1, 1, 1], 18: [2, 2, 2, 2] };

/** conv3x3 -> BN -> ReLU -> conv3x3 -> BN, plus shortcut, then ReLU (torchvision's BasicBlock). */
export class BasicBlock2d extends nn.Module implements MacTraceable {
  readonly conv1: nn.Conv2d;
  readonly bn1: nn.BatchNorm2d;
  readonly relu: nn.ReLU;
  readonly conv2: nn.Conv2d;
  readonly bn2: nn.BatchNorm2d;
  readonly downsample: nn.Sequential | undefined;
  constructor(inplanes: number, planes: number, stride: number, downsample?: nn.Sequential) {
    super();
    this.conv1 = this.registerModule('conv1', new nn.Conv2d(inplanes, planes, 3, { stride, padding: 1, bias: false }));
    this.bn1 = this.registerModule('bn1', new nn.BatchNorm2d(planes));
    this.relu = this.registerModule('relu', new nn.ReLU());
    this.conv2 = this.registerModule('conv2', new nn.Conv2d(planes, planes, 3, { stride: 1, padding: 1, bias: false }));
    this.bn2 = this.registerModule('bn2', new nn.BatchNorm2d(planes));
    this.downsample = downsample ? this.registerModule('downsample', downsample) : undefined;
  }
  forward(x: Tensor): Tensor {
    return torch.tidy(() => {
      const h = this.relu.forward(this.bn1.forward(this.conv1.forward(x)));
      const out = this.bn2.forward(this.conv2.forward(h));
      const res = this.downsample ? this.downsample.forward(x) : x;
      return out.add_(res).relu_();
    });
  }
  traceMacs(t: MacTracer, [x]: readonly Shape[]): Shape[] {
    let s = t.child('conv1', this.conv1, x!);
    s = t.child('bn1', this.bn1, s);
    s = t.child('conv2', this.conv2, s);
    s = t.child('bn2', this.bn2, s);
    if (this.downsample) t.child('downsample', this.downsample, x!);
    return [s];
  }
}

/**
 * The audio encoder. Forward: (B, 1, F, S) -> (B, C, 1, duration) for ResNet-9 (its fc is
 * never applied) or (B, C) for ResNet-18 (torchvision's flatten, fc = Identity). C = 512·width.
 */
export class AudioResNet extends nn.Module implements MacTraceable {
  readonly conv1: nn.Conv2d;
  readonly bn1: nn.BatchNorm2d;
  readonly relu: nn.ReLU;
  readonly maxpool: nn.MaxPool2d;
  readonly layer1: nn.Sequential;
  readonly layer2: nn.Sequential;
  readonly layer3: nn.Sequential;
  readonly layer4: nn.Sequential;
  readonly avgpool: nn.AdaptiveAvgPool2d;
  readonly fc: nn.Linear | nn.Identity;
  readonly depth: 9 | 18;
  readonly width: number;
  readonly outChannels: number;

  constructor(o: AudioResNetOptions = {}) {
    super();
    this.depth = o.depth ?? 9;
    this.width = o.width ?? 1;
    const blocks = BLOCKS[this.depth];
    if (!blocks) throw new RangeError(`audio ResNet depth must be 9 or 18, got ${String(o.depth)}`);
    if (!(this.width > 0)) throw new RangeError(`width must be positive, got ${this.width}`);
    const planes = [64, 128, 256, 512].map((c) => scaleChannels(c, this.width));

    // Built in torchvision's order so that seeded random draws match: a 3-channel conv1 (later
    // replaced), the stages (each downsample before its first block), the fc; then the init loop.
    const rgbConv1 = new nn.Conv2d(3, planes[0]!, 7, { stride: 2, padding: 3, bias: false });
    const bn1 = new nn.BatchNorm2d(planes[0]!);
    let inplanes = planes[0]!;
    const makeLayer = (p: number, n: number, stride: number): nn.Sequential => {
      const ds =
        stride !== 1 || inplanes !== p
          ? new nn.Sequential(new nn.Conv2d(inplanes, p, 1, { stride, bias: false }), new nn.BatchNorm2d(p))
          : undefined;
      const layer = new nn.Sequential(new BasicBlock2d(inplanes, p, stride, ds));
      inplanes = p;
      for (let i = 1; i < n; i++) layer.append(new BasicBlock2d(p, p, 1));
      return layer;
    };
    const layers = [makeLayer(planes[0]!, blocks[0], 1), makeLayer(planes[1]!, blocks[1], 2), makeLayer(planes[2]!, blocks[2], 2), makeLayer(planes[3]!, blocks[3], 2)];
    const fc = new nn.Linear(planes[3]!, 1000);
    // torchvision's init loop: Conv2d Kaiming normal (fan-out, ReLU gain), BN 1/0 (already so).
    const convs = [rgbConv1, ...layers.flatMap((l) => [...l.modules()].filter((m): m is nn.Conv2d => m instanceof nn.Conv2d))];
    for (const c of convs) nn.init.kaimingNormal_(c.weight, { mode: 'fan_out', nonlinearity: 'relu' });
    rgbConv1.dispose();
    // The reference then swaps in a one-channel conv1 with PyTorch's default init, U(±1/7).
    const conv1 = new nn.Conv2d(1, planes[0]!, 7, { stride: 2, padding: 3, bias: false });

    this.conv1 = this.registerModule('conv1', conv1);
    this.bn1 = this.registerModule('bn1', bn1);
    this.relu = this.registerModule('relu', new nn.ReLU());
    this.maxpool = this.registerModule('maxpool', new nn.MaxPool2d(3, { stride: 2, padding: 1 }));
    this.layer1 = this.registerModule('layer1', layers[0]!);
    this.layer2 = this.registerModule('layer2', layers[1]!);
    this.layer3 = this.registerModule('layer3', layers[2]!);
    this.layer4 = this.registerModule('layer4', layers[3]!);
    this.avgpool = this.registerModule('avgpool', new nn.AdaptiveAvgPool2d([1, o.duration ?? 1]));
    if (this.depth === 9) this.fc = this.registerModule('fc', fc);
    else {
      fc.dispose();
      this.fc = this.registerModule('fc', new nn.Identity());
    }
    this.outChannels = planes[3]!;
  }

  forward(x: Tensor): Tensor {
    let h = torch.tidy(() => this.maxpool.forward(this.relu.forward(this.bn1.forward(this.conv1.forward(x)))));
    for (const layer of [this.layer1, this.layer2, this.layer3, this.layer4]) {
      const next = layer.forward(h);
      h.dispose();
      h = next;
    }
    const out = this.avgpool.forward(h);
    h.dispose();
    if (this.depth === 9) return out;
    // ResNet-18 is torchvision's forward with fc = Identity: flatten to (B, C).
    const flat = out.flatten(1);
    out.dispose();
    return flat;
  }

  traceMacs(t: MacTracer, [x]: readonly Shape[]): Shape[] {
    let s = t.child('conv1', this.conv1, x!);
    s = t.child('bn1', this.bn1, s);
    s = t.child('maxpool', this.maxpool, s);
    for (const [n, l] of [['layer1', this.layer1], ['layer2', this.layer2], ['layer3', this.layer3], ['layer4', this.layer4]] as const) s = t.child(n, l, s);
    s = t.child('avgpool', this.avgpool, s);
    return [this.depth === 9 ? s : [s[0]!, s.slice(1).reduce((a, b) => a * b, 1)]];
  }

  override extraRepr(): string {
    return `depth=${this.depth}, width=${this.width}`;
  }
}

export function audioResNet9(o: Omit<AudioResNetOptions, 'depth'> = {}): AudioResNet {
  return new AudioResNet({ ...o, depth: 9 });
}
export function audioResNet18(o: Omit<AudioResNetOptions, 'depth'> = {}): AudioResNet {
  return new AudioResNet({ ...o, depth: 18 });
}
