// The provider's HTTP endpoint: /metrics for Prometheus, /healthz (alive) and /readyz (serving).
import { createServer, type Server } from 'node:http';
import { registry } from './metrics.js';

/** Each running part says whether it is ready: the worker polling, the watcher leading or standing by. */
export type ReadinessCheck = () => boolean;

export async function startHealthServer(
  port: number,
  host: string,
  checks: ReadinessCheck[],
): Promise<Server> {
  const server = createServer((request, response) => {
    const path = request.url?.split('?')[0];
    if (path === '/metrics') {
      registry.metrics().then(
        (body) => response.writeHead(200, { 'Content-Type': registry.contentType }).end(body),
        (error: Error) => response.writeHead(500).end(error.message),
      );
    } else if (path === '/healthz') {
      response.writeHead(200).end('ok\n');
    } else if (path === '/readyz') {
      const ready = checks.every((check) => check());
      response.writeHead(ready ? 200 : 503).end(ready ? 'ready\n' : 'not ready\n');
    } else {
      response.writeHead(404).end();
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, resolve);
  });
  return server;
}
