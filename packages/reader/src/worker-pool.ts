import { Worker, type Transferable } from "node:worker_threads";

/**
 * A task a pool runs: a module (by `file:` URL) exporting `createTask(init)`, which gives the function that
 * answers each request. The pool knows nothing else of it.
 */
export interface TaskModule<Init = unknown, Request = unknown, Result = unknown> {
  createTask(init: Init): ((request: Request) => Result | Promise<Result>) | Promise<(request: Request) => Result | Promise<Result>>;
}

/** The tasks of a pool by name: each module's URL and the `init` its `createTask` is given in every thread. */
export type TaskSpecs = Readonly<Record<string, { module: string; init: unknown }>>;

/** Options of {@link openWorkerPool}. */
export interface WorkerPoolOptions {
  /** Worker threads; 1 runs every task in this thread (no worker). */
  threads: number;
  tasks: TaskSpecs;
  /** Each thread's own `tasks` (a `MessagePort` of a service thread in an init, say), with what it transfers;
   * called once per thread. Default: `tasks` for every one. */
  tasksFor?: () => { tasks: TaskSpecs; transfer?: Transferable[] };
}

/** Threads that run named tasks; requests go round-robin. Close it when done. */
export interface WorkerPool {
  threads: number;
  /** Runs task `name` on `request` in the next thread; `transfer`'s buffers are detached here. */
  run<Result>(name: string, request: unknown, transfer?: readonly Transferable[]): Promise<Result>;
  close(): Promise<void>;
}

/** The answering functions of `tasks`, loaded from their modules. */
export async function loadTasks(tasks: TaskSpecs): Promise<Map<string, (request: unknown) => unknown>> {
  const loaded = new Map<string, (request: unknown) => unknown>();
  for (const [name, { module, init }] of Object.entries(tasks)) {
    const mod = (await import(module)) as TaskModule;
    loaded.set(name, await mod.createTask(init));
  }
  return loaded;
}

interface Slot {
  worker: Worker;
  waiting: Map<number, { resolve: (r: unknown) => void; reject: (e: unknown) => void }>;
}

async function startWorker(options: WorkerPoolOptions): Promise<Slot> {
  const { tasks, transfer } = options.tasksFor?.() ?? { tasks: options.tasks };
  const worker = new Worker(new URL("./pool-worker.js", import.meta.url), { workerData: { tasks }, ...(transfer ? { transferList: transfer } : {}) });
  const slot: Slot = { worker, waiting: new Map() };
  const failAll = (e: unknown) => {
    for (const w of slot.waiting.values()) w.reject(e);
    slot.waiting.clear();
  };
  await new Promise<void>((resolve, reject) => {
    worker.once("error", reject);
    worker.once("message", () => {
      worker.off("error", reject);
      resolve();
    });
  });
  worker.on("message", (msg: { id: number; result?: unknown; error?: unknown }) => {
    const w = slot.waiting.get(msg.id);
    if (!w) return;
    slot.waiting.delete(msg.id);
    if (msg.error !== undefined) w.reject(msg.error);
    else w.resolve(msg.result);
  });
  worker.on("error", failAll);
  worker.on("exit", (code) => failAll(new Error(`worker thread exited with code ${code}`)));
  return slot;
}

/** Starts `threads` workers, each loading every task module once (or loads them here for one thread). */
export async function openWorkerPool(options: WorkerPoolOptions): Promise<WorkerPool> {
  const threads = Math.max(1, options.threads);
  if (threads === 1) {
    const tasks = await loadTasks(options.tasksFor?.().tasks ?? options.tasks);
    return {
      threads,
      run: async <Result>(name: string, request: unknown) => (await tasks.get(name)!(request)) as Result,
      close: async () => {},
    };
  }
  const slots = await Promise.all(Array.from({ length: threads }, () => startWorker(options)));
  let next = 0;
  return {
    threads,
    run<Result>(task: string, request: unknown, transfer: readonly Transferable[] = []): Promise<Result> {
      const id = next++;
      const slot = slots[id % threads]!;
      return new Promise<Result>((resolve, reject) => {
        slot.waiting.set(id, { resolve: resolve as (r: unknown) => void, reject });
        slot.worker.postMessage({ id, task, request }, transfer as Transferable[]);
      });
    },
    close: async () => void (await Promise.all(slots.map((s) => s.worker.terminate()))),
  };
}
