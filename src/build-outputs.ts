// Where the build's outputs are, beside the code that loads them. `../dist/` is dist/ from src/ (tsx), from
// dist/ (the compiled modules) and from dist/main.js (the provider's bundle) alike, since all three sit one
// folder below the repository: keep this module at the top of src/.
import { fileURLToPath } from 'node:url';

/** The workflows' entry module, which `npm run build` bundles. */
export const workflowsPath = fileURLToPath(import.meta.resolve('./workflows/index.js'));

/**
 * The workflows as one script, made by `npm run build` from the compiled workflows, so that a worker does not run
 * webpack at every start.
 */
export const workflowBundlePath = fileURLToPath(new URL('../dist/workflow-bundle.js', import.meta.url));

/** The renderer of custom HAProxy templates (`npm run build:haproxy-template`). */
export const haproxyTemplateRendererPath = fileURLToPath(
  new URL('../dist/haproxy-template', import.meta.url),
);
