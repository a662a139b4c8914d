// Reading and writing single files inside a container through the Docker archive API (docker cp).
import { posix } from 'node:path';
import type { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import type Docker from 'dockerode';
import * as tar from 'tar-stream';

export async function writeContainerFile(container: Docker.Container, path: string, content: string) {
  const archive = tar.pack();
  archive.entry({ name: posix.basename(path), mode: 0o644 }, content);
  archive.finalize();
  await container.putArchive(await buffer(archive), { path: posix.dirname(path) });
}

export async function readContainerFile(container: Docker.Container, path: string): Promise<string> {
  const stream = (await container.getArchive({ path })) as unknown as Readable;
  const extract = tar.extract();
  stream.pipe(extract);
  for await (const entry of extract) {
    const content = await buffer(entry);
    if (entry.header.name === posix.basename(path)) return content.toString('utf8');
  }
  throw new Error(`${path} is not a file in container ${container.id}`);
}
