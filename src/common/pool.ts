// Runs `work` over `items` with at most `concurrency` in flight; results keep the items' order. If `work` throws,
// the result rejects: the programs make each item report its own outcome instead, so one failure never stops the
// others (test fixtures let a failure stop the set-up).
export async function mapBounded<T, R>(items: readonly T[], concurrency: number, work: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const index = next;
      next += 1;
      results[index] = await work(items[index] as T, index);
    }
  };
  await Promise.all(Array.from({ length: Math.min(Math.max(1, concurrency), items.length) }, () => worker()));
  return results;
}
