/**
 * The dashboards samosaChaat ships, by file name (deploy/grafana/dashboards/<name>.json).
 */
import type { Dashboard } from '@grafana/grafana-foundation-sdk/dashboard';
import { appPerformanceDashboard } from './app-performance.js';
import { chatDashboard } from './chat.js';
import { inferenceDashboard } from './inference.js';
import { logsDashboard } from './logs.js';
import { nodeHealthDashboard } from './node-health.js';

/** Dashboard name → builder of its model. */
export const DASHBOARDS: Readonly<Record<string, () => Dashboard>> = {
  'node-health': nodeHealthDashboard,
  'app-performance': appPerformanceDashboard,
  inference: inferenceDashboard,
  chat: chatDashboard,
  logs: logsDashboard,
};
