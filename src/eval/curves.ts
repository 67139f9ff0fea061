// Training curves kept small enough for results.json: per-step values averaged into at most
// `maxPoints` consecutive bins.

export interface StepPoint {
  step: number;
  loss: number;
  acc1: number;
}

export function downsample(points: readonly StepPoint[], maxPoints = 400): StepPoint[] {
  if (points.length <= maxPoints) return [...points];
  const bin = Math.ceil(points.length / maxPoints);
  const out: StepPoint[] = [];
  for (let i = 0; i < points.length; i += bin) {
    const b = points.slice(i, i + bin);
    out.push({
      step: b[b.length - 1]!.step,
      loss: b.reduce((s, p) => s + p.loss, 0) / b.length,
      acc1: b.reduce((s, p) => s + p.acc1, 0) / b.length,
    });
  }
  return out;
}
