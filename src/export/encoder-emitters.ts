// Emitters of our encoders' own modules: R(2+1)D (VideoResNet, BasicBlock3d; its stem and
// (2+1)D convolutions are plain Sequentials) and the audio ResNets (AudioResNet, BasicBlock2d).
// Each reproduces the class's forward, child by child.
import { VideoResNet, BasicBlock3d } from '../models/r2plus1d.js';
import { AudioResNet, BasicBlock2d } from '../models/audio-resnet.js';
import type { Value } from './graph-builder.js';
import { subPath, type EmitContext, type EmitterRegistry } from './emit-context.js';
import { flatten } from './nn-emitters.js';

/** out + residual, then ReLU (the blocks' `out.add_(res).relu_()`). */
function residualRelu(ctx: EmitContext, out: Value, res: Value, path: string): Value {
  const sum = ctx.g.op('Add', [out.name, res.name], out.shape, subPath(path, 'add'));
  return ctx.g.op('Relu', [sum.name], out.shape, subPath(path, 'relu'));
}

function emitBasicBlock3d(ctx: EmitContext, m: BasicBlock3d, x: Value, path: string): Value {
  const out = ctx.child(path, 'conv2', m.conv2, ctx.child(path, 'conv1', m.conv1, x));
  const res = m.downsample ? ctx.child(path, 'downsample', m.downsample, x) : x;
  return residualRelu(ctx, out, res, path);
}

function emitVideoResNet(ctx: EmitContext, m: VideoResNet, x: Value, path: string): Value {
  let h = ctx.child(path, 'stem', m.stem, x);
  for (const [n, l] of [['layer1', m.layer1], ['layer2', m.layer2], ['layer3', m.layer3], ['layer4', m.layer4]] as const) h = ctx.child(path, n, l, h);
  // The fc (Identity) is not part of forward.
  return ctx.child(path, 'avgpool', m.avgpool, h);
}

function emitBasicBlock2d(ctx: EmitContext, m: BasicBlock2d, x: Value, path: string): Value {
  let h = ctx.child(path, 'conv1', m.conv1, x);
  h = ctx.child(path, 'bn1', m.bn1, h);
  h = ctx.child(path, 'relu', m.relu, h);
  h = ctx.child(path, 'conv2', m.conv2, h);
  const out = ctx.child(path, 'bn2', m.bn2, h);
  const res = m.downsample ? ctx.child(path, 'downsample', m.downsample, x) : x;
  return residualRelu(ctx, out, res, path);
}

function emitAudioResNet(ctx: EmitContext, m: AudioResNet, x: Value, path: string): Value {
  let h = ctx.child(path, 'conv1', m.conv1, x);
  h = ctx.child(path, 'bn1', m.bn1, h);
  h = ctx.child(path, 'relu', m.relu, h);
  h = ctx.child(path, 'maxpool', m.maxpool, h);
  for (const [n, l] of [['layer1', m.layer1], ['layer2', m.layer2], ['layer3', m.layer3], ['layer4', m.layer4]] as const) h = ctx.child(path, n, l, h);
  h = ctx.child(path, 'avgpool', m.avgpool, h);
  // ResNet-9 returns the pooled map (its fc is never applied); ResNet-18 flattens (fc = Identity).
  return m.depth === 9 ? h : flatten(ctx, h, 1, -1, subPath(path, 'flatten'));
}

export function registerEncoderEmitters(r: EmitterRegistry): EmitterRegistry {
  return r
    .register(VideoResNet, emitVideoResNet)
    .register(BasicBlock3d, emitBasicBlock3d)
    .register(AudioResNet, emitAudioResNet)
    .register(BasicBlock2d, emitBasicBlock2d);
}
