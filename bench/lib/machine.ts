// The machine and software a run measured, for the report.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { loadavg, release } from 'node:os';
import * as k8s from '@kubernetes/client-node';
import type Docker from 'dockerode';

export interface Machine {
  date: string;
  nproc: number;
  memoryGiB: number;
  cpuModel: string;
  kernel: string;
  node: string;
  docker: string;
  kubeApiserver: string;
  temporalCli: string;
  loadAverageAtStart: number[];
  loadAverageAtEnd?: number[];
}

function run(command: string, args: string[]): string {
  try {
    return execFileSync(command, args, { encoding: 'utf8', timeout: 10_000 }).trim();
  } catch {
    return 'unknown';
  }
}

export async function describeMachine(docker: Docker, admin: k8s.KubeConfig): Promise<Machine> {
  const cpuinfo = readFileSync('/proc/cpuinfo', 'utf8');
  const meminfo = readFileSync('/proc/meminfo', 'utf8');
  const memKiB = Number(/^MemTotal:\s+(\d+) kB/m.exec(meminfo)?.[1] ?? Number.NaN);
  const dockerVersion = await docker.version().catch(() => undefined);
  const apiVersion = await admin
    .makeApiClient(k8s.VersionApi)
    .getCode()
    .catch(() => undefined);
  const temporalCli = process.env.TEMPORAL_CLI;
  return {
    date: new Date().toISOString(),
    nproc: Number(run('nproc', [])),
    memoryGiB: Math.round((memKiB / 1024 / 1024) * 10) / 10,
    cpuModel: /^model name\s*:\s*(.*)$/m.exec(cpuinfo)?.[1]?.trim() ?? 'unknown',
    kernel: release(),
    node: process.version,
    docker: dockerVersion ? `${dockerVersion.Version} (API ${dockerVersion.ApiVersion})` : 'unknown',
    kubeApiserver: apiVersion?.gitVersion ?? 'unknown',
    temporalCli: temporalCli ? run(temporalCli, ['--version']) : 'unknown',
    loadAverageAtStart: loadavg().map((value) => Math.round(value * 100) / 100),
  };
}
