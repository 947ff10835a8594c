/**
 * @samosachaat/web — the chat UI, the `/ops` operations console and the `/api` and `/auth`
 * proxies (SPEC §5 web). Run it with `src/main.ts`; embed or test it with `buildApp`.
 */
export { buildApp } from './app.js';
export type { WebDeps } from './app.js';
export { configFromEnv, DEFAULT_UI_DIR, WEB_DEFAULTS } from './config.js';
export type { WebConfig } from './config.js';
export { WEB_ERRORS } from './errors.js';
export type { WebErrorCode } from './errors.js';
export { CONTENT_SECURITY_POLICY } from './serving/routes.js';
export { loadUiAssets } from './serving/ui-assets.js';
export { buildUi, UI_DIST, UI_ENTRIES, UiBuildError } from './serving/ui-build.js';
export type { UiBuildOptions } from './serving/ui-build.js';
export type { Asset, AssetSlot, UiAssets } from './serving/ui-assets.js';
export { parseExposition } from './ops/prom-text.js';
export type { Sample } from './ops/prom-text.js';
export { histogramQuantile } from './ops/histogram.js';
export { mergeTraces, generationOf } from './ops/trace-merge.js';
export type { GenerationSummary, MergedTrace, TraceSummary } from './ops/trace-merge.js';
export type { MetricsView } from './ops/metrics-scraper.js';
