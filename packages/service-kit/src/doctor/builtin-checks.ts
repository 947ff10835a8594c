/**
 * The checks that need no running service. Each lives in its own module; this one gathers
 * them so callers import the whole built-in set from one place.
 */
export { diskSpaceCheck, formatBytes, GIB, type DiskSpaceCheckOptions } from './disk-space-check.js';
export { logDirWritableCheck, type LogDirWritableCheckOptions } from './log-dir-writable-check.js';
export {
  identifyByHealth,
  portsFreeCheck,
  type PortIdentifier,
  type PortSpec,
  type PortsFreeCheckOptions,
} from './ports-free-check.js';
