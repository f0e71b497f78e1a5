// The thread of a `SharedTokenCounter`: loads the tokenizer once, then answers every link's counts.
import { parentPort, workerData, type MessagePort } from "node:worker_threads";
import { InputError } from "@lmsynth/schema";
import { answerCount, type CountError } from "./shared-token-counter.js";
import { loadTokenCounter, type TokenCounter } from "./token-counter.js";

const errorOf = (e: unknown): CountError =>
  e instanceof InputError ? { file: e.file, line: e.line, reason: e.reason, message: e.detail } : { message: e instanceof Error ? e.message : String(e) };

let count: TokenCounter;
try {
  count = await loadTokenCounter((workerData as { path: string }).path);
} catch (e) {
  parentPort!.postMessage({ error: errorOf(e) });
  process.exit(0);
}
parentPort!.on("message", ({ port, answer }: { port: MessagePort; answer: SharedArrayBuffer }) => {
  port.on("message", (text: string) => {
    let result: { count: number } | { error: CountError };
    try {
      result = { count: count(text) };
    } catch (e) {
      result = { error: errorOf(e) };
    }
    answerCount(answer, result);
  });
});
parentPort!.postMessage({ ready: true });
