/**
 * Panel factories shared by every samosaChaat dashboard. Each factory takes a small spec
 * (title, unit, queries, thresholds) and returns the foundation SDK's typed builder, so every
 * panel gets a unit, every stat/gauge gets thresholds and every query a datasource — the
 * dashboard tests check those properties on the generated JSON.
 */
import * as common from '@grafana/grafana-foundation-sdk/common';
import { ThresholdsConfigBuilder, ThresholdsMode, type Panel } from '@grafana/grafana-foundation-sdk/dashboard';
import type { Builder, Dataquery } from '@grafana/grafana-foundation-sdk/cog';
import * as bargauge from '@grafana/grafana-foundation-sdk/bargauge';
import * as gauge from '@grafana/grafana-foundation-sdk/gauge';
import * as logs from '@grafana/grafana-foundation-sdk/logs';
import * as loki from '@grafana/grafana-foundation-sdk/loki';
import * as prometheus from '@grafana/grafana-foundation-sdk/prometheus';
import * as stat from '@grafana/grafana-foundation-sdk/stat';
import * as table from '@grafana/grafana-foundation-sdk/table';
import * as timeseries from '@grafana/grafana-foundation-sdk/timeseries';
import { LOKI, PROMETHEUS } from './variables.js';

/** Grafana unit ids the dashboards use (see Grafana's unit picker). */
export type Unit = 's' | 'reqps' | 'percentunit' | 'bytes' | 'Bps' | 'short' | 'ops' | 'cps' | 'none' | 'bool_yes_no';

/** One query of a panel: a PromQL (or LogQL, for Loki panels) expression and its legend. */
export interface Query {
  expr: string;
  /** Grafana legend template, e.g. `{{service}}`. */
  legend?: string;
  /** Evaluate at the end of the range only (stat/gauge/table panels). */
  instant?: boolean;
}

/** Colour steps: the first step's value is always `null` (the base colour). */
export type Steps = ReadonlyArray<readonly [color: string, from: number | null]>;

/** The common spec of every panel. */
export interface PanelSpec {
  title: string;
  description: string;
  unit: Unit;
  queries: readonly Query[];
  /** Grid width out of 24 (default 12) and height in rows (default 8). */
  width?: number;
  height?: number;
  min?: number;
  max?: number;
  decimals?: number;
}

/** A spec that must carry thresholds (stat, gauge, bar gauge). */
export interface ThresholdedSpec extends PanelSpec {
  thresholds: Steps;
}

/** Ready-made colour steps. */
export const STEPS = {
  /** Lower is better: green, amber from `warn`, red from `crit`. */
  lowerIsBetter: (warn: number, crit: number): Steps => [['green', null], ['orange', warn], ['red', crit]],
  /** Higher is better: red below `crit`, amber below `warn`, green above. */
  higherIsBetter: (crit: number, warn: number): Steps => [['red', null], ['orange', crit], ['green', warn]],
  /** Up/down style: red for 0, green from 1. */
  upDown: [['red', null], ['green', 1]] as Steps,
  /** Purely informational value: one neutral colour. */
  neutral: [['blue', null]] as Steps,
};

function thresholdsOf(steps: Steps): ThresholdsConfigBuilder {
  return new ThresholdsConfigBuilder().mode(ThresholdsMode.Absolute).steps(steps.map(([color, value]) => ({ color, value })));
}

const REF_IDS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';

/** PromQL query builders with stable refIds (A, B, …) and the Prometheus datasource variable. */
export function promQueries(queries: readonly Query[]): prometheus.DataqueryBuilder[] {
  return queries.map((query, index) => {
    const builder = new prometheus.DataqueryBuilder().refId(REF_IDS[index] ?? `Q${index}`).datasource(PROMETHEUS).expr(query.expr);
    if (query.legend !== undefined) builder.legendFormat(query.legend);
    if (query.instant) builder.instant();
    else builder.range();
    return builder;
  });
}

/** Applies what every Prometheus panel shares: datasource, size, unit, bounds, targets. */
interface CommonPanelBuilder {
  title(title: string): this;
  description(description: string): this;
  datasource(datasource: common.DataSourceRef): this;
  span(width: number): this;
  height(height: number): this;
  unit(unit: string): this;
  min(min: number): this;
  max(max: number): this;
  decimals(decimals: number): this;
  targets(targets: Builder<Dataquery>[]): this;
}

function applyCommon<T extends CommonPanelBuilder>(builder: T, spec: PanelSpec): T {
  builder.title(spec.title).description(spec.description).datasource(PROMETHEUS).span(spec.width ?? 12).height(spec.height ?? 8).unit(spec.unit);
  if (spec.min !== undefined) builder.min(spec.min);
  if (spec.max !== undefined) builder.max(spec.max);
  if (spec.decimals !== undefined) builder.decimals(spec.decimals);
  builder.targets(promQueries(spec.queries));
  return builder;
}

