// HAProxy inside a load-balancer container: its config written and read back, checked by HAProxy itself before
// it replaces the live one, and reloads that count only once HAProxy has taken them.
import { PassThrough } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { ApplicationFailure } from '@temporalio/activity';
import type Docker from 'dockerode';
import { readContainerFiles, writeContainerFiles } from '../container-files.js';
import { renderHAProxyTemplate, TemplateError } from '../haproxy-template.js';
import {
  candidateConfigFile,
  configDigest,
  configDirectory,
  configFile,
  haproxyConfig,
  loadedConfigFile,
} from '../load-balancer.js';
import type { CreatedLoadBalancer, HAProxyTemplate, LoadBalancerConfig } from '../types.js';
import type { Engine } from './engine.js';

/** How long HAProxy may take to load a config after SIGHUP, and how often that is checked. */
const reloadTimeoutMs = 5_000;
const reloadPollMs = 100;

export type ConfigInput = CreatedLoadBalancer & LoadBalancerConfig & { template?: HAProxyTemplate };

/**
 * Puts a config in a container that is not running, recorded as loaded: HAProxy loads it when it starts, so it
 * never needs a signal it could miss while starting up. Written without reading first (archive reads are
 * costly when many containers start at once).
 */
export async function installConfig(container: Docker.Container, config: string): Promise<void> {
  await writeContainerFiles(container, configDirectory, {
    [configFile]: config,
    [loadedConfigFile]: configDigest(config),
  });
}

/**
 * Writes the config and reads it back. It counts as loaded only for a container that loads it when it
 * starts; otherwise whatever was recorded as loaded is cleared with the same write, until HAProxy takes it.
 */
export async function writeConfig(
  container: Docker.Container,
  wanted: string,
  loaded: boolean,
): Promise<void> {
  await writeContainerFiles(container, configDirectory, {
    [configFile]: wanted,
    [loadedConfigFile]: loaded ? configDigest(wanted) : '',
  });
  if ((await readContainerFiles(container, configDirectory))[configFile] !== wanted) {
    throw ApplicationFailure.retryable(
      `the HAProxy config read back from ${container.id} differs from what was written`,
    );
  }
}

/** The config a running load balancer should serve: the provider's, or the DockerCluster's template's. */
export async function configFor(input: ConfigInput): Promise<string> {
  if (!input.template) return haproxyConfig(input);
  try {
    return await renderHAProxyTemplate(input.template.text, input);
  } catch (error) {
    if (!(error instanceof TemplateError)) throw error;
    throw ApplicationFailure.nonRetryable(
      `the HAProxy template in ConfigMap ${input.dockerCluster.namespace}/${input.template.configMap} (key value) ` +
        `does not render: ${error.message}; the load balancer keeps serving its current config until the template is fixed`,
      'TemplateInvalid',
    );
  }
}

/** Where a config comes from, and what fixes it, for the message when HAProxy refuses it. */
export function configSource(input: ConfigInput): { what: string; fix: string } {
  return input.template
    ? {
        what: `the config rendered from ConfigMap ${input.dockerCluster.namespace}/${input.template.configMap}`,
        fix: 'fix the template (key value)',
      }
    : { what: "the provider's config", fix: 'report this as a bug of capd-temporal' };
}

/** Runs a command in the container; its exit code and its output (stdout and stderr together). */
async function run(engine: Engine, container: Docker.Container, command: string[]) {
  const exec = await container.exec({ Cmd: command, AttachStdout: true, AttachStderr: true });
  const output = await new Promise<string>((resolve, reject) => {
    let text = '';
    const collect = new PassThrough().on('data', (chunk: Buffer) => {
      text += chunk.toString('utf8');
    });
    exec.start({}, (error, stream) => {
      if (error || !stream) return reject(error ?? new Error('docker exec gave no output stream'));
      engine.docker.modem.demuxStream(stream, collect, collect);
      stream.on('end', () => resolve(text)).on('error', reject);
    });
  });
  const { ExitCode } = await exec.inspect();
  return { exitCode: ExitCode, output };
}

/**
 * Has HAProxy itself check a config (`haproxy -c`, in the container, on a copy beside the live one) before it
 * replaces the live one: a config HAProxy refuses is never written where a restart would load it.
 */
export async function checkConfig(
  engine: Engine,
  container: Docker.Container,
  name: string,
  config: string,
  source: { what: string; fix: string },
): Promise<void> {
  await writeContainerFiles(container, configDirectory, { [candidateConfigFile]: config });
  const { exitCode, output } = await run(engine, container, [
    'haproxy',
    '-c',
    '-f',
    `${configDirectory}/${candidateConfigFile}`,
  ]);
  if (exitCode === 0) return;
  const alerts = output.match(/\[ALERT\].*$/gm)?.slice(0, 3) ?? [
    output.trim().split('\n').slice(-3).join(' '),
  ];
  throw ApplicationFailure.nonRetryable(
    `HAProxy in load balancer ${name} refuses ${source.what}: ${alerts.join(' ')}. ` +
      `It keeps serving its current config: ${source.fix}`,
    'ConfigRejected',
  );
}

async function processesOf(container: Docker.Container): Promise<string[]> {
  const listing: { Processes: string[][] } = await container.top({ ps_args: '-o pid' });
  return listing.Processes.map(([pid]) => pid as string);
}

/**
 * Sends SIGHUP and waits for HAProxy to load the config. In master-worker mode (`haproxy -W`, as the
 * default image runs it) a reload that succeeds leaves a new worker process running; one that fails leaves
 * only the old ones, and the master logs why.
 */
export async function reload(container: Docker.Container, name: string): Promise<void> {
  const before = new Set(await processesOf(container));
  await container.kill({ signal: 'SIGHUP' });
  for (let waited = 0; waited < reloadTimeoutMs; waited += reloadPollMs) {
    await sleep(reloadPollMs);
    const started = (await processesOf(container)).filter((pid) => !before.has(pid));
    if (started.length === 0) continue;
    // Still there a moment later: not a worker that failed to load the config and exited.
    await sleep(reloadPollMs);
    const running = new Set(await processesOf(container));
    if (started.some((pid) => running.has(pid))) return;
  }
  const logs = String(await container.logs({ stdout: true, stderr: true, tail: 50 }));
  const alerts = logs.match(/\[ALERT\].*$/gm)?.slice(-3) ?? [];
  throw ApplicationFailure.nonRetryable(
    `HAProxy in load balancer ${name} did not load its new config within ${reloadTimeoutMs / 1000} s of SIGHUP` +
      (alerts.length > 0 ? ` (${alerts.join(' ')})` : '') +
      '; the previous config still serves. It is reloaded again on the next try; the image must run HAProxy ' +
      'in master-worker mode (-W), as the default image does',
    'ReloadFailed',
  );
}

/** Records a config as loaded, once HAProxy has taken it. */
export async function recordLoaded(container: Docker.Container, config: string): Promise<void> {
  await writeContainerFiles(container, configDirectory, { [loadedConfigFile]: configDigest(config) });
}

/** Whether the container's config file is `wanted`, and whether HAProxy has loaded exactly it. */
export async function configState(container: Docker.Container, wanted: string) {
  const files = await readContainerFiles(container, configDirectory);
  return {
    written: files[configFile] === wanted,
    loaded: files[configFile] === wanted && files[loadedConfigFile] === configDigest(wanted),
  };
}
