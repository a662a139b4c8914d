// The provider's configuration, from the environment, validated once at start: a bad value stops the
// process with a message that names the setting.
import { isIP } from 'node:net';
import { z } from 'zod';

const dnsLabel = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const dockerName = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;

/** Setting name → schema; the names are the environment variables users set. */
const settings = {
  TEMPORAL_ADDRESS: z
    .string()
    .regex(/^[^\s:]+:\d+$/, 'must be host:port')
    .default('127.0.0.1:7233'),
  TEMPORAL_NAMESPACE: z.string().min(1).default('default'),
  CAPDT_TASK_QUEUE: z.string().min(1).default('capd-temporal'),
  KUBECONFIG: z.string().min(1).optional(),
  CAPDT_LB_IMAGE: z
    .string()
    .regex(/^[a-zA-Z0-9][a-zA-Z0-9._/:@-]*$/, 'must be an image reference such as repository:tag')
    .default('kindest/haproxy:v20230606-42a2262b'),
  CAPDT_NETWORK: z.string().regex(dockerName, 'must be a Docker network name').default('kind'),
  CAPDT_HOST_IP: z
    .string()
    .refine((value) => isIP(value) !== 0, 'must be an IP address')
    .default('127.0.0.1'),
  CAPDT_RESYNC_SECONDS: z.coerce.number().int().min(1).max(86_400).default(300),
  CAPDT_WATCH_NAMESPACE: z.string().regex(dnsLabel, 'must be a namespace name').optional(),
  CAPDT_WATCH_FILTER: z.string().min(1).max(63).optional(),
  LOG_LEVEL: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal']).default('info'),
};

const schema = z.object(settings);
export type Config = z.infer<typeof schema>;

export class ConfigError extends Error {}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const present = Object.fromEntries(
    Object.keys(settings)
      .filter((name) => env[name] !== undefined && env[name] !== '')
      .map((name) => [name, env[name]]),
  );
  const result = schema.safeParse(present);
  if (!result.success) {
    const problems = result.error.issues.map(
      (issue) =>
        `${issue.path.join('.')}=${JSON.stringify(present[String(issue.path[0])])}: ${issue.message}`,
    );
    throw new ConfigError(`invalid configuration: ${problems.join('; ')}`);
  }
  return result.data;
}
