// The provider's configuration, from the environment or command-line flags, validated once at start: a bad
// value stops the process with a message that names the setting.
import { isIP } from 'node:net';
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { defaultEngine, type Fleet } from './api/engines.js';

const dnsLabel = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const dockerName = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;
const ipAddress = z.string().refine((value) => isIP(value) !== 0, 'must be an IP address');
/** A subnet of one IP family whose prefix length is in range. */
function isCidr(family: 4 | 6, minBits: number, maxBits: number) {
  return (value: string) => {
    const [, address = '', bits = ''] = /^([^/]+)\/(\d+)$/.exec(value) ?? [];
    return isIP(address) === family && Number(bits) >= minBits && Number(bits) <= maxBits;
  };
}
const boolean = z.enum(['true', 'false']).transform((value) => value === 'true');
export const logFormats = ['auto', 'pretty', 'json'] as const;
export type LogFormat = (typeof logFormats)[number];

/** Setting name → schema; the names are the environment variables users set, each described for the README. */
const settings = {
  TEMPORAL_ADDRESS: z
    .string()
    .regex(/^[^\s:]+:\d+$/, 'must be host:port')
    .default('127.0.0.1:7233')
    .describe('Temporal frontend, host:port'),
  TEMPORAL_NAMESPACE: z.string().min(1).default('default').describe('Temporal namespace of the workflows'),
  TEMPORAL_TLS_CA: z
    .string()
    .min(1)
    .optional()
    .describe('PEM file of the CA that signed the Temporal server certificate; enables TLS'),
  TEMPORAL_TLS_CERT: z
    .string()
    .min(1)
    .optional()
    .describe('PEM client certificate for mTLS (with TEMPORAL_TLS_KEY); enables TLS'),
  TEMPORAL_TLS_KEY: z.string().min(1).optional().describe('PEM private key of TEMPORAL_TLS_CERT'),
  TEMPORAL_TLS_SERVER_NAME: z
    .string()
    .min(1)
    .optional()
    .describe('Server name to verify, when it differs from the address host'),
  TEMPORAL_UI_URL: z.url().optional().describe('Temporal Web UI base URL, for links printed by the CLI'),
  CAPDT_TASK_QUEUE: z
    .string()
    .min(1)
    .default('capd-temporal')
    .describe('Task queue of the reconcile workflows'),
  KUBECONFIG: z
    .string()
    .min(1)
    .optional()
    .describe('kubeconfig file; in-cluster or ~/.kube/config when unset'),
  CAPDT_LB_IMAGE: z
    .string()
    .regex(/^[a-zA-Z0-9][a-zA-Z0-9._/:@-]*$/, 'must be an image reference such as repository:tag')
    .default('kindest/haproxy:v20230606-42a2262b')
    .describe('Default load-balancer image (a DockerCluster may override it with spec.loadbalancerImage)'),
  CAPDT_NETWORK: z
    .string()
    .regex(dockerName, 'must be a Docker network name')
    .default('kind')
    .describe('Docker network of the load balancers; created when missing'),
  CAPDT_NETWORK_SUBNET: z
    .string()
    .refine(isCidr(4, 8, 29), 'must be an IPv4 CIDR such as 172.30.0.0/16 (prefix /8 to /29)')
    .default('172.30.0.0/16')
    .describe(
      'IPv4 subnet the network is created with, so that a re-created load balancer gets its endpoint address back',
    ),
  CAPDT_NETWORK_SUBNET_V6: z
    .string()
    .refine(isCidr(6, 48, 120), 'must be an IPv6 CIDR such as fd00:ca9d::/64 (prefix /48 to /120)')
    .optional()
    .describe(
      'IPv6 subnet the network is also created with, for IPv6 and dual-stack Clusters; without it the network is IPv4 only',
    ),
  CAPDT_HOST_IP: ipAddress
    .default('127.0.0.1')
    .describe('Host address the load balancers publish their ports on'),
  CAPDT_RESYNC_SECONDS: z.coerce
    .number()
    .int()
    .min(1)
    .max(86_400)
    .default(3600)
    .describe(
      "How often an unchanged DockerCluster is checked again: a safety net, since the worker repairs drift from the Docker engine's events at once",
    ),
  CAPDT_MAX_CACHED_WORKFLOWS: z.coerce
    .number()
    .int()
    .min(0)
    .max(100_000)
    .refine((value) => value !== 1, 'must be 0 (no cache) or at least 2')
    .default(200)
    .describe(
      "Workflows a worker keeps in memory between their wake-ups (0: none): bounds the worker's memory however many DockerClusters there are. A workflow evicted from the cache is replayed from its history at its next wake-up (a change, or the resync), which costs CPU and time instead",
    ),
  CAPDT_ENGINE: z
    .string()
    .regex(dnsLabel, 'must be a DNS label such as engine-a')
    .max(63)
    .default(defaultEngine)
    .describe(
      "Name of the Docker engine beside this worker (DOCKER_HOST): its load balancers' Docker calls run only on workers with this name. One name per engine of a fleet; one engine needs none",
    ),
  CAPDT_WATCH_NAMESPACE: z
    .string()
    .regex(dnsLabel, 'must be a namespace name')
    .optional()
    .describe('Watch one namespace only'),
  CAPDT_WATCH_FILTER: z
    .string()
    .min(1)
    .max(63)
    .optional()
    .describe('Watch only objects labelled cluster.x-k8s.io/watch-filter=<value>'),
  CAPDT_LEADER_ELECTION: boolean
    .default(true)
    .describe('Of several watchers, only the holder of a Lease watches'),
  CAPDT_LEASE_NAMESPACE: z
    .string()
    .regex(dnsLabel, 'must be a namespace name')
    .default('default')
    .describe(
      "Namespace of the Leases: the watchers' leader election, and each worker's (which Docker engines have a worker)",
    ),
  CAPDT_HTTP_HOST: ipAddress
    .default('127.0.0.1')
    .describe('Address of the /metrics, /healthz and /readyz endpoint'),
  CAPDT_HTTP_PORT: z.coerce
    .number()
    .int()
    .min(0)
    .max(65535)
    .default(8080)
    .describe('Port of that endpoint (0: any free port)'),
  LOG_LEVEL: z
    .enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal'])
    .default('info')
    .describe('Log level'),
  LOG_FORMAT: z
    .enum(logFormats)
    .default('auto')
    .describe(
      "Log lines: 'pretty' (coloured, for a person), 'json' (one object a line) or 'auto' (pretty when stdout is a terminal)",
    ),
};

