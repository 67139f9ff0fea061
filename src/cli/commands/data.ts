// `gdt synth` (the synthetic audio-visual dataset) and `gdt data check` (validate a dataset).
import type { Command } from 'commander';
import { generateSyntheticDataset } from '../../media/synth.js';
import { checkDataset, formatDatasetSummary, type DatasetFormat } from '../../data/check.js';
import { progress } from '../progress.js';
import { intOption } from '../options.js';

export function register(program: Command): void {
  program
    .command('synth')
    .description('write the synthetic audio-visual dataset (H.264 + AAC MP4s in the UCF101 layout, with split files)')
    .argument('<out>', 'output folder (its videos/ and splits/ are replaced)')
    .option('--classes <n>', 'number of classes (1-10)', '10')
    .option('--videos-per-class <n>', 'videos per class', '30')
    .option('--seconds <s>', 'length of each video in seconds', '4')
    .option('--size <WxH>', 'frame size', '128x128')
    .option('--seed <k>', 'random seed (same seed, same files)', '0')
    .option('--timbre <by>', "what decides a sounding object's timbre: shape | class (gdt demo uses class)", 'shape')
    .option('--scenes <s>', 'backgrounds: per-class (each group of each class its own, as UCF101) | shared (group g looks the same in every class; gdt demo uses shared)', 'per-class')
    .option('--pitch <by>', "what decides a sounding object's pitch: size (6000 Hz / radius) | class (each class its own pitch; gdt demo uses class)", 'size')
    .option('--clips-per-group <n>', 'videos per UCF-style group, which share a background (default: videos per class / 10, rounded, in 1..7)')
    .option('--object-scale <x>', 'object sizes relative to the frame (gdt demo uses 2.5, for small crops)', '1')
    .action(async (out: string, o: { classes: string; videosPerClass: string; seconds: string; size: string; seed: string; timbre: string; pitch: string; scenes: string; clipsPerGroup?: string; objectScale: string }) => {
      if (o.timbre !== 'shape' && o.timbre !== 'class') throw new Error(`--timbre must be shape or class, got '${o.timbre}'`);
      if (o.scenes !== 'per-class' && o.scenes !== 'shared') throw new Error(`--scenes must be per-class or shared, got '${o.scenes}'`);
      if (o.pitch !== 'size' && o.pitch !== 'class') throw new Error(`--pitch must be size or class, got '${o.pitch}'`);
      const objectScale = Number(o.objectScale);
      if (!(objectScale > 0)) throw new Error(`--object-scale must be a positive number, got '${o.objectScale}'`);
      const m = /^(\d+)x(\d+)$/.exec(o.size);
      if (!m) throw new Error(`--size must look like 128x128, got '${o.size}'`);
      const total = intOption('--classes', o.classes, 1, 10) * intOption('--videos-per-class', o.videosPerClass, 1);
      const bar = progress('synth', total, { unit: 'videos' });
      const seconds = Number(o.seconds);
      if (!(seconds > 0)) throw new Error(`--seconds must be a positive number, got '${o.seconds}'`);
      const r = await generateSyntheticDataset(out, {
        classes: intOption('--classes', o.classes, 1, 10),
        videosPerClass: intOption('--videos-per-class', o.videosPerClass, 1),
        seconds,
        width: Number(m[1]),
        height: Number(m[2]),
        seed: intOption('--seed', o.seed, 0),
        timbre: o.timbre,
        pitch: o.pitch,
        scenes: o.scenes,
        clipsPerGroup: o.clipsPerGroup === undefined ? undefined : intOption('--clips-per-group', o.clipsPerGroup, 1),
        objectScale,
        onProgress: (done) => bar.update(done),
      });
      bar.stop();
      console.log(`wrote ${r.videos.length} videos of ${r.classes.length} classes to ${r.videosDir} in ${(r.elapsedMs / 1000).toFixed(1)} s`);
      console.log(`splits: ${r.splitsDir} (classInd.txt, trainlist0{1,2,3}.txt, testlist0{1,2,3}.txt)`);
    });

  const data = program.command('data').description('dataset tools');
  data
    .command('check')
    .description('validate a dataset: classes, counts, durations, videos without audio, unreadable files')
    .argument('<root>', 'dataset folder')
    .option('--format <f>', 'ucf101 | hmdb51 | kinetics | folder', 'folder')
    .option('--splits <dir>', 'annotation folder (UCF101/HMDB51)')
    .option('--deep', 'also decode every file completely (slow; catches truncation)')
    .option('--json', 'print JSON')
    .action(async (root: string, o: { format: string; splits?: string; deep?: boolean; json?: boolean }) => {
      const formats = ['ucf101', 'hmdb51', 'kinetics', 'folder'];
      if (!formats.includes(o.format)) throw new Error(`--format must be one of ${formats.join(', ')}, got '${o.format}'`);
      let bar: ReturnType<typeof progress> | undefined;
      const s = await checkDataset(root, {
        format: o.format as DatasetFormat,
        splitsDir: o.splits,
        deep: o.deep,
        onProgress: (done, total) => (bar ??= progress('probe', total, { unit: 'files' })).update(done),
      });
      bar?.stop();
      console.log(o.json ? JSON.stringify(s, null, 2) : formatDatasetSummary(s));
      if (s.unreadable.length) process.exitCode = 2;
    });
}
