// Annotation formats with real-file quirks (CRLF, trailing blanks, BOM) and error locations.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  captionWindow,
  listClassFolders,
  listKinetics,
  parseCsv,
  parseEsc50Meta,
  parseHmdb51SplitFile,
  parseHowToCaptions,
  parseHowToIndex,
  parseUcf101ClassInd,
  parseUcf101List,
  readEsc50,
  readHmdb51Split,
  readUcf101Split,
  selectHmdb51,
  selectUcf101,
  SplitFormatError,
} from '../../src/data/splits.js';

test('UCF101 classInd, trainlist and testlist in the real format', () => {
  const ind = parseUcf101ClassInd('\ufeff1 ApplyEyeMakeup\r\n2 ApplyLipstick\r\n3 Archery\r\n');
  assert.deepEqual(ind, [
    { index: 1, name: 'ApplyEyeMakeup' },
    { index: 2, name: 'ApplyLipstick' },
    { index: 3, name: 'Archery' },
  ]);
  const train = parseUcf101List('ApplyEyeMakeup/v_ApplyEyeMakeup_g08_c01.avi 1\r\nApplyLipstick/v_ApplyLipstick_g08_c01.avi 2 \r\n\r\n', 'trainlist01.txt');
  assert.deepEqual(train, [
    { path: 'ApplyEyeMakeup/v_ApplyEyeMakeup_g08_c01.avi', className: 'ApplyEyeMakeup', label: 1, line: 1 },
    { path: 'ApplyLipstick/v_ApplyLipstick_g08_c01.avi', className: 'ApplyLipstick', label: 2, line: 2 },
  ]);
  const testList = parseUcf101List('ApplyEyeMakeup/v_ApplyEyeMakeup_g01_c01.avi\r\nHandstandPushups/v_HandStandPushups_g01_c01.avi\r\n', 'testlist01.txt');
  assert.equal(testList[1]?.className, 'HandstandPushups');
  assert.equal(testList[1]?.label, null);
});

test('UCF101 malformed lines name the file and line', () => {
  const bad: [string, RegExp][] = [
    ['A/v_a.avi 1\r\nno_slash.avi 1\r\n', /trainlist01\.txt:2: expected "<Class>\/<file>"/],
    ['A/v_a.avi one\n', /trainlist01\.txt:1: label must be an integer/],
    ['A/v_a.avi 1 extra\n', /trainlist01\.txt:1: expected/],
    ['\n\nA/b/c.avi\n', /trainlist01\.txt:3:/],
  ];
  for (const [text, re] of bad) {
    assert.throws(() => parseUcf101List(text, 'trainlist01.txt'), (err: unknown) => err instanceof SplitFormatError && re.test(err.message));
  }
  assert.throws(() => parseUcf101ClassInd('1 A\n1 B\n', 'classInd.txt'), /classInd\.txt:2: duplicate class index 1/);
  assert.throws(() => parseUcf101ClassInd('A 1\n', 'classInd.txt'), /classInd\.txt:1: expected/);
});

test('HMDB51 split files: tags, trailing spaces, class from the file name', () => {
  const text = 'April_09_brush_hair_u_nm_np1_ba_goo_0.avi 1 \r\nApril_09_brush_hair_u_nm_np1_ba_goo_1.avi 2 \r\nApril_09_brush_hair_u_nm_np1_ba_goo_2.avi 0 \r\n';
  const e = parseHmdb51SplitFile(text, '/x/brush_hair_test_split1.txt');
  assert.deepEqual(e.map((x) => [x.video, x.tag, x.className, x.line]), [
    ['April_09_brush_hair_u_nm_np1_ba_goo_0.avi', 1, 'brush_hair', 1],
    ['April_09_brush_hair_u_nm_np1_ba_goo_1.avi', 2, 'brush_hair', 2],
    ['April_09_brush_hair_u_nm_np1_ba_goo_2.avi', 0, 'brush_hair', 3],
  ]);
  assert.throws(() => parseHmdb51SplitFile('a.avi 3\n', 'cat_test_split1.txt'), /cat_test_split1\.txt:1: tag must be 0, 1 or 2/);
  assert.throws(() => parseHmdb51SplitFile('a.avi\n', 'cat_test_split1.txt'), /cat_test_split1\.txt:1: expected/);
});

