import type { RowSink } from "./byte-output.js";
import type { ArrowSinkOptions } from "./arrow-sink.js";

/**
 * Opens an Arrow IPC stream sink: `openArrowSink` of `arrow-sink.ts`, whose module (and apache-arrow, 60 ms
 * to load) is imported on the first call, so that commands writing no Arrow file do not load it.
 */
export async function openArrowSink<Row extends object>(path: string, options: ArrowSinkOptions): Promise<RowSink<Row>> {
  const { openArrowSink: open } = await import("./arrow-sink.js");
  return open<Row>(path, options);
}
