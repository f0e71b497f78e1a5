// The worker side of `openWorkerPool`: loads every task module once, then answers each request.
import { parentPort, workerData } from "node:worker_threads";
import { loadTasks, type TaskSpecs } from "./worker-pool.js";

const tasks = await loadTasks((workerData as { tasks: TaskSpecs }).tasks);

parentPort!.on("message", (msg: { id: number; task: string; request: unknown }) => {
  // A task that throws (a template raising in a mapper, say) fails the run in the main thread with its own message.
  Promise.resolve()
    .then(() => tasks.get(msg.task)!(msg.request))
    .then(
      (result) => parentPort!.postMessage({ id: msg.id, result }),
      (error: unknown) => parentPort!.postMessage({ id: msg.id, error }),
    );
});
parentPort!.postMessage({ ready: true });
