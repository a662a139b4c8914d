// The repository's folder, for scripts and tests that read its files; a module of its own so that reading
// them loads no client (the unit tests).
import { fileURLToPath } from 'node:url';

export const repoRoot = fileURLToPath(new URL('..', import.meta.url));
