/**
 * Starts `start` on each item of `items` in turn, with at most `depth` started and not yet yielded, and yields
 * the results in the items' order: a bounded pipeline whose output order does not depend on which work ends
 * first. A rejected result is thrown in its place. When `items` itself throws, the results started before are
 * yielded first, then its error is thrown, as a sequential loop would have delivered them.
 */
export async function* inOrder<T, R>(items: AsyncIterable<T> | Iterable<T>, start: (item: T) => Promise<R>, depth: number): AsyncGenerator<R> {
  const iterator = Symbol.asyncIterator in items ? items[Symbol.asyncIterator]() : items[Symbol.iterator]();
  const started: Array<Promise<R>> = [];
  try {
    for (;;) {
      let next: IteratorResult<T>;
      try {
        next = await iterator.next();
      } catch (error) {
        while (started.length > 0) yield await started.shift()!;
        throw error;
      }
      if (next.done) break;
      const result = start(next.value);
      result.catch(() => {}); // awaited in order below; no unhandled rejection meanwhile
      started.push(result);
      if (started.length >= depth) yield await started.shift()!;
    }
    while (started.length > 0) yield await started.shift()!;
  } finally {
    // Closes the source when the caller stopped early; after its end or its error, a no-op.
    await iterator.return?.();
  }
}
