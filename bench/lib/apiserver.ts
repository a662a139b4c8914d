// The kube-apiserver's own request counters, scraped from its /metrics with the admin client certificate:
// - apiserver_request_total by verb/resource/subresource: every client's requests (the benchmark subtracts
//   its own);
// - API Priority and Fairness counters of FlowSchemas that match only the provider's identity, one per verb
//   and resource its ClusterRole allows (plus one for anything else): exactly the provider's requests, which
//   no other client of the shared stack can add to.
import { readFileSync } from 'node:fs';
import { request } from 'node:https';
import { join } from 'node:path';
import * as k8s from '@kubernetes/client-node';
import type { PolicyRule } from '../../src/api/rbac.js';
import type { Counts } from './stats.js';
import { sleep, sortCounts, until } from './stats.js';

export interface Scrape {
  at: number;
  /** "VERB resource[/subresource]" → requests, all codes and scopes summed; non-resource URLs left out. */
  requests: Counts;
  /** The provider identity's requests as its FlowSchemas dispatched them, by the same keys ("other": the rest). */
  identity: Counts;
  /** Requests of the identity that API Priority and Fairness rejected (429). */
  identityRejected: number;
}

const apiVerbs: Record<string, string> = {
  get: 'GET',
  list: 'LIST',
  watch: 'WATCH',
  create: 'POST',
  update: 'PUT',
  patch: 'PATCH',
  delete: 'DELETE',
  deletecollection: 'DELETECOLLECTION',
};

/** "PATCH dockerclusters/status": how apiserver_request_total names a verb on a resource. */
export function requestKey(verb: string, resource: string): string {
  return `${apiVerbs[verb] ?? verb.toUpperCase()} ${resource}`;
}

function parseLabels(text: string): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const match of text.matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g))
    labels[match[1] as string] = match[2] as string;
  return labels;
}

export function parseMetrics(text: string, flowSchemas: Map<string, string>): Omit<Scrape, 'at'> {
  const requests: Counts = {};
  const identity: Counts = Object.fromEntries([...flowSchemas.values()].map((key) => [key, 0]));
  let identityRejected = 0;
  for (const line of text.split('\n')) {
    const match = /^([a-z_]+)\{(.*)\} ([0-9.e+-]+)$/.exec(line);
    if (!match) continue;
    const [, name, labelText, valueText] = match as unknown as [string, string, string, string];
    const value = Number(valueText);
    if (name === 'apiserver_request_total') {
      const labels = parseLabels(labelText);
      if (!labels.resource) continue;
      const key = `${labels.verb} ${labels.resource}${labels.subresource ? `/${labels.subresource}` : ''}`;
      requests[key] = (requests[key] ?? 0) + value;
    } else if (
      name === 'apiserver_flowcontrol_dispatched_requests_total' ||
      name === 'apiserver_flowcontrol_rejected_requests_total'
    ) {
      const key = flowSchemas.get(parseLabels(labelText).flow_schema ?? '');
      if (key === undefined) continue;
      if (name === 'apiserver_flowcontrol_rejected_requests_total') identityRejected += value;
      else identity[key] = (identity[key] ?? 0) + value;
    }
  }
  return { requests: sortCounts(requests), identity: sortCounts(identity), identityRejected };
}

export class ApiServerMetrics {
  /** FlowSchema name → request key it counts. */
  readonly flowSchemas = new Map<string, string>();

  private constructor(
    private readonly url: URL,
    private readonly tls: { ca?: Buffer | string; cert?: Buffer | string; key?: Buffer | string },
  ) {}

  /**
   * With $CAPDT_STACK_DIR/pki/admin.{crt,key} and serving-ca.crt when the local stack's directory is known,
   * else with the admin kubeconfig's credentials.
   */
  static async create(admin: k8s.KubeConfig): Promise<ApiServerMetrics> {
    const server = admin.getCurrentCluster()?.server;
    if (!server) throw new Error('the admin kubeconfig names no server');
    const url = new URL('/metrics', server);
    const stackDir = process.env.CAPDT_STACK_DIR;
    if (stackDir) {
      const pki = join(stackDir, 'pki');
      return new ApiServerMetrics(url, {
        ca: readFileSync(join(pki, 'serving-ca.crt')),
        cert: readFileSync(join(pki, 'admin.crt')),
        key: readFileSync(join(pki, 'admin.key')),
      });
    }
    const options: { ca?: Buffer; cert?: Buffer; key?: Buffer } = {};
    await admin.applyToHTTPSOptions(options);
    return new ApiServerMetrics(url, options);
  }

