/**
 * Checkpoint formats over raw tensor records, independent of the tensor
 * library: torch.save files (zip, legacy, tar) in, torch zip files out,
 * safetensors both ways. The tensor layer wraps TensorRecords.
 */
export { writeFileAtomic, type AtomicWriter } from './atomic.js';
export { CheckpointError } from './errors.js';
export {
  PickleError,
  PyStorageType,
  PyTensorType,
  allowedGlobals,
  isOrderedDict,
  markOrderedDict,
  pyAttributes,
  setPyAttributes,
  unpickle,
  type ByteReader,
  type UnpickleOptions,
} from './pickle.js';
export { readSafetensors, writeSafetensors, type SafetensorsEntry, type SafetensorsFile } from './safetensors.js';
export {
  DTYPES,
  contiguousBytes,
  contiguousStrides,
  dtypeSize,
  isContiguous,
  isDType,
  isStorageRecord,
  isTensorRecord,
  shapeNumel,
  storageFromBytes,
  tensorRecordFromBytes,
  validateTensorRecord,
  type DType,
  type StorageRecord,
  type TensorRecord,
} from './tensor-record.js';
export { readTorchFile } from './torch-file.js';
export { PyFloat, pickleTorchObject, writeTorchFile, type WriteTorchOptions } from './torch-writer.js';
export { materialize, tensorToRecord, loadTorchFile, saveTorchFile, loadSafetensors, saveSafetensors, extractStateDict } from './tensors.js';
export { saveCheckpoint, loadCheckpoint, section, CHECKPOINT_FORMAT, type Checkpoint } from './checkpoint.js';
