// The CLI's Temporal connection: short timeouts, so an unreachable server fails in seconds and says where.
import { Client, Connection, isGrpcServiceError } from '@temporalio/client';
import { temporalTls } from '../clients.js';
import type { Config } from '../config.js';
import { TemporalUnreachableError } from './errors.js';

const connectTimeout = '5 seconds';
/** Every call after connecting: a query waits for a worker, which may be down. */
const callTimeoutMs = 10_000;

/** gRPC status UNAVAILABLE: the server went away after the connection was made. */
const unavailable = new Set([14]);

export interface Temporal {
  client: Client;
  /** Runs one call with a deadline; losing the server on the way is reported as unreachable (exit 4). */
  call<T>(fn: (client: Client) => Promise<T>, timeoutMs?: number): Promise<T>;
  close(): Promise<void>;
}

export async function connectTemporal(config: Config): Promise<Temporal> {
  const address = config.TEMPORAL_ADDRESS;
  let connection: Connection;
  try {
    const tls = temporalTls(config);
    connection = await Connection.connect({ address, connectTimeout, ...(tls && { tls }) });
  } catch (error) {
    throw new TemporalUnreachableError(address, error);
  }
  // A query to a closed workflow is refused at once rather than replayed by a worker (workflow.ts).
  const client = new Client({
    connection,
    namespace: config.TEMPORAL_NAMESPACE,
    workflow: { queryRejectCondition: 'NOT_OPEN' },
  });
  return {
    client,
    async call(fn, timeoutMs = callTimeoutMs) {
      try {
        return await client.withDeadline(Date.now() + timeoutMs, () => fn(client));
      } catch (error) {
        if (hasGrpcStatus(error, unavailable)) throw new TemporalUnreachableError(address, error);
        throw error;
      }
    },
    close: () => connection.close(),
  };
}

/** Whether the error, or one of its causes (the SDK wraps gRPC errors), is a gRPC error with one of `codes`. */
export function hasGrpcStatus(error: unknown, codes: ReadonlySet<number>): boolean {
  for (let e = error; e instanceof Error; e = e.cause) {
    if (isGrpcServiceError(e) && codes.has(e.code)) return true;
  }
  return false;
}
