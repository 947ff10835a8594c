/**
 * node-health: the host under the platform, from node_exporter (job `node`, service label
 * `node` from the scrape target). CPU and memory use the recording rules
 * `instance:node_cpu_utilisation:ratio` and `instance:node_memory_utilisation:ratio`, which
 * keep only `instance`, so those panels filter on the `instance` variable instead.
 */
import type { Dashboard } from '@grafana/grafana-foundation-sdk/dashboard';
import { buildDashboard } from './layout.js';
import { barGaugePanel, gaugePanel, statPanel, STEPS, tablePanel, timeseriesPanel } from './panels.js';
import { rate, sel } from './promql.js';
import { labelVariable, prometheusDatasourceVariable, serviceVariable } from './variables.js';

const INSTANCE = 'instance=~"$instance"';
// Pseudo and read-only image filesystems say nothing about the disk filling up.
const REAL_FS = 'fstype!~"tmpfs|ramfs|overlay|squashfs|iso9660|nsfs|autofs"';
const REAL_NIC = 'device!~"lo|veth.*|docker.*|br-.*|ifb.*"';

/** Builds the node-health dashboard. */
export function nodeHealthDashboard(): Dashboard {
  const cpu = `instance:node_cpu_utilisation:ratio{${INSTANCE}}`;
  const memory = `instance:node_memory_utilisation:ratio{${INSTANCE}}`;
  const diskUsed = `1 - (${sel('node_filesystem_avail_bytes', INSTANCE, REAL_FS)} / ${sel('node_filesystem_size_bytes', INSTANCE, REAL_FS)})`;
  return buildDashboard({
    uid: 'samosachaat-node-health',
    title: 'samosaChaat / Node health',
    description: 'CPU, memory, disk, load and network of the hosts running samosaChaat (node_exporter).',
    tags: ['node', 'infrastructure'],
    variables: [
      prometheusDatasourceVariable(),
      serviceVariable('node_cpu_seconds_total'),
      labelVariable('instance', 'Instance', 'node_cpu_seconds_total{service=~"$service"}'),
    ],
    rows: [
      {
        title: 'Overview',
        panels: [
          statPanel({
            title: 'node_exporter up',
            description: 'node_exporter targets answering scrapes (1 = up). A host that stops answering also fires ServiceDown.',
            unit: 'short',
            thresholds: STEPS.upDown,
            queries: [{ expr: `sum(${sel('up', INSTANCE)})`, instant: true }],
          }),
          gaugePanel({
            title: 'CPU utilisation',
            description: 'Share of CPU time not idle, averaged over all cores (recording rule instance:node_cpu_utilisation:ratio). HighCPU fires above 90 %.',
            unit: 'percentunit', min: 0, max: 1,
            thresholds: STEPS.lowerIsBetter(0.75, 0.9),
            queries: [{ expr: `max(${cpu})`, instant: true }],
          }),
          gaugePanel({
            title: 'Memory utilisation',
            description: 'Share of memory not available to new processes (recording rule instance:node_memory_utilisation:ratio). HighMemory fires above 90 %.',
            unit: 'percentunit', min: 0, max: 1,
            thresholds: STEPS.lowerIsBetter(0.8, 0.9),
            queries: [{ expr: `max(${memory})`, instant: true }],
          }),
          statPanel({
            title: 'Uptime',
            description: 'Time since the host booted.',
            unit: 's',
            thresholds: STEPS.higherIsBetter(300, 3600),
            queries: [{ expr: `min(time() - ${sel('node_boot_time_seconds', INSTANCE)})`, instant: true }],
          }),
        ],
      },
      {
        title: 'CPU and memory',
        panels: [
          timeseriesPanel({
            title: 'CPU utilisation',
            description: 'Non-idle CPU share per instance.',
            unit: 'percentunit', min: 0, max: 1,
            thresholds: STEPS.lowerIsBetter(0.75, 0.9),
            queries: [{ expr: cpu, legend: '{{instance}}' }],
          }),
          timeseriesPanel({
            title: 'Memory utilisation',
            description: 'Memory not available per instance.',
            unit: 'percentunit', min: 0, max: 1,
            thresholds: STEPS.lowerIsBetter(0.8, 0.9),
            queries: [{ expr: memory, legend: '{{instance}}' }],
          }),
          timeseriesPanel({
            title: 'Load average',
            description: 'Runnable and uninterruptible tasks, 1/5/15-minute averages, next to the number of cores.',
            unit: 'short', min: 0,
            queries: [
              { expr: sel('node_load1', INSTANCE), legend: '1m {{instance}}' },
              { expr: sel('node_load5', INSTANCE), legend: '5m {{instance}}' },
              { expr: sel('node_load15', INSTANCE), legend: '15m {{instance}}' },
              { expr: `count by (instance) (${sel('node_cpu_seconds_total', INSTANCE, 'mode="idle"')})`, legend: 'cores {{instance}}' },
            ],
          }),
          timeseriesPanel({
            title: 'Memory',
            description: 'Total and available memory in bytes.',
            unit: 'bytes', min: 0,
            queries: [
              { expr: sel('node_memory_MemTotal_bytes', INSTANCE), legend: 'total {{instance}}' },
              { expr: sel('node_memory_MemAvailable_bytes', INSTANCE), legend: 'available {{instance}}' },
            ],
          }),
        ],
      },
      {
        title: 'Disk and network',
        panels: [
          barGaugePanel({
            title: 'Disk usage by mountpoint',
            description: 'Used share of each real filesystem. DiskSpaceLow fires above 90 %.',
            unit: 'percentunit', min: 0, max: 1,
            thresholds: STEPS.lowerIsBetter(0.8, 0.9),
            queries: [{ expr: diskUsed, legend: '{{mountpoint}} ({{instance}})', instant: true }],
          }),
          tablePanel({
            title: 'Free space by mountpoint',
            description: 'Bytes still available to unprivileged users on each real filesystem.',
            unit: 'bytes',
            queries: [{ expr: sel('node_filesystem_avail_bytes', INSTANCE, REAL_FS), legend: '{{mountpoint}} ({{instance}})' }],
          }),
          timeseriesPanel({
            title: 'Network traffic',
            description: 'Bytes per second received (positive) and transmitted (negative) per interface.',
            unit: 'Bps',
            queries: [
              { expr: `sum by (instance, device) (${rate(sel('node_network_receive_bytes_total', INSTANCE, REAL_NIC))})`, legend: 'rx {{device}} {{instance}}' },
              { expr: `-sum by (instance, device) (${rate(sel('node_network_transmit_bytes_total', INSTANCE, REAL_NIC))})`, legend: 'tx {{device}} {{instance}}' },
            ],
          }),
          timeseriesPanel({
            title: 'Disk I/O',
            description: 'Bytes per second read and written per block device.',
            unit: 'Bps',
            queries: [
              { expr: `sum by (instance, device) (${rate(sel('node_disk_read_bytes_total', INSTANCE))})`, legend: 'read {{device}} {{instance}}' },
              { expr: `sum by (instance, device) (${rate(sel('node_disk_written_bytes_total', INSTANCE))})`, legend: 'written {{device}} {{instance}}' },
            ],
          }),
        ],
      },
    ],
  });
}
