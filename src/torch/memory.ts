// Native memory counters (see docs/memory.md).
import { native } from './native.js';

/** Number of native tensor handles alive in this thread (not yet disposed or collected). */
export function liveTensors(): number {
  return native.liveTensors();
}
/** Bytes of the distinct storages those handles keep alive. */
export function nativeBytes(): number {
  return native.nativeBytes();
}
