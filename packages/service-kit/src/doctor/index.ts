/** The doctor: a registry of named health checks, its runner, reports, CLI and built-in checks. */
export type { CheckOutcome, CheckResult, CheckStatus, DoctorCheck, DoctorContext, RunOptions } from './types.js';
export { DoctorRegistry, type CheckSummary } from './registry.js';
export { DEFAULT_CHECK_TIMEOUT_MS, runDoctorCheck } from './run-check.js';
export {
  doctorJson,
  doctorPassed,
  formatDoctorTable,
  summarizeDoctor,
  type DoctorJson,
  type DoctorSummary,
  type DoctorTableOptions,
} from './report.js';
export { DOCTOR_EXIT, runDoctorCli, type DoctorCliIo, type DoctorTextSink } from './run-cli.js';
export {
  diskSpaceCheck,
  identifyByHealth,
  logDirWritableCheck,
  portsFreeCheck,
  type DiskSpaceCheckOptions,
  type LogDirWritableCheckOptions,
  type PortIdentifier,
  type PortSpec,
  type PortsFreeCheckOptions,
} from './builtin-checks.js';
