// Small numeric and waiting helpers.

/** Nearest-rank percentile; NaN for no values. */
export function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.max(1, Math.ceil((p / 100) * sorted.length)) - 1] ?? Number.NaN;
}

/** Per object, and `all`: from the phase's start until the last object was done. */
export function latency(perObject: number[], all: number) {
  return { p50: percentile(perObject, 50), p95: percentile(perObject, 95), max: Math.max(...perObject), all };
}
export type Latency = ReturnType<typeof latency>;

/** The middle value, or the mean of the two middle ones; NaN for no values. */
export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length / 2;
  return Number.isInteger(middle)
    ? mean(sorted.slice(middle - 1, middle + 1))
    : (sorted[Math.floor(middle)] ?? Number.NaN);
}

export const mean = (values: number[]) => values.reduce((sum, value) => sum + value, 0) / values.length;

export const round = (value: number, digits = 0) => Math.round(value * 10 ** digits) / 10 ** digits;

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Polls check until it returns a truthy value; throws after timeoutMs. */
export async function until<T>(
  what: string,
  check: () => Promise<T | undefined | false> | T | undefined | false,
  timeoutMs: number,
  intervalMs = 20,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${Math.round(timeoutMs / 1000)} s: ${what}`);
    await sleep(intervalMs);
  }
}