  async scrape(): Promise<Scrape> {
    const text = await new Promise<string>((resolve, reject) => {
      const req = request(this.url, { ...this.tls, method: 'GET', timeout: 30_000 }, (response) => {
        let body = '';
        response.setEncoding('utf8');
        response.on('data', (chunk) => {
          body += chunk;
        });
        response.on('end', () =>
          response.statusCode === 200
            ? resolve(body)
            : reject(new Error(`GET ${this.url} answered ${response.statusCode}`)),
        );
        response.on('error', reject);
      });
      req.on('timeout', () => req.destroy(new Error(`GET ${this.url} timed out`)));
      req.on('error', reject);
      req.end();
    });
    return { at: Date.now(), ...parseMetrics(text, this.flowSchemas) };
  }

  /**
   * FlowSchemas that match only the given user: one per verb and resource of its rules, and one (matched
   * after them) for anything else. All send the user's requests to the priority level they reach anyway
   * (global-default), so the API server treats them as before and counts them per verb and resource.
   * Resolves once the API server uses them; returns their removal.
   */
  async countUser(
    admin: k8s.KubeConfig,
    prefix: string,
    user: string,
    rules: PolicyRule[],
    probe: { key: string; request: () => Promise<unknown> },
  ): Promise<() => Promise<void>> {
    const flowcontrol = admin.makeApiClient(k8s.FlowcontrolApiserverV1Api);
    const subjects = [{ kind: 'User', user: { name: user } }];
    const schemas: { name: string; key: string; precedence: number; rule: k8s.V1PolicyRulesWithSubjects }[] =
      [];
    for (const rule of rules) {
      for (const resource of rule.resources) {
        for (const verb of rule.verbs) {
          schemas.push({
            name: `${prefix}-${verb}-${resource.replace('/', '-')}`,
            key: requestKey(verb, resource),
            precedence: 8000,
            rule: {
              subjects,
              resourceRules: [
                {
                  verbs: [verb],
                  apiGroups: rule.apiGroups,
                  resources: [resource],
                  namespaces: ['*'],
                  clusterScope: true,
                },
              ],
            },
          });
        }
      }
    }
    schemas.push({
      name: `${prefix}-other`,
      key: 'other',
      precedence: 8001,
      rule: {
        subjects,
        resourceRules: [
          { verbs: ['*'], apiGroups: ['*'], resources: ['*'], namespaces: ['*'], clusterScope: true },
        ],
        nonResourceRules: [{ verbs: ['*'], nonResourceURLs: ['*'] }],
      },
    });
    const created: string[] = [];
    const remove = async () => {
      for (const name of created) await flowcontrol.deleteFlowSchema({ name }).catch(() => undefined);
    };
    try {
      for (const schema of schemas) {
        await flowcontrol.createFlowSchema({
          body: {
            metadata: { name: schema.name, labels: { 'capd-temporal/bench': 'true' } },
            spec: {
              matchingPrecedence: schema.precedence,
              priorityLevelConfiguration: { name: 'global-default' },
              distinguisherMethod: { type: 'ByUser' },
              rules: [schema.rule],
            },
          },
        });
        created.push(schema.name);
        this.flowSchemas.set(schema.name, schema.key);
      }
      // The API server's APF controller marks each FlowSchema it has taken in with a Dangling condition.
      await until(
        'the FlowSchemas to be taken in',
        async () => {
          const list = await flowcontrol.listFlowSchema({ labelSelector: 'capd-temporal/bench=true' });
          const seen = list.items.filter(
            (item) =>
              created.includes(item.metadata?.name ?? '') &&
              item.status?.conditions?.some((condition) => condition.type === 'Dangling'),
          );
          return seen.length === created.length ? true : undefined;
        },
        30_000,
        250,
      );
      await until(
        `a request of ${user} to be counted under its FlowSchema`,
        async () => {
          await probe.request().catch(() => undefined);
          return ((await this.scrape()).identity[probe.key] ?? 0) > 0 ? true : undefined;
        },
        30_000,
        500,
      );
      await sleep(100);
    } catch (error) {
      await remove();
      throw error;
    }
    return remove;
  }
}
