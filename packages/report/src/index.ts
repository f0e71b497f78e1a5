/**
 * @file Dataset statistics and the visual report (issue 8, behaviour.md §8): a pure per-record accumulator
 * of the input's counts and histograms, shared by `lmsynth inspect`, `report` and `build`, and a renderer
 * of a self-contained HTML page of inline SVG bar charts. No I/O.
 */
export { createDatasetStats, addRecord, recordStats, addRecordStats } from "./dataset-stats.js";
export { renderReportHtml } from "./render-report.js";

export type { DatasetStats, LanguageStats, DatasetFlags, DatasetWarnings, RecordStats } from "./dataset-stats.js";
export type { ReportInput, ReportOutput } from "./render-report.js";
