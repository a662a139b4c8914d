// Everything the benchmark creates registers how to remove it; removal runs last-in first-out, on success,
// on failure and on SIGINT/SIGTERM, and each step is bounded so that one stuck step cannot hold the rest.

type Step = { what: string; run: () => Promise<unknown> };

const stepTimeoutMs = 60_000;

export class Cleanup {
  private steps: Step[] = [];

  /** Registers a removal; returns a function that runs it now (once) and unregisters it. */
  add(what: string, run: () => Promise<unknown>): () => Promise<void> {
    const step = { what, run };
    this.steps.push(step);
    return async () => {
      if (!this.steps.includes(step)) return;
      this.steps = this.steps.filter((other) => other !== step);
      await runBounded(step);
    };
  }

  async runAll(): Promise<void> {
    while (this.steps.length > 0) {
      const step = this.steps.pop() as Step;
      await runBounded(step);
    }
  }
}

async function runBounded(step: Step): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      step.run(),
      new Promise((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`timed out after ${stepTimeoutMs / 1000} s`)),
          stepTimeoutMs,
        );
      }),
    ]);
  } catch (error) {
    console.error(`[bench] cleanup: ${step.what} failed: ${(error as Error).message}`);
  } finally {
    clearTimeout(timer);
  }
}

/** Runs body with a deadline: the phase fails (and its cleanup runs) when it takes longer. */
export async function withTimeout<T>(what: string, timeoutMs: number, body: () => Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      body(),
      new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`${what} did not finish within ${Math.round(timeoutMs / 1000)} s`)),
          timeoutMs,
        );
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}