test('CSV: quotes, doubled quotes, embedded commas and newlines, CRLF', () => {
  const rows = parseCsv('a,b,c\r\n1,"x, y",3\r\n2,"say ""hi""\nthere",4\r\n\r\n5,,6');
  assert.deepEqual(rows.map((r) => [r.fields, r.line]), [
    [['a', 'b', 'c'], 1],
    [['1', 'x, y', '3'], 2],
    [['2', 'say "hi"\nthere', '4'], 3],
    [['5', '', '6'], 6],
  ]);
  assert.throws(() => parseCsv('a,"b\n', 'f.csv'), /f\.csv:1: unterminated/);
  assert.throws(() => parseCsv('a,b"c\n', 'f.csv'), /f\.csv:1: quote inside/);
});

test('HowTo100M captions and the 4-second window rule', () => {
  const caps = parseHowToCaptions(',start,end,text\r\n0,1.5,3.2,"add the flour, then stir"\r\n1,10,18.5,whisk\r\n', 'abc.csv');
  assert.deepEqual(caps.map((c) => [c.start, c.end, c.text, c.line]), [
    [1.5, 3.2, 'add the flour, then stir', 2],
    [10, 18.5, 'whisk', 3],
  ]);
  // 1.7 s long -> extended by 1.15 s on each side: start 0.35 -> 0, end 4.35 -> 4.
  assert.deepEqual(captionWindow(1.5, 3.2), { start: 0, end: 4 });
  assert.deepEqual(captionWindow(0.5, 1), { start: 0, end: 4 });
  assert.deepEqual(captionWindow(10, 18.5), { start: 10, end: 18 });
  assert.throws(() => parseHowToCaptions('start,end,text\n1,x,hi\n', 'abc.csv'), /abc\.csv:2: end is not a number/);
  assert.throws(() => parseHowToCaptions('begin,end,text\n', 'abc.csv'), /abc\.csv:1: missing column "start"/);
  assert.deepEqual(parseHowToIndex('video_id\r\n-abc123\r\nxyz\r\n'), ['-abc123', 'xyz']);
});