/** A time series graph; optional thresholds are drawn as dashed lines. */
export function timeseriesPanel(spec: PanelSpec & { thresholds?: Steps; stacked?: boolean }): Builder<Panel> {
  const builder = applyCommon(new timeseries.PanelBuilder(), spec)
    .lineWidth(1)
    .fillOpacity(spec.stacked ? 40 : 10)
    .legend(new common.VizLegendOptionsBuilder().displayMode(common.LegendDisplayMode.List).placement(common.LegendPlacement.Bottom).showLegend(true).calcs([]))
    .tooltip(new common.VizTooltipOptionsBuilder().mode(common.TooltipDisplayMode.Multi).sort(common.SortOrder.Descending));
  if (spec.stacked) builder.stacking(new common.StackingConfigBuilder().mode(common.StackingMode.Normal));
  if (spec.thresholds) {
    builder.thresholds(thresholdsOf(spec.thresholds)).thresholdsStyle(new common.GraphThresholdsStyleConfigBuilder().mode(common.GraphThresholdsStyleMode.Dashed));
  }
  return builder;
}

function lastValue(): common.ReduceDataOptionsBuilder {
  return new common.ReduceDataOptionsBuilder().calcs(['lastNotNull']).values(false);
}

/** A single big number (last value), coloured by its thresholds. */
export function statPanel(spec: ThresholdedSpec): Builder<Panel> {
  return applyCommon(new stat.PanelBuilder(), { width: 6, height: 5, ...spec })
    .thresholds(thresholdsOf(spec.thresholds))
    .reduceOptions(lastValue())
    .graphMode(common.BigValueGraphMode.Area)
    .colorMode(common.BigValueColorMode.Value);
}

/** A radial gauge (last value) with threshold markers. */
export function gaugePanel(spec: ThresholdedSpec): Builder<Panel> {
  return applyCommon(new gauge.PanelBuilder(), { width: 6, height: 6, ...spec })
    .thresholds(thresholdsOf(spec.thresholds))
    .reduceOptions(lastValue())
    .showThresholdMarkers(true);
}

/** Horizontal bars, one per series (last value), coloured by thresholds. */
export function barGaugePanel(spec: ThresholdedSpec): Builder<Panel> {
  return applyCommon(new bargauge.PanelBuilder(), spec)
    .thresholds(thresholdsOf(spec.thresholds))
    .reduceOptions(lastValue())
    .orientation(common.VizOrientation.Horizontal)
    .displayMode(common.BarGaugeDisplayMode.Gradient);
}

/** A table of instant values, one row per series. */
export function tablePanel(spec: PanelSpec): Builder<Panel> {
  return applyCommon(new table.PanelBuilder(), { ...spec, queries: spec.queries.map((q) => ({ ...q, instant: true })) })
    .withTransformation({ id: 'reduce', options: { reducers: ['lastNotNull'] } })
    .showHeader(true);
}

/** A Loki logs panel (LogQL log query), newest first, with details for the JSON fields. */
export function logsPanel(spec: { title: string; description: string; expr: string; width?: number; height?: number }): Builder<Panel> {
  return new logs.PanelBuilder()
    .title(spec.title)
    .description(spec.description)
    .datasource(LOKI)
    .span(spec.width ?? 24)
    .height(spec.height ?? 12)
    .unit('none')
    .showTime(true)
    .wrapLogMessage(true)
    .prettifyLogMessage(false)
    .enableLogDetails(true)
    .sortOrder(common.LogsSortOrder.Descending)
    .targets([new loki.DataqueryBuilder().refId('A').datasource(LOKI).expr(spec.expr).maxLines(1000)]);
}

/** A Loki metric query (LogQL `rate`/`count_over_time`…) drawn as a time series. */
export function lokiTimeseriesPanel(spec: PanelSpec): Builder<Panel> {
  return new timeseries.PanelBuilder()
    .title(spec.title)
    .description(spec.description)
    .datasource(LOKI)
    .span(spec.width ?? 12)
    .height(spec.height ?? 8)
    .unit(spec.unit)
    .fillOpacity(10)
    .legend(new common.VizLegendOptionsBuilder().displayMode(common.LegendDisplayMode.List).placement(common.LegendPlacement.Bottom).showLegend(true).calcs([]))
    .targets(spec.queries.map((query, index) => {
      const builder = new loki.DataqueryBuilder().refId(REF_IDS[index] ?? `Q${index}`).datasource(LOKI).expr(query.expr).range(true);
      if (query.legend !== undefined) builder.legendFormat(query.legend);
      return builder;
    }));
}
