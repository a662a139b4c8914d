// Custom HAProxy config templates are rendered by Go's text/template, the engine upstream CAPD renders them
// with, so a template written for CAPD gives the same config here. The renderer is the small Go program in
// src/haproxy-template, built next to the compiled provider (`npm run build:haproxy-template`).
import { execFile } from 'node:child_process';
import { haproxyTemplateRendererPath as rendererPath } from '../build-outputs.js';
import { templateData } from './load-balancer.js';
import type { LoadBalancerConfig } from './types.js';

/** The template did not parse or execute; the message is Go's, naming the line. */
export class TemplateError extends Error {}

/** A rendered config is a few kilobytes; this bounds what a runaway template can make. */
const maxConfigBytes = 1024 * 1024;

export async function renderHAProxyTemplate(template: string, input: LoadBalancerConfig): Promise<string> {
  const request = JSON.stringify({ template, data: templateData(input) });
  return await new Promise((resolve, reject) => {
    const child = execFile(rendererPath, { maxBuffer: maxConfigBytes }, (error, stdout, stderr) => {
      if (!error) resolve(stdout);
      else if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
        reject(
          new Error(
            `the HAProxy template renderer ${rendererPath} is missing: run npm run build:haproxy-template`,
          ),
        );
      } else if (error.code === 1) reject(new TemplateError(stderr.trim()));
      else reject(error);
    });
    // A renderer that is missing or exits early closes its input: the callback above reports why.
    child.stdin?.on('error', () => undefined).end(request);
  });
}
