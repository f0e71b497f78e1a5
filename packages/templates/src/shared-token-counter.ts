import { MessageChannel, Worker, type MessagePort, type Transferable } from "node:worker_threads";
import { InputError, type InputErrorReason } from "@lmsynth/schema";
import type { TokenCounter } from "./token-counter.js";

/**
 * What a thread needs to count tokens with the tokenizer of a {@link SharedTokenCounter}: structured-cloneable,
 * with `port` in the transfer list. Texts go out on `port`; answers come back in `answer`, where the caller
 * reads them as soon as it wakes.
 */
export interface TokenCounterLink {
  port: MessagePort;
  /** Int32 0: 0 while a count is pending, 1 for a count (in Int32 1), 2 for an error (its JSON's byte length
   * in Int32 1, its bytes from byte 8). */
  answer: SharedArrayBuffer;
}

/** An error as it crosses threads: an InputError naming the tokenizer file stays one. */
export interface CountError {
  file?: string;
  line?: number;
  reason?: InputErrorReason;
  message: string;
}

/** Room for an error's JSON after the two Int32s: a longer one is cut. */
const ANSWER_BYTES = 8 + 16 * 1024;

function errorOf({ file, line, reason, message }: CountError): Error {
  return file !== undefined && reason !== undefined ? new InputError(file, line, reason, message) : new Error(message);
}

/** Writes the answer to one count into `answer` and wakes the caller: the tokenizer thread's half of a link. */
export function answerCount(answer: SharedArrayBuffer, result: { count: number } | { error: CountError }): void {
  const words = new Int32Array(answer, 0, 2);
  if ("count" in result) {
    words[1] = result.count;
    Atomics.store(words, 0, 1);
  } else {
    // 2,000 characters are at most 12,000 bytes as JSON (a control character is written \u0000), with room to spare.
    const json = Buffer.from(JSON.stringify({ ...result.error, message: result.error.message.slice(0, 2000) }), "utf8");
    json.copy(new Uint8Array(answer, 8));
    words[1] = json.length;
    Atomics.store(words, 0, 2);
  }
  Atomics.notify(words, 0);
}

/**
 * One tokenizer for a whole process, in a thread of its own, counting for every worker thread that holds a
 * {@link TokenCounterLink}: a real model's `tokenizer.json` takes hundreds of MB in use, so a copy per worker
 * grew with `--threads`. Counting is synchronous for the caller: it posts the text and waits on the shared
 * answer. A class, since it owns the thread.
 */
export class SharedTokenCounter {
  private constructor(private readonly worker: Worker) {}

  /**
   * Loads `path` in a new thread (see `loadTokenCounter`).
   * @throws InputError naming the file when it cannot be read or is not a tokenizer.
   */
  static async start(path: string): Promise<SharedTokenCounter> {
    const worker = new Worker(new URL("./token-counter-thread.js", import.meta.url), { workerData: { path } });
    const first = await new Promise<{ error: CountError } | { ready: true }>((resolve, reject) => {
      worker.once("message", resolve);
      worker.once("error", reject);
    });
    if ("error" in first) {
      await worker.terminate();
      throw errorOf(first.error);
    }
    // It serves as long as a link is open; it must not keep the process alive on its own.
    worker.unref();
    return new SharedTokenCounter(worker);
  }

  /** A new link for one thread, and what to transfer with it. */
  link(): { link: TokenCounterLink; transfer: Transferable[] } {
    const { port1, port2 } = new MessageChannel();
    const answer = new SharedArrayBuffer(ANSWER_BYTES);
    this.worker.postMessage({ port: port2, answer }, [port2]);
    return { link: { port: port1, answer }, transfer: [port1] };
  }

  /** Ends the thread. */
  async close(): Promise<void> {
    await this.worker.terminate();
  }
}

/** A {@link TokenCounter} that asks the thread behind `link`, blocking until it answers. */
export function linkedTokenCounter(link: TokenCounterLink): TokenCounter {
  const words = new Int32Array(link.answer, 0, 2);
  return (text) => {
    Atomics.store(words, 0, 0);
    link.port.postMessage(text);
    // A loop: the wake-up may be the late notify of the previous answer, which the caller saw before it came.
    while (Atomics.load(words, 0) === 0) Atomics.wait(words, 0, 0);
    if (Atomics.load(words, 0) === 1) return words[1]!;
    throw errorOf(JSON.parse(Buffer.from(new Uint8Array(link.answer, 8, words[1])).toString("utf8")) as CountError);
  };
}
