// Worker threads start and end one at a time, process-wide. Node 20 can crash the whole process
// (SIGSEGV) when one worker's isolate is being created while another worker is being terminated
// (nodejs/node#56312; seen here in a supervisor restart, and earlier in time travel). A start step
// lasts until the new isolate exists (attached to the inspector, or 'online'); an end step until the
// old thread has exited.

let chain: Promise<unknown> = Promise.resolve();

/** Runs `step` once every earlier start or end step has settled. */
export function lifecycleStep<T>(step: () => Promise<T>): Promise<T> {
  const result = chain.then(step, step);
  chain = result.catch(() => undefined);
  return result;
}
