// The contract-checking log capture every service's tests share.
export { LogCapture, type LogLine } from '../../../../test/support/contract-log-capture.js';
