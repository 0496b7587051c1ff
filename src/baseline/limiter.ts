// Runs at most `concurrency` async jobs at once, in submission order.
export type Limiter = <T>(job: () => Promise<T>) => Promise<T>;

export function createLimiter(concurrency: number): Limiter {
  let running = 0;
  const waiting: (() => void)[] = [];
  return async <T>(job: () => Promise<T>): Promise<T> => {
    // A finishing job hands its slot straight to the next waiter, so a newcomer arriving
    // in between cannot take it too and exceed the bound.
    if (running >= concurrency) await new Promise<void>((resolve) => waiting.push(resolve));
    else running++;
    try {
      return await job();
    } finally {
      const wake = waiting.shift();
      if (wake) wake();
      else running--;
    }
  };
}