type SettingName = keyof typeof settings;
export const settingNames = Object.keys(settings) as SettingName[];

const schema = z.object(settings);
export type Config = z.infer<typeof schema>;

export class ConfigError extends Error {}

/** `--temporal-address`, `--lb-image`, …: the setting's name in lower case, without CAPDT_. */
function flagOf(name: SettingName): string {
  return name
    .replace(/^CAPDT_/, '')
    .toLowerCase()
    .replaceAll('_', '-');
}

/** One row per setting: name, flag, default, description; the README's configuration table. */
export function describeSettings(): {
  name: SettingName;
  flag: string;
  defaultValue?: unknown;
  description: string;
}[] {
  return settingNames.map((name) => {
    const setting = settings[name];
    const parsed = setting.safeParse(undefined);
    return {
      name,
      flag: `--${flagOf(name)}`,
      ...(parsed.success && parsed.data !== undefined && { defaultValue: parsed.data }),
      description: setting.description ?? '',
    };
  });
}

/** Reads the settings from the environment; a flag given in argv wins over the variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env, argv: string[] = []): Config {
  let flags: Record<string, string | undefined>;
  try {
    flags = parseArgs({
      args: argv,
      options: Object.fromEntries(settingNames.map((name) => [flagOf(name), { type: 'string' as const }])),
      allowPositionals: true,
    }).values as Record<string, string | undefined>;
  } catch (error) {
    throw new ConfigError(`invalid arguments: ${(error as Error).message}`);
  }
  const present = Object.fromEntries(
    settingNames
      .map((name) => [name, flags[flagOf(name)] ?? env[name]] as const)
      .filter(([, value]) => value !== undefined && value !== ''),
  );
  const result = schema.safeParse(present);
  if (!result.success) {
    const problems = result.error.issues.map(
      (issue) =>
        `${issue.path.join('.')}=${JSON.stringify(present[String(issue.path[0])])}: ${issue.message}`,
    );
    throw new ConfigError(`invalid configuration: ${problems.join('; ')}`);
  }
  if (result.data.TEMPORAL_TLS_CERT && !result.data.TEMPORAL_TLS_KEY) {
    throw new ConfigError('invalid configuration: TEMPORAL_TLS_CERT is set without TEMPORAL_TLS_KEY');
  }
  return result.data;
}

/** Where the workers of this installation announce their engines (src/engine-lease.ts). */
export function fleetOf(config: Config): Fleet {
  return { leaseNamespace: config.CAPDT_LEASE_NAMESPACE, taskQueue: config.CAPDT_TASK_QUEUE };
}
