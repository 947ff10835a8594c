/** Free loopback ports for the processes tests start (see packages/monitoring/src/free-port.ts for why they are drawn below the ephemeral range). */
export { freeLoopbackPort as freePort } from '../../packages/monitoring/src/free-port.js';
