// Docker: the bench network, container events as the engine reports them, a counting proxy in front of the
// engine's socket (for the idle phase), and removal of what a phase left behind.
import { rmSync } from 'node:fs';
import { createServer, Agent as HttpAgent, type IncomingMessage, request, type Server } from 'node:http';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import type Docker from 'dockerode';
import { ownerNamespaceLabel } from '../../src/activities/load-balancer.js';
import { Counter } from './stats.js';

export interface ContainerEvent {
  action: string;
  id: string;
  at: number;
  labels: Record<string, string>;
}

/** Container events of the containers of one namespace, from now until stop(). */
export async function recordContainerEvents(docker: Docker, namespace: string) {
  const events: ContainerEvent[] = [];
  const stream = (await docker.getEvents({
    filters: { type: ['container'], label: [`${ownerNamespaceLabel}=${namespace}`] },
  })) as unknown as Readable;
  const listeners = new Set<(event: ContainerEvent) => void>();
  createInterface({ input: stream }).on('line', (line) => {
    try {
      const raw = JSON.parse(line) as {
        Action: string;
        Actor: { ID: string; Attributes: Record<string, string> };
        timeNano: number;
      };
      const event = {
        action: raw.Action.split(':')[0] as string,
        id: raw.Actor.ID,
        at: Math.round(raw.timeNano / 1e6),
        labels: raw.Actor.Attributes,
      };
      events.push(event);
      for (const listener of listeners) listener(event);
    } catch {
      // not an event
    }
  });
  stream.on('error', () => undefined);
  return {
    events,
    onEvent(listener: (event: ContainerEvent) => void) {
      listeners.add(listener);
    },
    /** Actions counted from index `from` on. */
    countActions(from = 0): Record<string, number> {
      const counter = new Counter();
      for (const event of events.slice(from)) counter.add(event.action);
      return counter.snapshot();
    },
    stop() {
      stream.destroy();
    },
  };
}

export async function removeContainersOf(docker: Docker, namespace: string): Promise<number> {
  const found = await docker.listContainers({
    all: true,
    filters: { label: [`${ownerNamespaceLabel}=${namespace}`] },
  });
  await Promise.all(
    found.map((info) =>
      docker
        .getContainer(info.Id)
        .remove({ force: true, v: true })
        .catch(() => undefined),
    ),
  );
  return found.length;
}

/** "GET /containers/{id}/json": the engine API call without its version prefix, ids, names or query. */
export function dockerCallKey(method: string, url: string): string {
  const path = (url.split('?')[0] ?? '')
    .replace(/^\/v[0-9.]+/, '')
    .replace(/^\/containers\/(?!json$|create$)[^/]+/, '/containers/{id}')
    .replace(/^\/images\/.+\/json$/, '/images/{name}/json')
    .replace(/^\/networks\/(?!create$)[^/]+/, '/networks/{name}');
  return `${method} ${path}`;
}

/**
 * A unix-socket proxy in front of the Docker engine that counts every API call by method and path; the
 * idle phase's worker talks to the engine through it (DOCKER_HOST=unix://<path>).
 */
export async function startDockerProxy(upstreamSocket: string, path: string) {
  const calls = new Counter();
  const agent = new HttpAgent({ keepAlive: true });
  const server: Server = createServer((incoming: IncomingMessage, outgoing) => {
    calls.add(dockerCallKey(incoming.method ?? 'GET', incoming.url ?? '/'));
    const upstream = request(
      {
        socketPath: upstreamSocket,
        path: incoming.url,
        method: incoming.method,
        headers: incoming.headers,
        agent,
      },
      (response) => {
        outgoing.writeHead(response.statusCode ?? 502, response.headers);
        response.pipe(outgoing);
      },
    );
    upstream.on('error', (error) => outgoing.destroy(error));
    incoming.pipe(upstream);
  });
  rmSync(path, { force: true });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(path, resolve);
  });
  return {
    url: `unix://${path}`,
    calls,
    async stop() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      agent.destroy();
      rmSync(path, { force: true });
    },
  };
}

/** The engine's unix socket from DOCKER_HOST (or the default), or undefined for a TCP engine. */
export function dockerSocketPath(): string | undefined {
  const host = process.env.DOCKER_HOST;
  if (!host) return '/var/run/docker.sock';
  return host.startsWith('unix://') ? host.slice('unix://'.length) : undefined;
}
