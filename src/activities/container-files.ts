// Reading and writing files inside a container through the Docker archive API (docker cp).
import { posix } from 'node:path';
import type { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import type Docker from 'dockerode';
import * as tar from 'tar-stream';

/** Writes files into one directory of the container in a single archive, so they arrive together. */
export async function writeContainerFiles(
  container: Docker.Container,
  directory: string,
  files: Record<string, string>,
) {
  const archive = tar.pack();
  for (const [name, content] of Object.entries(files)) archive.entry({ name, mode: 0o644 }, content);
  archive.finalize();
  await container.putArchive(await buffer(archive), { path: directory });
}

/** The regular files directly in one directory of the container, by name, in one archive read. */
export async function readContainerFiles(
  container: Docker.Container,
  directory: string,
): Promise<Record<string, string>> {
  const stream = (await container.getArchive({ path: directory })) as unknown as Readable;
  const extract = tar.extract();
  stream.pipe(extract);
  const files: Record<string, string> = {};
  // The archive holds the directory itself as its top entry: `<basename>/<file>`.
  const top = posix.basename(directory);
  for await (const entry of extract) {
    const content = await buffer(entry);
    if (entry.header.type === 'file' && posix.dirname(entry.header.name) === top) {
      files[posix.basename(entry.header.name)] = content.toString('utf8');
    }
  }
  return files;
}
