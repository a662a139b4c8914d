// One file in a container, read or written through the archive API as the provider writes whole directories.
import { posix } from 'node:path';
import type Docker from 'dockerode';
import { readContainerFiles, writeContainerFiles } from '../../src/activities/container-files.js';

export async function writeContainerFile(container: Docker.Container, path: string, content: string) {
  await writeContainerFiles(container, posix.dirname(path), { [posix.basename(path)]: content });
}

export async function readContainerFile(container: Docker.Container, path: string): Promise<string> {
  const content = (await readContainerFiles(container, posix.dirname(path)))[posix.basename(path)];
  if (content === undefined) throw new Error(`${path} is not a file in container ${container.id}`);
  return content;
}