test('ESC-50 metadata and folds', async () => {
  const csv = 'filename,fold,target,category,esc10,src_file,take\n1-100032-A-0.wav,1,0,dog,True,100032,A\n2-100038-A-14.wav,2,14,chirping_birds,False,100038,A\n1-1791-A-26.wav,1,26,laughing,False,1791,A\n';
  const e = parseEsc50Meta(csv, 'esc50.csv');
  assert.deepEqual(e[0], { filename: '1-100032-A-0.wav', fold: 1, target: 0, category: 'dog', esc10: true, srcFile: '100032', take: 'A', line: 2 });
  assert.throws(() => parseEsc50Meta('filename,fold,target,category\nx.wav,one,1,dog\n', 'esc50.csv'), /esc50\.csv:2: fold must be/);
  const dir = await mkdtemp(join(tmpdir(), 'gdt-esc-'));
  try {
    await mkdir(join(dir, 'meta'));
    await writeFile(join(dir, 'meta', 'esc50.csv'), csv);
    const test1 = await readEsc50(dir, 1, 'test');
    assert.deepEqual(test1.map((x) => x.filename), ['1-100032-A-0.wav', '1-1791-A-26.wav']);
    assert.equal(test1[0]?.path, join(dir, 'audio', '1-100032-A-0.wav'));
    assert.equal((await readEsc50(dir, 1, 'train')).length, 1);
    assert.equal((await readEsc50(dir, 1, 'test', { esc10Only: true })).length, 1);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('class folders, UCF101/HMDB51 selection and Kinetics splits on disk', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'gdt-splits-'));
  try {
    const files = ['b_class/v_b_g01_c01.avi', 'a_class/v_a_g01_c01.avi', 'a_class/v_a_g08_c01.avi', 'a_class/.hidden', 'Z_upper/v_z.avi'];
    for (const f of files) {
      await mkdir(join(dir, 'vids', f.split('/')[0]!), { recursive: true });
      await writeFile(join(dir, 'vids', f), '');
    }
    await writeFile(join(dir, 'vids', 'stray.txt'), '');
    const l = await listClassFolders(join(dir, 'vids'));
    // Code-unit order: uppercase before lowercase, like Python's sorted().
    assert.deepEqual(l.classes, ['Z_upper', 'a_class', 'b_class']);
    assert.deepEqual(l.items.map((i) => [i.rel, i.label]), [
      ['Z_upper/v_z.avi', 0],
      ['a_class/v_a_g01_c01.avi', 1],
      ['a_class/v_a_g08_c01.avi', 1],
      ['b_class/v_b_g01_c01.avi', 2],
    ]);
    // UCF101: exact relative path (first field only); missing entries reported.
    const sp = join(dir, 'splits');
    await mkdir(sp);
    await writeFile(join(sp, 'trainlist01.txt'), 'a_class/v_a_g08_c01.avi 1\r\nb_class/v_b_g99_c01.avi 2\r\n');
    const entries = await readUcf101Split(sp, 1, 'train');
    const sel = selectUcf101(l.items, entries);
    assert.deepEqual(sel.selected.map((i) => i.rel), ['a_class/v_a_g08_c01.avi']);
    assert.deepEqual(sel.missing.map((m) => m.line), [2]);
    const mp4 = selectUcf101(l.items, [{ path: 'a_class/v_a_g01_c01.mp4', className: 'a_class', label: 1, line: 1 }], { ignoreExtension: true });
    assert.equal(mp4.selected.length, 1);
    await assert.rejects(readUcf101Split(sp, 2, 'train'), (err: unknown) => err instanceof SplitFormatError && /trainlist02\.txt/.test(err.message));
    await assert.rejects(readUcf101Split(sp, 4, 'train'), RangeError);
    // HMDB51: by basename, per tag.
    const hm = join(dir, 'hmdb');
    await mkdir(hm);
    await writeFile(join(hm, 'a_class_test_split1.txt'), 'v_a_g01_c01.avi 1 \r\nv_a_g08_c01.avi 2 \r\n');
    await writeFile(join(hm, 'b_class_test_split1.txt'), 'v_b_g01_c01.avi 0 \r\n');
    await writeFile(join(hm, 'b_class_test_split2.txt'), 'v_b_g01_c01.avi 1 \r\n');
    const h = await readHmdb51Split(hm, 1);
    assert.equal(h.length, 3);
    assert.deepEqual(selectHmdb51(l.items, h, 'train').selected.map((i) => i.rel), ['a_class/v_a_g01_c01.avi']);
    assert.deepEqual(selectHmdb51(l.items, h, 'test').selected.map((i) => i.rel), ['a_class/v_a_g08_c01.avi']);
    assert.deepEqual(selectHmdb51(l.items, h, 'unused').selected.map((i) => i.rel), ['b_class/v_b_g01_c01.avi']);
    // Kinetics: <root>/<split>/<class>/<file>.
    for (const f of ['train/cls1/x.mp4', 'train/cls2/y.mp4', 'val/cls1/z.mp4']) {
      await mkdir(join(dir, 'k400', f.split('/').slice(0, 2).join('/')), { recursive: true });
      await writeFile(join(dir, 'k400', f), '');
    }
    const k = await listKinetics(join(dir, 'k400'));
    assert.deepEqual(Object.keys(k), ['train', 'val']);
    assert.equal(k.train?.items.length, 2);
    assert.deepEqual(k.val?.classes, ['cls1']);
    const onlyMp4 = await listClassFolders(join(dir, 'vids'), { extensions: ['.mp4'] });
    assert.equal(onlyMp4.items.length, 0);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
