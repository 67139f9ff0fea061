// A loader worker: builds the dataset once, then fetches batches on request.
import { parentPort, workerData } from 'node:worker_threads';
import { buildDataset, fetchBatch } from './fetch.js';
import type { DatasetSpec, RawBatch } from './sample.js';

interface Request {
  id: number;
  indices: number[];
  epoch: number;
}

const port = parentPort!;
const { spec, seed } = workerData as { spec: DatasetSpec; seed: number };
const ready = buildDataset(spec);
ready.then(
  () => port.postMessage({ type: 'ready' }),
  (e: Error) => port.postMessage({ type: 'fatal', message: e.message }),
);

port.on('message', (msg: Request | { type: 'close' }) => {
  if ('type' in msg) {
    void ready.then((ds) => ds.close?.()).finally(() => port.close());
    return;
  }
  void (async () => {
    try {
      const ds = await ready;
      const batch: RawBatch = await fetchBatch(ds, msg.indices, seed, msg.epoch);
      const transfer = Object.values(batch.arrays).map((a) => a.data.buffer as ArrayBuffer);
      port.postMessage({ type: 'batch', id: msg.id, batch }, transfer);
    } catch (e) {
      port.postMessage({ type: 'error', id: msg.id, message: e instanceof Error ? e.message : String(e) });
    }
  })();
});
