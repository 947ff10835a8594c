// The contract-checking log capture: one implementation, kept beside the logging contract it
// checks (packages/observability/test/support/log-capture.ts), shared by every test.
export { LogCapture, contractErrors, type LogLine } from '../../packages/observability/test/support/log-capture.js';
