import type { CommandEvent, CommandName, DecryptResult, DeleteIdsCommandResult, InspectReport, PublishCommandEvent, ResultOf, RunSummary } from "@lmsynth/pipeline";
import { formatInspectReport } from "@lmsynth/pipeline";
import type { CliIo } from "./io.js";
import { printSummary } from "./summary.js";

/** How the CLI shows a command's result: the exit code it gives. */
type Printer<R> = (result: R, io: CliIo, o: Flags) => number;
/** The printing flags every command has. */
export interface Flags {
  json?: boolean;
  silent?: boolean;
  quiet?: boolean;
}

const summary: Printer<{ summary: RunSummary }> = ({ summary }, io, o) => {
  printSummary(io, summary, { json: o.json === true, silent: o.silent === true });
  return 0;
};

/** `inspect`: its report on stdout; exit 2 when a line is invalid. */
const inspect: Printer<InspectReport> = (report, io, o) => {
  io.stdout.write(o.json ? `${JSON.stringify(report, null, 2)}\n` : formatInspectReport(report));
  return report.invalid_lines > 0 ? 2 : 0;
};

const decrypt: Printer<DecryptResult> = (result, io, o) => {
  if (o.json) io.stdout.write(JSON.stringify(result, null, 2) + "\n");
  else if (!o.silent) io.stderr.write(`decrypted ${result.input} → ${result.output} (${result.bytes} bytes, integrity checked)\n`);
  return 0;
};

const deleteIds: Printer<DeleteIdsCommandResult> = (result, io, o) => {
  const { folder, lists, found, rows, changed, removed, warnings } = result;
  if (o.json) io.stdout.write(`${JSON.stringify({ folder, lists, conversations: found, rows, changed, removed, warnings }, null, 2)}\n`);
  if (o.silent === true) return 0;
  if (o.json) {
    for (const w of warnings) io.stderr.write(`warning: ${w}\n`);
    return 0;
  }
  const listed = lists.reduce((n, l) => n + l.ids, 0);
  const lines = [
    `conversations found and deleted: ${found} (of ${listed} listed)`,
    ...Object.entries(rows).map(([config, n]) => `${config} rows deleted: ${n}`),
    ...(changed.length === 0 ? ["nothing changed: every list was applied to this folder already"] : []),
    ...changed.map((p) => `changed ${p}`),
    ...removed.map((p) => `removed ${p}`),
    ...warnings.map((w) => `warning: ${w}`),
  ];
  io.stderr.write(`${lines.join("\n")}\n`);
  return 0;
};

const publish: Printer<ResultOf<"publish">> = (result, io, o) => {
  if (o.json) io.stdout.write(JSON.stringify(result, null, 2) + "\n");
  else if (o.silent !== true) {
    const verb = result.dryRun ? "would upload" : "uploaded";
    for (const f of result.files) io.stderr.write(`${verb} ${f.path} (${f.bytes} bytes)\n`);
    if (result.skipped.length > 0) io.stderr.write(`skipped ${result.skipped.length} files the remote holds already (an interrupted publish's): ${result.skipped.join(", ")}\n`);
    for (const path of result.deleted) io.stderr.write(`deleted ${path}\n`);
    io.stderr.write(
      result.commit
        ? `committed ${result.commits.length === 1 ? result.commit.url : `${result.commits.length} commits, the last ${result.commit.url}`}\n`
        : result.dryRun
          ? `dry run: ${result.files.length} files to ${result.repo}, nothing sent\n`
          : `${result.repo} already holds this folder: nothing sent\n`,
    );
    if (!result.dryRun) io.stderr.write(`${result.repo} is ${result.public ? "public" : "private"}, ${result.gated ? `gated (${result.gated})` : "not gated"}\n`);
  }
  return 0;
};


/** What each gate means for the people who ask for the data. */
const GATES: Record<string, string> = {
  auto: "gated: auto (access is granted once a user accepts the LMSYS-Chat-1M terms)",
  manual: "gated: manual (you approve each access request)",
  false: "not gated",
};

/** Shows one event of a command on stderr (progress is drawn apart, by `main`). */
type EventLine = (e: CommandEvent | PublishCommandEvent, io: CliIo, o: Flags) => void;

/** Warnings and notes (unless `--silent`), log lines (unless `--quiet`); a build's own phases pass unseen. */
const commonLine: EventLine = (e, io, o) => {
  if ((e.event === "warning" || e.event === "note") && o.silent !== true) io.stderr.write(`${e.event}: ${e.message}\n`);
  else if (e.event === "log" && o.quiet !== true && o.silent !== true) io.stderr.write(`${e.message}\n`);
};

/** As {@link commonLine}, and the phase of a long step on a TTY (merge-manifests hashing every part). */
const withPhases: EventLine = (e, io, o) => {
  if (e.event === "phase" && io.stderr.isTTY && o.quiet !== true && o.silent !== true) io.stderr.write(`${e.phase}…\n`);
  else commonLine(e, io, o);
};

/** `publish`'s events as lines on stderr (phases and commits unless `--quiet`, file progress on a TTY). */
const publishLine: EventLine = (event, io, o) => {
  const e = event as PublishCommandEvent;
  const quiet = o.quiet === true || o.silent === true;
  const tty = io.stderr.isTTY === true && !quiet;
  if (e.event === "licences") io.stderr.write(`${e.message}\n`);
  else if (!quiet && e.event === "phase") io.stderr.write(`${e.phase}…\n`);
  else if (e.event === "note" && o.silent !== true) io.stderr.write(`note: ${e.message}\n`);
  else if (e.event === "gate" && o.silent !== true) io.stderr.write(`${GATES[String(e.gated)]}${e.reason ? ` (${e.reason})` : ""}\n`);
  else if (e.event === "commit" && !quiet) io.stderr.write(`${tty ? "\r\x1b[K" : ""}commit ${e.index}/${e.count}: ${e.files} files${e.deleted ? `, ${e.deleted} deleted` : ""} ${e.url}\n`);
  else if (tty && e.event === "fileProgress") io.stderr.write(`\r${e.state} ${e.path} ${(e.progress * 100).toFixed(0)}%\x1b[K`);
};

/** How the CLI shows a command: its events (progress apart) and its result. */
interface View<R> {
  events: EventLine;
  result: Printer<R>;
}

/** The view of each command: the compiler demands one per command. */
export const VIEWS: { [N in CommandName]: View<ResultOf<N>> } = {
  build: { events: commonLine, result: summary },
  sft: { events: commonLine, result: summary },
  dpo: { events: commonLine, result: summary },
  kto: { events: commonLine, result: summary },
  render: { events: commonLine, result: summary },
  merge: { events: commonLine, result: summary },
  decrypt: { events: commonLine, result: decrypt },
  inspect: { events: commonLine, result: inspect },
  report: { events: commonLine, result: summary },
  publish: { events: publishLine, result: publish },
  "delete-ids": { events: commonLine, result: deleteIds },
  "merge-manifests": { events: withPhases, result: summary },
};
