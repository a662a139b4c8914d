// `npm run cli -- <command>`: the CLI from its sources, through tsx, while changing it.
import { run } from './main.js';

await run();
