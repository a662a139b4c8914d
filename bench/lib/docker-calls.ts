// The provider's Docker calls, counted: the benchmark's provider processes reach the engine through this proxy
// (DOCKER_HOST=unix://<its socket>), which hands each request on to the engine's socket as it is and counts it.
// The provider never hijacks a connection (its exec output is a plain streamed response), so HTTP is enough.
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export async function countDockerCalls(engineSocket = '/var/run/docker.sock') {
  const directory = mkdtempSync(join(tmpdir(), 'capdt-bench-docker-'));
  const socketPath = join(directory, 'docker.sock');
  let calls = 0;
  const server = http.createServer((request, response) => {
    calls += 1;
    const { method, url: path, headers } = request;
    const upstream = http.request({ socketPath: engineSocket, method, path, headers }, (answer) => {
      response.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(response);
    });
    upstream.on('error', () => response.destroy());
    // The provider's event stream stays open until it closes its end.
    response.on('close', () => upstream.destroy());
    request.pipe(upstream);
  });
  server.listen(socketPath);
  await once(server, 'listening');
  return {
    dockerHost: `unix://${socketPath}`,
    /** Docker requests the provider made so far. */
    count: () => calls,
    close: async () => {
      server.closeAllConnections();
      server.close();
      rmSync(directory, { recursive: true, force: true });
    },
  };
}
