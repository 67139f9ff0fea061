// The validation split of a training set used to choose hyper-parameters (the L2 penalty of the
// linear classifiers): per class, a seeded choice of whole groups (UCF101's `_gNN_` groups, ESC-50
// folds, or single videos when there is no group) until `fraction` of the class is held out.
// Whole groups, because clips of one group come from the same long video and would leak.
import { basename } from 'node:path';
import { hashSeed, mulberry32 } from '../media/rng.js';

export interface HoldoutItem {
  label: number;
  /** Items with the same group key always land on the same side. Default: the item alone. */
  group?: string;
}

export interface HoldoutSplit {
  /** Indices into the items. */
  train: number[];
  val: number[];
}

/** UCF101-style group of a file (`v_Class_g08_c01.avi` -> `Class_g08`), or undefined. */
export function ucfGroup(path: string): string | undefined {
  const m = /^v_(.+)_g(\d+)_c\d+/i.exec(basename(path));
  return m ? `${m[1]}_g${m[2]}` : undefined;
}

export function holdoutSplit(items: readonly HoldoutItem[], o: { fraction: number; seed: number }): HoldoutSplit {
  if (!(o.fraction > 0 && o.fraction < 1)) throw new RangeError(`the validation fraction must be in (0, 1), got ${o.fraction}`);
  const byClass = new Map<number, Map<string, number[]>>();
  items.forEach((it, i) => {
    const groups = byClass.get(it.label) ?? new Map<string, number[]>();
    byClass.set(it.label, groups);
    const g = it.group ?? `#${i}`;
    groups.set(g, [...(groups.get(g) ?? []), i]);
  });
  const train: number[] = [];
  const val: number[] = [];
  for (const [label, groups] of [...byClass].sort((a, b) => a[0] - b[0])) {
    const keys = [...groups.keys()].sort();
    const rnd = mulberry32(hashSeed(o.seed, label, 'holdout'));
    for (let i = keys.length - 1; i > 0; i--) {
      const j = Math.floor(rnd() * (i + 1));
      [keys[i], keys[j]] = [keys[j]!, keys[i]!];
    }
    const total = keys.reduce((n, k) => n + groups.get(k)!.length, 0);
    const want = o.fraction * total;
    let taken = 0;
    // At least one group is held out when the class has two or more; the last group stays in train.
    for (const [n, k] of keys.entries()) {
      const members = groups.get(k)!;
      const toVal = n < keys.length - 1 && (taken === 0 || taken + members.length <= want + 1e-9) && taken < want;
      if (toVal) {
        val.push(...members);
        taken += members.length;
      } else train.push(...members);
    }
  }
  return { train: train.sort((a, b) => a - b), val: val.sort((a, b) => a - b) };
}
